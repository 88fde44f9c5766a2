//! Comments on papers, with replies.

use chrono::{DateTime, Utc};

use crate::Result;

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Its number.
    pub id: u64,
    /// The paper's key.
    pub paper_key: u64,
    /// The comment it answers, if any.
    pub parent_id: Option<u64>,
    /// Its author's account (`None` once the account is deleted).
    pub account_id: Option<u64>,
    /// Its author's display name (`None` once the account is deleted).
    pub author: Option<String>,
    /// Markdown, as written.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Hidden by a moderator: kept, not shown.
    pub hidden: bool,
    /// Deleted by its author: kept as a placeholder while replies hang on it.
    pub deleted: bool,
}

/// Comments.
pub trait CommentStore: Send + Sync {
    /// Adds a comment; [`crate::StoreError::NotFound`] when the paper or the parent (on this
    /// paper) does not exist.
    fn add_comment(
        &self,
        paper_key: u64,
        account_id: u64,
        parent_id: Option<u64>,
        body: &str,
    ) -> Result<Comment>;

    /// The comment numbered `id`.
    fn comment(&self, id: u64) -> Result<Option<Comment>>;

    /// The comments on a paper, oldest first.
    fn comments(&self, paper_key: u64) -> Result<Vec<Comment>>;

    /// Replaces a comment's body (and marks it edited).
    fn edit_comment(&self, id: u64, body: &str) -> Result<()>;

    /// Sets a comment's `hidden` (moderators) or `deleted` (its author) mark.
    fn mark_comment(&self, id: u64, hidden: Option<bool>, deleted: Option<bool>) -> Result<()>;

    /// How many shown comments (neither hidden nor deleted) each paper has, in order.
    fn comment_counts(&self, paper_keys: &[u64]) -> Result<Vec<u64>>;
}
