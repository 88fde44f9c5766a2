//! A member's library: papers saved to named tags, thumbs-down marks, private notes, seen
//! marks; recommendations per tag and for all tags together ([`recommendations`]); import
//! from and export to reference managers ([`references`]).
//!
//! Everything here is the member's own: another member's tag, note or seen mark is answered
//! as if it did not exist ([`HubError::NotFound`]), never as forbidden, so nobody learns which
//! tags others keep.

mod alerts;
mod feeds;
mod recommendations;
mod references;

use std::collections::HashSet;

use paperhub_core::{Paper, PaperId};
use paperhub_store::{Account, Label, TagEntry, TagSummary};
use serde::Serialize;

use crate::{Hub, HubError, Result};

pub(crate) use alerts::request_of;
pub use alerts::{AlertPaper, AlertResults, MAX_SAVED_SEARCHES};
pub use feeds::{Pick, FEED_TOKEN_PREFIX};
pub use recommendations::{NearPaper, Recommendation, RecommendationWhy, MAX_RECOMMENDATIONS};
pub use references::{ImportReport, Matched, Unmatched, MAX_IMPORT_BYTES, MAX_IMPORT_ENTRIES};

/// The longest tag name, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// The most tags a member may keep.
pub const MAX_TAGS: usize = 200;
/// The most papers one tag may hold (saved and rejected together).
pub const MAX_TAG_PAPERS: usize = 10_000;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 20_000;

/// A tag name as given, checked: trimmed, 1 to [`MAX_TAG_CHARS`] characters, no control
/// characters and no `/` (a tag is a path segment of its URLs).
pub fn check_tag(name: &str) -> Result<String> {
    check_name("tag", name)
}

/// A name of a tag or a saved search (`what`), checked as [`check_tag`] says.
pub(crate) fn check_name(what: &str, name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(HubError::Invalid(format!("a {what} needs a name")));
    }
    if name.chars().count() > MAX_TAG_CHARS {
        return Err(HubError::Invalid(format!(
            "a {what} name has at most {MAX_TAG_CHARS} characters"
        )));
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return Err(HubError::Invalid(format!(
            "a {what} name may not hold `/` or control characters"
        )));
    }
    Ok(name.to_owned())
}

/// A paper in a tag, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct TaggedPaper {
    /// The paper.
    #[serde(flatten)]
    pub paper: Paper,
    /// `saved` or `rejected`.
    pub label: &'static str,
    /// When it was saved or rejected (RFC 3339).
    pub added_at: String,
}

/// The name of a label in the API.
pub fn label_name(label: Label) -> &'static str {
    match label {
        Label::Saved => "saved",
        Label::Rejected => "rejected",
    }
}

/// What a save or a thumbs-down did.
#[derive(Debug, Clone, Serialize)]
pub struct Labelled {
    /// The tag.
    pub tag: String,
    /// The paper's hub id.
    pub id: PaperId,
    /// `saved` or `rejected`.
    pub label: &'static str,
    /// Whether it changed anything.
    pub changed: bool,
}

/// The library use cases of one hub.
pub struct Library<'a> {
    hub: &'a Hub,
}

impl Hub {
    /// Members' libraries.
    pub fn library(&self) -> Library<'_> {
        Library { hub: self }
    }
}

impl Library<'_> {
    fn store(&self) -> &dyn paperhub_store::Store {
        self.hub.store()
    }

    /// The paper and its key, or [`HubError::NotFound`].
    pub(crate) fn paper(&self, paper_id: &str) -> Result<(Paper, u64)> {
        let not_found = || HubError::NotFound(format!("no paper `{paper_id}`"));
        let paper = self.hub.find_paper(paper_id)?.ok_or_else(not_found)?;
        let key = self.store().key_of(&paper.id)?.ok_or_else(not_found)?;
        Ok((paper, key))
    }

    /// The member's tags.
    pub fn tags(&self, account: &Account) -> Result<Vec<TagSummary>> {
        Ok(self.store().tags(account.id)?)
    }

    /// The entries of the member's tag, or [`HubError::NotFound`] (also for another's tag).
    pub fn entries(&self, account: &Account, tag: &str) -> Result<Vec<TagEntry>> {
        let tag = check_tag(tag)?;
        self.store()
            .tag_entries(account.id, &tag)?
            .ok_or_else(|| HubError::NotFound(format!("you have no tag `{tag}`")))
    }

    /// The papers of a tag (saved first, then rejected; oldest first within each).
    pub fn papers(&self, account: &Account, tag: &str) -> Result<Vec<TaggedPaper>> {
        let mut entries = self.entries(account, tag)?;
        entries.sort_by_key(|e| e.label != Label::Saved);
        let keys: Vec<u64> = entries.iter().map(|e| e.paper_key).collect();
        let papers: std::collections::HashMap<u64, Paper> = self
            .store()
            .get_by_keys(&keys)?
            .into_iter()
            .map(|p| (p.key, p.paper))
            .collect();
        Ok(entries
            .iter()
            .filter_map(|e| {
                Some(TaggedPaper {
                    paper: papers.get(&e.paper_key)?.clone(),
                    label: label_name(e.label),
                    added_at: e.added_at.to_rfc3339(),
                })
            })
            .collect())
    }

    /// Room for `adding` more papers in a tag that holds `held`, and for the tag itself.
    fn check_room(
        &self,
        account: &Account,
        tag: &str,
        held: Option<usize>,
        adding: usize,
    ) -> Result<()> {
        match held {
            Some(held) if held + adding > MAX_TAG_PAPERS => Err(HubError::OutOfRange(format!(
                "a tag holds at most {MAX_TAG_PAPERS} papers; `{tag}` has {held}"
            ))),
            None if self.store().tags(account.id)?.len() >= MAX_TAGS => Err(HubError::OutOfRange(
                format!("a member keeps at most {MAX_TAGS} tags"),
            )),
            _ => Ok(()),
        }
    }

    /// Puts papers (by key) into a tag with `label`, all or none.
    pub(crate) fn label_keys(
        &self,
        account: &Account,
        tag: &str,
        keys: &[u64],
        label: Label,
    ) -> Result<u64> {
        let held = self.store().tag_entries(account.id, tag)?;
        let new = match &held {
            Some(entries) => {
                let there: HashSet<u64> = entries.iter().map(|e| e.paper_key).collect();
                keys.iter().filter(|k| !there.contains(k)).count()
            }
            None => keys.len(),
        };
        self.check_room(account, tag, held.map(|h| h.len()), new)?;
        Ok(self.store().label_papers(account.id, tag, keys, label)?)
    }

    /// Saves a paper to the member's tag (making the tag if it is new), or gives it a
    /// thumbs-down there (`Label::Rejected`): it is then a negative example for the tag's
    /// recommendations and never recommended for it again.
    pub fn label(
        &self,
        account: &Account,
        tag: &str,
        paper_id: &str,
        label: Label,
    ) -> Result<Labelled> {
        let tag = check_tag(tag)?;
        let (paper, key) = self.paper(paper_id)?;
        let changed = self.label_keys(account, &tag, &[key], label)? > 0;
        Ok(Labelled {
            tag,
            id: paper.id,
            label: label_name(label),
            changed,
        })
    }

    /// Takes a paper out of the member's tag; [`HubError::NotFound`] when it was not there.
    pub fn remove(&self, account: &Account, tag: &str, paper_id: &str) -> Result<PaperId> {
        let tag = check_tag(tag)?;
        let (paper, key) = self.paper(paper_id)?;
        if self.store().unlabel_paper(account.id, &tag, key)? {
            Ok(paper.id)
        } else {
            Err(HubError::NotFound(format!(
                "`{}` is not in your tag `{tag}`",
                paper.id
            )))
        }
    }

    /// Forgets every thumbs-down of a tag; how many there were.
    pub fn reset(&self, account: &Account, tag: &str) -> Result<u64> {
        let tag = check_tag(tag)?;
        self.entries(account, &tag)?;
        Ok(self
            .store()
            .clear_label(account.id, &tag, Label::Rejected)?)
    }

    /// Deletes the member's tag.
    pub fn delete_tag(&self, account: &Account, tag: &str) -> Result<()> {
        let tag = check_tag(tag)?;
        if self.store().delete_tag(account.id, &tag)? {
            Ok(())
        } else {
            Err(HubError::NotFound(format!("you have no tag `{tag}`")))
        }
    }

    /// The member's tags holding a paper, with its label in each.
    pub fn tags_of(
        &self,
        account: &Account,
        paper_id: &PaperId,
    ) -> Result<Vec<(String, &'static str)>> {
        let Some(key) = self.store().key_of(paper_id)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .store()
            .tags_of(account.id, key)?
            .into_iter()
            .map(|(tag, label)| (tag, label_name(label)))
            .collect())
    }

    /// Sets the member's private note on a paper (an empty one removes it).
    pub fn set_note(
        &self,
        account: &Account,
        paper_id: &str,
        body: &str,
    ) -> Result<Option<String>> {
        if body.chars().count() > MAX_NOTE_CHARS {
            return Err(HubError::Invalid(format!(
                "a note has at most {MAX_NOTE_CHARS} characters"
            )));
        }
        let (_, key) = self.paper(paper_id)?;
        self.store().set_note(account.id, key, Some(body))?;
        Ok(self.store().notes(account.id, &[key])?.pop().flatten())
    }

    /// The member's note on a paper.
    pub fn note(&self, account: &Account, paper_id: &str) -> Result<Option<String>> {
        let (_, key) = self.paper(paper_id)?;
        Ok(self.store().notes(account.id, &[key])?.pop().flatten())
    }

    /// Marks papers seen by the member (unknown ids are skipped).
    pub fn mark_seen(&self, account: &Account, paper_ids: &[&PaperId]) -> Result<()> {
        let keys: Vec<u64> = self
            .store()
            .keys_of(paper_ids)?
            .into_iter()
            .flatten()
            .collect();
        Ok(self.store().mark_seen(account.id, &keys)?)
    }

    /// Whether the member has seen each paper.
    pub fn seen(&self, account: &Account, paper_ids: &[&PaperId]) -> Result<Vec<bool>> {
        let keys: Vec<Option<u64>> = self.store().keys_of(paper_ids)?;
        let known: Vec<u64> = keys.iter().flatten().copied().collect();
        let mut seen = self.store().seen(account.id, &known)?.into_iter();
        Ok(keys
            .iter()
            .map(|k| k.is_some() && seen.next().unwrap_or(false))
            .collect())
    }
}
