//! Comments: members write them, with replies; authors edit and delete their own; moderators
//! hide and restore anyone's. Bodies are Markdown, kept as written; the edges render them
//! (sanitised) and never show raw HTML.

use paperhub_core::Role;
use paperhub_store::{Account, Comment};

use crate::{Hub, HubError, Result};

/// The longest comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// A comment as shown: a hidden or deleted one keeps its place in the thread, not its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Its Markdown, when shown (`None`: hidden by a moderator, or deleted by its author).
    pub body: Option<String>,
}

fn check_body(body: &str) -> Result<String> {
    let body = body.trim();
    if body.is_empty() {
        return Err(HubError::Invalid("the comment is empty".into()));
    }
    let chars = body.chars().count();
    if chars > MAX_COMMENT_CHARS {
        return Err(HubError::Invalid(format!(
            "the comment has {chars} characters; at most {MAX_COMMENT_CHARS}"
        )));
    }
    Ok(body.to_owned())
}

fn not_banned(account: &Account) -> Result<()> {
    if account.banned {
        return Err(HubError::Forbidden(
            "this account is banned: it may read, not comment".into(),
        ));
    }
    Ok(())
}

impl Hub {
    /// The key of the paper `paper_id`, or [`HubError::NotFound`].
    fn paper_key(&self, paper_id: &str) -> Result<u64> {
        let paper = self
            .find_paper(paper_id)?
            .ok_or_else(|| HubError::NotFound(format!("no paper `{paper_id}`")))?;
        self.store
            .key_of(&paper.id)?
            .ok_or_else(|| HubError::NotFound(format!("no paper `{paper_id}`")))
    }

    /// The comment `id` and whether `account` wrote it.
    fn own_comment(&self, account: &Account, id: u64) -> Result<Comment> {
        let comment = self
            .store
            .comment(id)?
            .filter(|c| !c.deleted)
            .ok_or_else(|| HubError::NotFound(format!("no comment {id}")))?;
        if comment.account_id != Some(account.id) {
            return Err(HubError::Forbidden(format!(
                "comment {id} is not yours: only its author may change it"
            )));
        }
        Ok(comment)
    }

    /// `account` comments on the paper `paper_id`, in reply to `parent` (a comment on the
    /// same paper) if given.
    pub fn add_comment(
        &self,
        account: &Account,
        paper_id: &str,
        parent: Option<u64>,
        body: &str,
    ) -> Result<Comment> {
        not_banned(account)?;
        let body = check_body(body)?;
        let key = self.paper_key(paper_id)?;
        let added = match self.store.add_comment(key, account.id, parent, &body) {
            Err(paperhub_store::StoreError::NotFound) => Err(HubError::Invalid(format!(
                "there is no comment {} on this paper to reply to",
                parent.unwrap_or_default()
            ))),
            other => Ok(other?),
        };
        self.community_changed();
        added
    }

    /// The comments on the paper `paper_id`, oldest first, as shown.
    pub fn comments(&self, paper_id: &str) -> Result<Vec<CommentView>> {
        let key = self.paper_key(paper_id)?;
        Ok(self
            .store
            .comments(key)?
            .into_iter()
            .map(|comment| CommentView {
                body: (!comment.hidden && !comment.deleted).then(|| comment.body.clone()),
                comment,
            })
            .collect())
    }

    /// The author edits comment `id`.
    pub fn edit_comment(&self, account: &Account, id: u64, body: &str) -> Result<Comment> {
        not_banned(account)?;
        let body = check_body(body)?;
        self.own_comment(account, id)?;
        self.store.edit_comment(id, &body)?;
        self.store
            .comment(id)?
            .ok_or_else(|| HubError::NotFound(format!("no comment {id}")))
    }

    /// The author deletes comment `id` (it keeps its place while replies hang on it).
    pub fn delete_comment(&self, account: &Account, id: u64) -> Result<()> {
        self.own_comment(account, id)?;
        self.store.mark_comment(id, None, Some(true))?;
        self.community_changed();
        Ok(())
    }

    /// A moderator (or admin) hides or restores comment `id`.
    pub fn hide_comment(&self, account: &Account, id: u64, hidden: bool) -> Result<()> {
        if account.role < Role::Moderator || account.banned {
            return Err(HubError::Forbidden(
                "only moderators hide and restore comments".into(),
            ));
        }
        let marked = match self.store.mark_comment(id, Some(hidden), None) {
            Err(paperhub_store::StoreError::NotFound) => {
                Err(HubError::NotFound(format!("no comment {id}")))
            }
            other => Ok(other?),
        };
        self.community_changed();
        marked
    }

    /// How many shown comments each paper has, in order.
    pub fn comment_counts(&self, papers: &[&paperhub_core::PaperId]) -> Result<Vec<u64>> {
        let mut keys = Vec::with_capacity(papers.len());
        for id in papers {
            keys.push(self.store.key_of(id)?.unwrap_or(u64::MAX));
        }
        Ok(self.store.comment_counts(&keys)?)
    }
}
