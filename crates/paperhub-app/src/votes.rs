//! Upvotes: one per member per paper, given and taken back; banned members may not vote.

use paperhub_core::PaperId;
use paperhub_store::Account;
use serde::Serialize;

use crate::{Hub, HubError, Result};

/// A paper's votes after one was given or taken back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoteOutcome {
    /// The paper.
    pub id: PaperId,
    /// Its votes now.
    pub votes: u64,
    /// Whether the account's vote is on it now.
    pub voted: bool,
}

impl Hub {
    /// Gives (`up`) or takes back `account`'s vote on the paper `paper_id` (hub id, arXiv id in
    /// any spelling, or source id), idempotently. A banned account is
    /// [`HubError::Forbidden`]; an unknown paper [`HubError::NotFound`].
    pub fn vote(&self, account: &Account, paper_id: &str, up: bool) -> Result<VoteOutcome> {
        if account.banned {
            return Err(HubError::Forbidden(
                "this account is banned: it may read, not vote".into(),
            ));
        }
        let paper = self
            .find_paper(paper_id)?
            .ok_or_else(|| HubError::NotFound(format!("no paper `{paper_id}`")))?;
        let key = self
            .store
            .key_of(&paper.id)?
            .ok_or_else(|| HubError::NotFound(format!("no paper `{paper_id}`")))?;
        let votes = self.store.set_vote(account.id, key, up)?;
        self.community_changed();
        Ok(VoteOutcome {
            id: paper.id,
            votes,
            voted: up,
        })
    }

    /// Whether `account`'s vote is on the paper `paper_id`.
    pub fn has_voted(&self, account: &Account, paper_id: &PaperId) -> Result<bool> {
        let Some(key) = self.store.key_of(paper_id)? else {
            return Ok(false);
        };
        Ok(self
            .store
            .voted(account.id, &[key])?
            .first()
            .copied()
            .unwrap_or(false))
    }

    /// The votes of each paper, in order.
    pub fn vote_counts(&self, papers: &[&PaperId]) -> Result<Vec<u64>> {
        let ids: Vec<&str> = papers.iter().map(|id| id.as_str()).collect();
        Ok(self.store.vote_counts(&ids)?)
    }
}
