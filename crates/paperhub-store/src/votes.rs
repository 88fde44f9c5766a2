//! Upvotes: one per account per paper, given and taken back.

use crate::Result;

/// Upvotes.
pub trait VoteStore: Send + Sync {
    /// Records (`up`) or removes account `account_id`'s vote on the paper with key
    /// `paper_key`, idempotently (a second vote, or removing a vote never given, changes
    /// nothing); returns the paper's count after. [`crate::StoreError::NotFound`] when there
    /// is no such paper; an unknown account's vote is not recorded.
    fn set_vote(&self, account_id: u64, paper_key: u64, up: bool) -> Result<u64>;

    /// The vote counts of the papers with these ids, in the order asked (0 for an unknown id).
    fn vote_counts(&self, paper_ids: &[&str]) -> Result<Vec<u64>>;

    /// Whether account `account_id` voted for each paper with these keys, in order.
    fn voted(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>>;

    /// The papers voted for at or after `since` (seconds since 1970), with how many votes
    /// each got since then, most first (ties by key), at most `limit`.
    fn voted_since(&self, since: i64, limit: usize) -> Result<Vec<(u64, u64)>>;
}
