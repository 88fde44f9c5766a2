//! The member's picks (recommendations of all tags and the finds of every saved search,
//! together) and the secret that opens the member's private feeds of them. The token is
//! shown once, kept only as its SHA-256, and revoked by making a new one or by revoking it;
//! an unknown token is answered as [`HubError::NotFound`], like another member's tag.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use paperhub_core::Paper;
use paperhub_store::Account;
use serde::Serialize;

use super::Library;
use crate::accounts::random_hex;
use crate::{token_hash, HubError, Result};

/// A private feed token starts with this (so a leaked one is recognised for what it is).
pub const FEED_TOKEN_PREFIX: &str = "pf_";

/// One of the member's picks.
#[derive(Debug, Clone, Serialize)]
pub struct Pick {
    /// The paper.
    pub paper: Paper,
    /// Why it is picked, in a sentence.
    pub why: String,
    /// Whether the member has seen it.
    pub seen: bool,
}

impl Library<'_> {
    /// Makes the member a new private feed token (the one before stops working) and returns
    /// it: the only time it is shown.
    pub fn new_feed_token(&self, account: &Account) -> Result<String> {
        let token = format!("{FEED_TOKEN_PREFIX}{}", random_hex());
        self.store()
            .set_feed_token(account.id, Some(&token_hash(&token)), Utc::now())?;
        Ok(token)
    }

    /// Revokes the member's private feed token: its feeds answer 404 from now on.
    pub fn revoke_feed_token(&self, account: &Account) -> Result<()> {
        Ok(self.store().set_feed_token(account.id, None, Utc::now())?)
    }

    /// When the member's private feed token was made, if there is one.
    pub fn feed_token_made(&self, account: &Account) -> Result<Option<DateTime<Utc>>> {
        Ok(self.store().feed_token_made(account.id)?)
    }

    /// The member a private feed token belongs to; [`HubError::NotFound`] for a token that
    /// is unknown or revoked, or whose account is banned.
    pub fn feed_owner(&self, token: &str) -> Result<Account> {
        let not_found = || HubError::NotFound("no such feed".into());
        let token = token.trim();
        if !token.starts_with(FEED_TOKEN_PREFIX) {
            return Err(not_found());
        }
        let id = self
            .store()
            .feed_token_account(&token_hash(token))?
            .ok_or_else(not_found)?;
        match self.store().account(id)? {
            Some(account) if !account.banned => Ok(account),
            _ => Err(not_found()),
        }
    }

    /// Up to `limit` picks for the member: the recommendations of all tags together and the
    /// finds of each saved search, taken in turn (one of each, then the next of each), each
    /// paper once; with `hide_seen`, none the member has seen. Without the embedding model
    /// the picks are the saved searches' keyword finds alone.
    pub fn picks(&self, account: &Account, limit: usize, hide_seen: bool) -> Result<Vec<Pick>> {
        let limit = limit.clamp(1, super::MAX_RECOMMENDATIONS);
        let mut lists: Vec<Vec<Pick>> = Vec::new();
        match self.recommendations(account, None, limit, hide_seen) {
            Ok(found) => lists.push(
                found
                    .into_iter()
                    .map(|r| Pick {
                        why: r.why.summary,
                        seen: r.seen,
                        paper: r.paper,
                    })
                    .collect(),
            ),
            Err(HubError::ModelMissing) => {}
            Err(other) => return Err(other),
        }
        for search in self.saved_searches(account)? {
            let name = search.name.clone();
            let found = match self.alert(account, search, limit, hide_seen) {
                Ok(found) => found,
                // A semantic search saved before the model went away finds nothing now.
                Err(HubError::ModelMissing) => continue,
                Err(other) => return Err(other),
            };
            lists.push(
                found
                    .papers
                    .into_iter()
                    .map(|p| Pick {
                        why: format!("Found by your saved search “{name}”"),
                        seen: p.seen,
                        paper: p.paper,
                    })
                    .collect(),
            );
        }
        Ok(interleave(lists, limit))
    }
}

/// The lists taken in turn, one item of each at a time, each paper once, `limit` at most.
fn interleave(lists: Vec<Vec<Pick>>, limit: usize) -> Vec<Pick> {
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut taken: HashSet<paperhub_core::PaperId> = HashSet::new();
    let mut out = Vec::new();
    while out.len() < limit {
        let mut any = false;
        for iter in &mut iters {
            for pick in iter.by_ref() {
                any = true;
                if taken.insert(pick.paper.id.clone()) {
                    out.push(pick);
                    break;
                }
            }
            if out.len() == limit {
                break;
            }
        }
        if !any {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(id: &str) -> Pick {
        let meta = paperhub_core::PaperMeta {
            title: id.into(),
            ..paperhub_core::PaperMeta::default()
        };
        Pick {
            paper: Paper {
                id: paperhub_core::PaperId::parse(id).unwrap(),
                meta,
                listed_on: None,
            },
            why: String::new(),
            seen: false,
        }
    }

    #[test]
    fn picks_take_each_list_in_turn_and_each_paper_once() {
        let ids = |picks: &[Pick]| -> Vec<String> {
            picks.iter().map(|p| p.paper.meta.title.clone()).collect()
        };
        let lists = vec![
            vec![pick("a"), pick("b"), pick("c")],
            vec![pick("a"), pick("x")],
            vec![pick("y")],
        ];
        assert_eq!(
            ids(&interleave(lists.clone(), 10)),
            ["a", "x", "y", "b", "c"]
        );
        assert_eq!(ids(&interleave(lists, 2)), ["a", "x"]);
        assert!(interleave(Vec::new(), 5).is_empty());
    }
}
