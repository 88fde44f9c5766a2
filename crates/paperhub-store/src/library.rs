//! A member's library: papers saved to named tags, thumbs-down marks that teach a tag's
//! recommendations what not to suggest, private notes, and what the member has seen.
//!
//! Everything here belongs to one account and is deleted with it.

use chrono::{DateTime, NaiveDate, Utc};

use crate::Result;

/// How a paper stands in a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    /// Saved to the tag: a positive example for its recommendations.
    Saved,
    /// Thumbs-down on a recommendation: a negative example, never recommended again.
    Rejected,
}

impl Label {
    /// The label as stored (`1`, `-1`).
    pub fn to_db(self) -> i64 {
        match self {
            Label::Saved => 1,
            Label::Rejected => -1,
        }
    }

    /// The label stored as `value`.
    pub fn from_db(value: i64) -> Label {
        if value < 0 {
            Label::Rejected
        } else {
            Label::Saved
        }
    }
}

/// A tag and how many papers it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSummary {
    /// Its name, unique per member.
    pub name: String,
    /// Papers saved to it.
    pub saved: u64,
    /// Papers given a thumbs-down in it.
    pub rejected: u64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// One paper in a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    /// The paper's key.
    pub paper_key: u64,
    /// Saved or rejected.
    pub label: Label,
    /// When it was saved or rejected.
    pub added_at: DateTime<Utc>,
}

/// A search a member saved by name: an alert whose new papers go into the member's digest
/// and its own private feed. The mode is the search's own name for it (`keyword`,
/// `semantic`, `hybrid`); the store keeps it as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    /// Its name, unique per member.
    pub name: String,
    /// The query text, with any `author:` or `category:` in it.
    pub q: String,
    /// How to search (`None`: the hub's default).
    pub mode: Option<String>,
    /// Only papers with this author.
    pub author: Option<String>,
    /// Only papers in this category.
    pub category: Option<String>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
    /// When it was first saved (kept when it is saved again under its name).
    pub created_at: DateTime<Utc>,
}

/// Members' libraries.
pub trait LibraryStore: Send + Sync {
    /// Puts every paper of `paper_keys` into account `account_id`'s tag `tag` with `label`
    /// (making the tag if it is new), replacing the label a paper had there. One transaction:
    /// when a key is no paper (or the account does not exist) nothing is written and the
    /// answer is [`crate::StoreError::NotFound`]. Returns how many entries are new or changed.
    fn label_papers(
        &self,
        account_id: u64,
        tag: &str,
        paper_keys: &[u64],
        label: Label,
    ) -> Result<u64>;

    /// Takes a paper out of a tag, whatever its label; whether it was there.
    fn unlabel_paper(&self, account_id: u64, tag: &str, paper_key: u64) -> Result<bool>;

    /// Takes every paper with `label` out of a tag (a reset of what its recommendations
    /// learned from thumbs-down); how many.
    fn clear_label(&self, account_id: u64, tag: &str, label: Label) -> Result<u64>;

    /// The member's tags, by name.
    fn tags(&self, account_id: u64) -> Result<Vec<TagSummary>>;

    /// The papers in a tag, oldest first; `None` when the member has no such tag.
    fn tag_entries(&self, account_id: u64, tag: &str) -> Result<Option<Vec<TagEntry>>>;

    /// Deletes a tag and its entries; whether it existed.
    fn delete_tag(&self, account_id: u64, tag: &str) -> Result<bool>;

    /// The member's tags that hold the paper, with its label in each, by name.
    fn tags_of(&self, account_id: u64, paper_key: u64) -> Result<Vec<(String, Label)>>;

    /// Sets (or, with `None` or an empty body, removes) the member's note on a paper;
    /// [`crate::StoreError::NotFound`] when there is no such paper.
    fn set_note(&self, account_id: u64, paper_key: u64, body: Option<&str>) -> Result<()>;

    /// The member's notes on each paper, in order.
    fn notes(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<Option<String>>>;

    /// Marks papers seen by the member (again: the first time is kept). Unknown keys are
    /// skipped.
    fn mark_seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<()>;

    /// Whether the member has seen each paper, in order.
    fn seen(&self, account_id: u64, paper_keys: &[u64]) -> Result<Vec<bool>>;

    /// Saves (or, under a name the member used before, replaces) a search; whether it is
    /// new. [`crate::StoreError::NotFound`] when there is no such account.
    fn save_search(&self, account_id: u64, search: &SavedSearch) -> Result<bool>;

    /// The member's saved searches, by name.
    fn saved_searches(&self, account_id: u64) -> Result<Vec<SavedSearch>>;

    /// Deletes a saved search; whether it existed.
    fn delete_saved_search(&self, account_id: u64, name: &str) -> Result<bool>;

    /// Sets the hash of the member's private feed token, replacing (and so revoking) the one
    /// before; `None` revokes it. [`crate::StoreError::NotFound`] when there is no such
    /// account.
    fn set_feed_token(
        &self,
        account_id: u64,
        token_hash: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// The account whose private feed token hashes to `token_hash`.
    fn feed_token_account(&self, token_hash: &str) -> Result<Option<u64>>;

    /// When the member's private feed token was made, if it has one.
    fn feed_token_made(&self, account_id: u64) -> Result<Option<DateTime<Utc>>>;
}
