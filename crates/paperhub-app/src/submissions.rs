//! Submissions: a member brings a paper to the hub by its arXiv id or any arXiv URL.
//!
//! The rules, for every edge: the text a member typed is parsed into an arXiv id first
//! ([`ArxivId::parse`]: a bare id, `arXiv:…`, an abs, pdf or html URL of arxiv.org, with or
//! without version), and only that id goes to the arXiv API at the configured base URL, so
//! the hub never fetches a URL a user typed. A paper the hub already holds is not fetched
//! again: the submission is recorded on it. A new paper is stored and indexed like any
//! ingested record, listed on the day it was submitted, and embedded when the model is
//! loaded. Which papers may be submitted is [`SubmissionRules::max_age_days`]: only papers
//! first published at most that many days ago (0: any age). A failing, slow or malformed API
//! answer stores nothing.

use chrono::{DateTime, Utc};
use paperhub_core::{ArxivId, Paper, PaperId};
use paperhub_ingest::arxiv_api::{ArxivApi, LookupError};
use paperhub_store::{Account, Submission};
use serde::Serialize;

use crate::{Hub, HubError, IngestSummary, Result};

/// The default of `submissions.max_age_days`: two weeks, about what Hugging Face's daily
/// papers accept (a paper is news for a little while after it appears).
pub const DEFAULT_MAX_AGE_DAYS: u32 = 14;

/// Where submitted papers are looked up, and which may be submitted.
#[derive(Debug, Clone)]
pub struct SubmissionRules {
    /// The arXiv API client (its base URL is `arxiv.api_url`).
    pub api: ArxivApi,
    /// Only papers first published at most this many days before the submission (0: any).
    pub max_age_days: u32,
}

/// What a submission did.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The paper, as the hub holds it now.
    pub paper: Paper,
    /// Whether the paper was new to the hub (fetched from arXiv and stored).
    pub added: bool,
    /// Its first submission, the one it is shown with.
    pub first: Submission,
}

impl Hub {
    /// The same hub taking submissions under `rules`.
    pub fn with_submissions(mut self, rules: SubmissionRules) -> Self {
        self.submissions = Some(rules);
        self
    }

    /// The oldest paper, in days since first publication, that members may submit (0: any
    /// age); `None` when this hub takes no submissions.
    pub fn submission_max_age_days(&self) -> Option<u32> {
        self.submissions.as_ref().map(|rules| rules.max_age_days)
    }

    /// `account` submits the paper named by `input` (an arXiv id or arXiv URL).
    ///
    /// Errors: a banned account is [`HubError::Forbidden`]; input that is no arXiv id, a paper
    /// too old for [`SubmissionRules::max_age_days`] and an id arXiv refuses are
    /// [`HubError::Invalid`]; a paper arXiv does not have is [`HubError::NotFound`]; an API
    /// that fails, is slow or answers garbage is [`HubError::Upstream`]. None of them stores
    /// anything.
    pub fn submit(&self, account: &Account, input: &str) -> Result<Submitted> {
        if account.banned {
            return Err(HubError::Forbidden(
                "this account is banned: it may read, not submit".into(),
            ));
        }
        let rules = self.submissions.as_ref().ok_or_else(|| {
            HubError::Invalid("this hub does not take submissions (no arXiv API is set)".into())
        })?;
        let id = ArxivId::parse(input).map_err(|e| {
            HubError::Invalid(format!(
                "{e}; a submission is an arXiv id or an arxiv.org abs, pdf or html URL"
            ))
        })?;
        let now = Utc::now();
        if let Some(paper) = self.find_paper(id.as_str())? {
            check_age(&paper.meta.published, &id, rules.max_age_days, now)?;
            return self.record(account, paper, false);
        }
        let mut meta = rules.api.lookup(&id).map_err(lookup_error)?;
        check_age(&meta.published, &id, rules.max_age_days, now)?;
        // A submitted paper joins the day it was submitted on, as on Hugging Face's hub.
        meta.listed_on = Some(now.date_naive());
        let mut summary = IngestSummary::default();
        self.commit_batch(std::slice::from_ref(&meta), &mut summary)?;
        if self.semantic.is_some() {
            // One paper: embedded now, so that it is found by meaning at once.
            self.embed_missing(8, |_, _| {})?;
            self.load_new_vectors()?;
        }
        let paper = self.find_paper(id.as_str())?.ok_or_else(|| {
            HubError::NotFound(format!("the paper {id} was stored but cannot be found"))
        })?;
        self.record(account, paper, true)
    }

    fn record(&self, account: &Account, paper: Paper, added: bool) -> Result<Submitted> {
        let key = self
            .store
            .key_of(&paper.id)?
            .ok_or_else(|| HubError::NotFound(format!("no paper `{}`", paper.id)))?;
        let first = self.store.record_submission(key, account.id)?;
        self.community_changed();
        Ok(Submitted {
            paper,
            added,
            first,
        })
    }

    /// What the community did with each paper, in order: its votes, its shown comments and
    /// who submitted it. Every list, page and search result shows these.
    pub fn community(&self, papers: &[&PaperId]) -> Result<Vec<Community>> {
        let keys: Vec<u64> = self
            .store
            .keys_of(papers)?
            .into_iter()
            .map(|key| key.unwrap_or(u64::MAX))
            .collect();
        let ids: Vec<&str> = papers.iter().map(|id| id.as_str()).collect();
        let votes = self.store.vote_counts(&ids)?;
        let comments = self.store.comment_counts(&keys)?;
        let submissions = self.store.first_submissions(&keys)?;
        Ok(votes
            .into_iter()
            .zip(comments)
            .zip(submissions)
            .map(|((votes, comments), first)| Community {
                votes,
                comments,
                submitted_by: first
                    .map(|s| s.submitter.unwrap_or_else(|| DELETED_ACCOUNT.to_owned())),
            })
            .collect())
    }
}

/// How a submission from an account deleted since is shown.
pub const DELETED_ACCOUNT: &str = "a deleted account";

/// What the community did with one paper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Community {
    /// Its upvotes.
    pub votes: u64,
    /// Its shown comments (neither hidden nor deleted).
    pub comments: u64,
    /// The display name of its first submitter ([`DELETED_ACCOUNT`] once that account is
    /// gone); `None` when it came by ingest, not by a submission.
    pub submitted_by: Option<String>,
}

/// Refuses a paper first published more than `max_age_days` before `now` (0: any age).
fn check_age(
    published: &Option<DateTime<Utc>>,
    id: &ArxivId,
    max_age_days: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    if max_age_days == 0 {
        return Ok(());
    }
    let Some(published) = published else {
        return Ok(());
    };
    let age = (now - *published).num_days();
    if age > i64::from(max_age_days) {
        return Err(HubError::Invalid(format!(
            "{id} was first published on {}, {age} days ago; this hub takes papers up to \
             {max_age_days} days old",
            published.format("%Y-%m-%d")
        )));
    }
    Ok(())
}

/// A failed lookup as the use cases report it.
fn lookup_error(error: LookupError) -> HubError {
    match error {
        LookupError::NotFound { .. } => HubError::NotFound(error.to_string()),
        LookupError::Refused { .. } => HubError::Invalid(error.to_string()),
        other => HubError::Upstream(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn papers_older_than_the_limit_are_refused_and_zero_takes_any_age() {
        let id = ArxivId::parse("1605.08386").unwrap();
        let now = DateTime::parse_from_rfc3339("2016-06-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let published = Some(
            DateTime::parse_from_rfc3339("2016-05-26T17:59:46Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        let error = check_age(&published, &id, 14, now).unwrap_err().to_string();
        assert!(
            error.contains("2016-05-26") && error.contains("24 days ago") && error.contains("14"),
            "{error}"
        );
        check_age(&published, &id, 30, now).unwrap();
        check_age(&published, &id, 0, now).unwrap();
        check_age(&None, &id, 14, now).unwrap();
    }
}
