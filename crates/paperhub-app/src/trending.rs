//! Trending: the papers the community votes for now, by a published formula.
//!
//! A paper's score over a period (the last day, week or month) is
//!
//! ```text
//! score = votes_in_period / (age_hours + offset_hours) ^ gravity
//! ```
//!
//! Hacker News's ranking with the votes of the period in place of points: `age_hours` runs
//! from the day the hub lists the paper (else its first publication), `gravity` (default
//! [`DEFAULT_GRAVITY`], as Hacker News) makes old papers sink, `offset_hours` (default
//! [`DEFAULT_OFFSET_HOURS`]) keeps a brand-new paper from dividing by almost nothing. Both are
//! settings (`trending.gravity`, `trending.offset_hours`). Every result carries the numbers
//! that made its score ([`Why`]).

use chrono::{DateTime, Utc};
use paperhub_core::Paper;
use serde::{Deserialize, Serialize};

use crate::{Hub, HubError, Result};

/// Hacker News's gravity.
pub const DEFAULT_GRAVITY: f64 = 1.8;
/// Hacker News's offset, in hours.
pub const DEFAULT_OFFSET_HOURS: f64 = 2.0;
/// The most papers of a period scored (the most voted in it).
const CANDIDATES: usize = 1_000;

/// The formula, as the API and the pages show it.
pub const FORMULA: &str = "votes_in_period / (age_hours + offset_hours) ^ gravity";

/// Over which window votes count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The last 24 hours.
    #[default]
    Day,
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
}

impl Period {
    /// Every period.
    pub const ALL: [Period; 3] = [Period::Day, Period::Week, Period::Month];

    /// The period as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// Its length.
    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::days(match self {
            Period::Day => 1,
            Period::Week => 7,
            Period::Month => 30,
        })
    }
}

impl std::str::FromStr for Period {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Self> {
        Period::ALL
            .into_iter()
            .find(|p| p.as_str() == text.trim())
            .ok_or_else(|| {
                HubError::Invalid(format!(
                    "period `{}` is not one of day, week, month",
                    text.trim()
                ))
            })
    }
}

/// The formula's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrendingRules {
    /// How fast age pulls a paper down.
    pub gravity: f64,
    /// Hours added to every age.
    pub offset_hours: f64,
    /// Seconds a period's ranking is kept before it is computed again (0: every time). A vote,
    /// comment or submission through this node drops it at once; those through other nodes
    /// show within this time.
    pub cache_secs: u64,
}

/// The default of `trending.cache_secs`.
pub const DEFAULT_CACHE_SECS: u64 = 10;

/// A period's ranking as last computed.
#[derive(Debug, Clone)]
pub(crate) struct CachedRanking {
    /// The `now` it was computed for.
    at: DateTime<Utc>,
    /// The hub's count of community changes then.
    generation: u64,
    /// The first [`crate::MAX_LIMIT`] papers.
    ranked: Vec<TrendingPaper>,
}

/// Each period's ranking, shared by every clone of a hub.
pub(crate) type RankingCache =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Period, CachedRanking>>>;

impl Default for TrendingRules {
    fn default() -> Self {
        TrendingRules {
            gravity: DEFAULT_GRAVITY,
            offset_hours: DEFAULT_OFFSET_HOURS,
            cache_secs: DEFAULT_CACHE_SECS,
        }
    }
}

/// The numbers that made a score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Why {
    /// The votes the paper got in the period.
    pub votes_in_period: u64,
    /// Its age, in hours, when ranked.
    pub age_hours: f64,
    /// What its age runs from: `listed` (the day the hub lists it) or `published`.
    pub age_from: &'static str,
    /// The formula's gravity.
    pub gravity: f64,
    /// The formula's offset.
    pub offset_hours: f64,
    /// The formula.
    pub formula: &'static str,
}

/// A trending paper.
#[derive(Debug, Clone)]
pub struct TrendingPaper {
    /// The paper.
    pub paper: Paper,
    /// All its votes.
    pub votes: u64,
    /// Its shown comments.
    pub comments: u64,
    /// Who submitted it, if it came by a submission (see [`crate::Community`]).
    pub submitted_by: Option<String>,
    /// Its score in the period.
    pub score: f64,
    /// How the score came about.
    pub why: Why,
}

impl Hub {
    /// The `limit` papers trending over `period` as of `now`, highest score first.
    pub fn trending(
        &self,
        period: Period,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrendingPaper>> {
        if !(1..=crate::MAX_LIMIT).contains(&limit) {
            return Err(HubError::OutOfRange(format!(
                "limit must be from 1 to {}, not {limit}",
                crate::MAX_LIMIT
            )));
        }
        let rules = self.trending_rules;
        let generation = self
            .community_changes
            .load(std::sync::atomic::Ordering::Acquire);
        if rules.cache_secs > 0 {
            let cache = self
                .rankings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(cached) = cache.get(&period) {
                let age = now - cached.at;
                if cached.generation == generation
                    && age >= chrono::Duration::zero()
                    && age < chrono::Duration::seconds(rules.cache_secs as i64)
                {
                    return Ok(cached.ranked.iter().take(limit).cloned().collect());
                }
            }
        }
        let ranked = self.rank(period, now)?;
        let shown = ranked.iter().take(limit).cloned().collect();
        if rules.cache_secs > 0 {
            self.rankings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(
                    period,
                    CachedRanking {
                        at: now,
                        generation,
                        ranked,
                    },
                );
        }
        Ok(shown)
    }

    /// The first [`crate::MAX_LIMIT`] papers trending over `period` as of `now`, computed.
    fn rank(&self, period: Period, now: DateTime<Utc>) -> Result<Vec<TrendingPaper>> {
        let rules = self.trending_rules;
        let since = paperhub_store::to_unix(now - period.duration());
        let voted = self.store.voted_since(since, CANDIDATES)?;
        let keys: Vec<u64> = voted.iter().map(|(key, _)| *key).collect();
        let in_period: std::collections::HashMap<u64, u64> = voted.into_iter().collect();
        let papers = self.store.get_by_keys(&keys)?;
        let ids: Vec<&str> = papers.iter().map(|p| p.paper.id.as_str()).collect();
        let totals = self.store.vote_counts(&ids)?;
        let mut ranked: Vec<TrendingPaper> = papers
            .into_iter()
            .zip(totals)
            .map(|(stored, votes)| {
                let votes_in_period = in_period.get(&stored.key).copied().unwrap_or(0);
                let (start, age_from) = match stored.paper.listed_on {
                    Some(day) => (day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()), "listed"),
                    None => (stored.paper.meta.published, "published"),
                };
                let age_hours = start
                    .map(|start| (now - start).num_seconds().max(0) as f64 / 3_600.0)
                    .unwrap_or(0.0);
                let score =
                    votes_in_period as f64 / (age_hours + rules.offset_hours).powf(rules.gravity);
                TrendingPaper {
                    paper: stored.paper,
                    votes,
                    comments: 0,
                    submitted_by: None,
                    score,
                    why: Why {
                        votes_in_period,
                        age_hours,
                        age_from,
                        gravity: rules.gravity,
                        offset_hours: rules.offset_hours,
                        formula: FORMULA,
                    },
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.why.votes_in_period.cmp(&a.why.votes_in_period))
                .then(a.paper.id.as_str().cmp(b.paper.id.as_str()))
        });
        ranked.truncate(crate::MAX_LIMIT);
        // What a list shows beside each paper, counted once per ranking rather than on every
        // page that shows it.
        let ids: Vec<&paperhub_core::PaperId> = ranked.iter().map(|t| &t.paper.id).collect();
        let community = self.community(&ids)?;
        for (paper, community) in ranked.iter_mut().zip(community) {
            paper.comments = community.comments;
            paper.submitted_by = community.submitted_by;
        }
        Ok(ranked)
    }

    /// Where the paper `paper_id` ranks in each period's trending list as of `now` (1 is the
    /// top; only the periods where it is among the first [`crate::MAX_LIMIT`]), with the
    /// numbers of its score: the "why trending" of its page.
    pub fn why_trending(
        &self,
        paper_id: &paperhub_core::PaperId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Period, usize, TrendingPaper)>> {
        let mut found = Vec::new();
        for period in Period::ALL {
            let ranked = self.trending(period, crate::MAX_LIMIT, now)?;
            if let Some((at, paper)) = ranked
                .into_iter()
                .enumerate()
                .find(|(_, t)| &t.paper.id == paper_id)
            {
                found.push((period, at + 1, paper));
            }
        }
        Ok(found)
    }
}
