//! Community submissions: which member brought a paper to the hub.

use chrono::{DateTime, Utc};

use crate::Result;

/// A paper's submission as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The paper's key.
    pub paper_key: u64,
    /// The submitting account (`None` once the account is deleted).
    pub account_id: Option<u64>,
    /// Its display name (`None` once the account is deleted).
    pub submitter: Option<String>,
    /// When it was submitted.
    pub created_at: DateTime<Utc>,
}

/// Submissions: one per account and paper; the first one is the paper's "submitted by".
pub trait SubmissionStore: Send + Sync {
    /// Records account `account_id`'s submission of the paper `paper_key` (again: no change)
    /// and returns the paper's first submission, the one it is shown with.
    /// [`crate::StoreError::NotFound`] when there is no such paper or account.
    fn record_submission(&self, paper_key: u64, account_id: u64) -> Result<Submission>;

    /// The first submission of each paper, in order (`None`: nobody submitted it).
    fn first_submissions(&self, paper_keys: &[u64]) -> Result<Vec<Option<Submission>>>;
}
