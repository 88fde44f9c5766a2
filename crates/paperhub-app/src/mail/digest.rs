//! The digest of a period: the community's trending papers, and for each of a subscriber's
//! topics the best new papers of the period by hybrid search above a relevance threshold;
//! none that was mailed to the subscriber before. What every subscriber shares (the trending
//! list, each distinct topic's search) is computed once per run.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use paperhub_core::{Frequency, Paper, PaperId};
use paperhub_store::Subscription;

use super::{Digest, DigestPaper, MailLinks, PersonalPicks, TopicPapers};
use crate::library::request_of;
use crate::{Hub, HubError, Period, Result, SearchMode, SearchRequest};

/// The least cosine similarity between a topic and a paper's abstract for the paper to count
/// as the topic's: all-MiniLM-L6-v2 puts unrelated abstracts of one field around 0.1 to 0.3
/// from a short query, and papers on the query's subject above 0.4.
pub const DEFAULT_TOPIC_MIN_SIMILARITY: f32 = 0.4;

/// What goes into a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRules {
    /// Trending papers at most.
    pub trending: usize,
    /// Papers per topic (and per saved search) at most.
    pub per_topic: usize,
    /// Recommendations from a member's tags at most.
    pub picks: usize,
    /// See [`DEFAULT_TOPIC_MIN_SIMILARITY`].
    pub topic_min_similarity: f32,
}

impl Default for DigestRules {
    fn default() -> Self {
        DigestRules {
            trending: 10,
            per_topic: 5,
            picks: 5,
            topic_min_similarity: DEFAULT_TOPIC_MIN_SIMILARITY,
        }
    }
}

/// The days a period covers: the day itself, or the week ending on it.
pub(crate) fn period_days(frequency: Frequency, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match frequency {
        Frequency::Daily => (date, date),
        Frequency::Weekly => (date - Duration::days(6), date),
    }
}

/// The moment a period is over (the start of the next day), or `now` if that is earlier.
pub(crate) fn period_end(date: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let end = (date + Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    end.min(now)
}

/// What a run's digests share, computed at most once per run.
pub(crate) struct Shared {
    frequency: Frequency,
    date: NaiveDate,
    links: MailLinks,
    rules: DigestRules,
    trending: Mutex<Option<Vec<DigestPaper>>>,
    topics: Mutex<HashMap<String, Vec<DigestPaper>>>,
    /// Nanoseconds spent searching (trending and topics), for the benchmark's shares.
    pub(crate) search_nanos: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub(crate) fn new(
        frequency: Frequency,
        date: NaiveDate,
        links: MailLinks,
        rules: DigestRules,
    ) -> Self {
        Shared {
            frequency,
            date,
            links,
            rules,
            trending: Mutex::new(None),
            topics: Mutex::new(HashMap::new()),
            search_nanos: Default::default(),
        }
    }

    fn timed<T>(&self, f: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let value = f();
        self.search_nanos.fetch_add(
            started.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        value
    }

    /// The digest of `subscription` for this run: `None` when nothing is left to send.
    pub(crate) fn compose(&self, hub: &Hub, subscription: &Subscription) -> Result<Option<Digest>> {
        let trending = self.trending(hub)?;
        let mut topics = Vec::new();
        for topic in &subscription.topics {
            topics.push((topic.clone(), self.topic(hub, topic)?));
        }
        let mut candidates: Vec<u64> = trending.iter().map(|p| p.key).collect();
        candidates.extend(topics.iter().flat_map(|(_, ps)| ps.iter().map(|p| p.key)));
        let sent: std::collections::HashSet<u64> = hub
            .store()
            .already_sent(subscription.id, &candidates)?
            .into_iter()
            .collect();
        // A paper appears once in a digest: in the trending list, else under its first topic.
        let mut shown = sent;
        let mut keep = |papers: &[DigestPaper], limit: usize| -> Vec<DigestPaper> {
            papers
                .iter()
                .filter(|p| shown.insert(p.key))
                .take(limit)
                .cloned()
                .collect()
        };
        let trending = keep(&trending, self.rules.trending);
        let topics: Vec<TopicPapers> = topics
            .into_iter()
            .map(|(topic, papers)| TopicPapers {
                papers: keep(&papers, self.rules.per_topic),
                topic,
            })
            .filter(|t| !t.papers.is_empty())
            .collect();
        let personal = self.personal(hub, subscription, &mut shown)?;
        if trending.is_empty() && topics.is_empty() && personal.is_none() {
            return Ok(None);
        }
        Ok(Some(Digest {
            frequency: self.frequency,
            date: self.date,
            hub_url: self.links.home(),
            trending,
            topics,
            personal,
        }))
    }

    /// The period's trending papers (a few more than a digest shows: some may have been sent).
    fn trending(&self, hub: &Hub) -> Result<Vec<DigestPaper>> {
        let mut cached = self
            .trending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(papers) = &*cached {
            return Ok(papers.clone());
        }
        let period = match self.frequency {
            Frequency::Daily => Period::Day,
            Frequency::Weekly => Period::Week,
        };
        let end = period_end(self.date, Utc::now());
        let ranked = self.timed(|| hub.trending(period, self.rules.trending * 3, end))?;
        let papers: Vec<(Paper, u64)> = ranked
            .into_iter()
            .filter(|t| t.score > 0.0)
            .map(|t| (t.paper, t.votes))
            .collect();
        let listed = self.listed(hub, papers)?;
        *cached = Some(listed.clone());
        Ok(listed)
    }

    /// The best new papers of the period for `topic` (a few more than a digest shows).
    fn topic(&self, hub: &Hub, topic: &str) -> Result<Vec<DigestPaper>> {
        let key = topic.trim().to_lowercase();
        if let Some(papers) = self
            .topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(papers.clone());
        }
        let papers = self.timed(|| {
            self.period_search(hub, &SearchRequest::new(topic), self.rules.per_topic * 3)
        })?;
        let listed = self.with_votes(hub, papers)?;
        self.topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, listed.clone());
        Ok(listed)
    }

    /// Up to `wanted` papers of the period that `base` (words, mode, filters) finds: in
    /// keyword mode all it finds; by meaning (the default with the model) only those near
    /// enough ([`DigestRules::topic_min_similarity`]), in the mode's order. The period is
    /// laid over the search's own dates.
    fn period_search(&self, hub: &Hub, base: &SearchRequest, wanted: usize) -> Result<Vec<Paper>> {
        let (first, last) = period_days(self.frequency, self.date);
        let from = base.from.map_or(first, |f| f.max(first));
        let until = base.until.map_or(last, |u| u.min(last));
        if from > until {
            return Ok(Vec::new());
        }
        let request = |mode, limit| SearchRequest {
            mode: Some(mode),
            from: Some(from),
            until: Some(until),
            limit: Some(limit),
            ..base.clone()
        };
        let mode = match base.mode {
            _ if !hub.has_semantic() || base.q.trim().is_empty() => SearchMode::Keyword,
            Some(mode) => mode,
            None => SearchMode::Hybrid,
        };
        if mode == SearchMode::Keyword {
            let hits = hub.search(&request(SearchMode::Keyword, wanted))?.hits;
            return Ok(hits.into_iter().map(|h| h.paper).collect());
        }
        // Near enough in meaning (cosine from the semantic ranking), in the mode's order.
        let near: std::collections::HashSet<_> = hub
            .search(&request(SearchMode::Semantic, 50))?
            .hits
            .into_iter()
            .filter(|h| h.score >= self.rules.topic_min_similarity)
            .map(|h| h.paper.id)
            .collect();
        if near.is_empty() {
            return Ok(Vec::new());
        }
        Ok(hub
            .search(&request(mode, 50))?
            .hits
            .into_iter()
            .filter(|h| near.contains(&h.paper.id))
            .take(wanted)
            .map(|h| h.paper)
            .collect())
    }

    /// What the digest adds from the library of the member whose confirmed address the
    /// subscription is (`None`: no such member, or nothing new for them): each saved
    /// search's new papers of the period and recommendations of all their tags, none they
    /// have seen and none `shown` already in this digest.
    fn personal(
        &self,
        hub: &Hub,
        subscription: &Subscription,
        shown: &mut HashSet<u64>,
    ) -> Result<Option<PersonalPicks>> {
        let Some(account) = hub.store().account_by_email(&subscription.email)? else {
            return Ok(None);
        };
        // A subscription proves its address, but an account holding someone else's address
        // must not put what it chose into their mail: only a confirmed one counts.
        if account.banned || hub.store().email_confirmed_at(account.id)?.is_none() {
            return Ok(None);
        }
        let library = hub.library();
        // A saved search asked for its papers: they are listed under it, not as picks.
        let mut alerts = Vec::new();
        for search in library.saved_searches(&account)? {
            let base = request_of(&search);
            let papers =
                match self.timed(|| self.period_search(hub, &base, self.rules.per_topic * 3)) {
                    Ok(papers) => papers,
                    Err(HubError::ModelMissing) => continue,
                    Err(other) => return Err(other),
                };
            let ids: Vec<&PaperId> = papers.iter().map(|p| &p.id).collect();
            let seen = library.seen(&account, &ids)?;
            let unseen: Vec<Paper> = papers
                .into_iter()
                .zip(seen)
                .filter(|(_, seen)| !seen)
                .map(|(p, _)| p)
                .collect();
            let papers: Vec<DigestPaper> = self
                .with_votes(hub, unseen)?
                .into_iter()
                .filter(|p| shown.insert(p.key))
                .take(self.rules.per_topic)
                .collect();
            if !papers.is_empty() {
                alerts.push(TopicPapers {
                    topic: search.name,
                    papers,
                });
            }
        }
        let wanted = self.rules.picks * 3;
        let recommended = match library.recommendations(&account, None, wanted.max(1), true) {
            Ok(found) => found,
            Err(HubError::ModelMissing) => Vec::new(),
            Err(other) => return Err(other),
        };
        let ids: Vec<&PaperId> = recommended.iter().map(|r| &r.paper.id).collect();
        let why: HashMap<u64, String> = hub
            .store()
            .keys_of(&ids)?
            .into_iter()
            .zip(&recommended)
            .filter_map(|(key, r)| Some((key?, r.why.summary.clone())))
            .collect();
        let papers: Vec<Paper> = recommended.into_iter().map(|r| r.paper).collect();
        let recommended: Vec<DigestPaper> = self
            .with_votes(hub, papers)?
            .into_iter()
            .map(|mut p| {
                p.why = why.get(&p.key).cloned().unwrap_or_default();
                p
            })
            .filter(|p| shown.insert(p.key))
            .take(self.rules.picks)
            .collect();
        if recommended.is_empty() && alerts.is_empty() {
            return Ok(None);
        }
        Ok(Some(PersonalPicks {
            account_id: account.id,
            recommended,
            alerts,
        }))
    }

    /// Papers as a digest lists them, with their upvotes.
    fn with_votes(&self, hub: &Hub, papers: Vec<Paper>) -> Result<Vec<DigestPaper>> {
        let ids: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
        let votes = hub.store().vote_counts(&ids)?;
        self.listed(hub, papers.into_iter().zip(votes).collect())
    }

    /// Papers as a digest lists them, with their store keys (papers gone since are dropped).
    fn listed(&self, hub: &Hub, papers: Vec<(Paper, u64)>) -> Result<Vec<DigestPaper>> {
        let ids: Vec<&paperhub_core::PaperId> = papers.iter().map(|(p, _)| &p.id).collect();
        let keys = hub.store().keys_of(&ids)?;
        Ok(papers
            .iter()
            .zip(keys)
            .filter_map(|((paper, votes), key)| {
                Some(DigestPaper {
                    key: key?,
                    title: paper.meta.title.clone(),
                    authors: authors(&paper.meta.authors),
                    summary: summary(&paper.meta.abstract_text),
                    url: self.links.paper(paper.id.as_str()),
                    votes: *votes,
                    why: String::new(),
                })
            })
            .collect())
    }
}

/// The first three authors, and how many more.
fn authors(all: &[String]) -> String {
    match all.len() {
        0 => String::new(),
        1..=3 => all.join(", "),
        n => format!("{} and {} more", all[..3].join(", "), n - 3),
    }
}

/// The abstract's first 300 characters, cut at a word.
fn summary(text: &str) -> String {
    const CHARS: usize = 300;
    if text.chars().count() <= CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(CHARS).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_is_the_seven_days_ending_on_its_date() {
        let day = NaiveDate::from_ymd_opt(2025, 6, 5).unwrap();
        assert_eq!(period_days(Frequency::Daily, day), (day, day));
        assert_eq!(
            period_days(Frequency::Weekly, day),
            (NaiveDate::from_ymd_opt(2025, 5, 30).unwrap(), day)
        );
    }

    #[test]
    fn authors_and_summaries_are_cut_for_a_mail() {
        let names: Vec<String> = ["A", "B", "C", "D", "E"].map(String::from).to_vec();
        assert_eq!(authors(&names), "A, B, C and 2 more");
        assert_eq!(authors(&names[..2]), "A, B");
        let long = "word ".repeat(100);
        let cut = summary(&long);
        assert!(cut.chars().count() <= 301 && cut.ends_with('…'), "{cut}");
        assert_eq!(summary("short."), "short.");
    }
}
