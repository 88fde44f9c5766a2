//! Import from and export to reference managers: a BibTeX or CSL-JSON file into a tag, its
//! entries matched to hub papers by arXiv id, then DOI, then title; a tag out as BibTeX,
//! CSL-JSON or RIS.

use paperhub_cite::{Format, Reference};
use paperhub_core::{Paper, PaperId};
use paperhub_store::{Account, Label};
use serde::Serialize;

use super::{check_tag, Library};
use crate::{HubError, Result};

/// The largest file an import takes.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;
/// The most entries an import takes.
pub const MAX_IMPORT_ENTRIES: usize = 5_000;

/// An entry matched to a hub paper.
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    /// Where it is in the file (`line 12`, `item 3`).
    pub at: String,
    /// Its citation key or id.
    pub key: Option<String>,
    /// The hub paper.
    pub id: PaperId,
    /// What matched: `arxiv_id`, `doi` or `title`.
    pub by: &'static str,
}

/// An entry not imported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    /// Where it is in the file.
    pub at: String,
    /// Its citation key or id, when it could be read.
    pub key: Option<String>,
    /// Why it was not imported.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The tag.
    pub tag: String,
    /// Entries in the file.
    pub entries: usize,
    /// Papers newly saved to the tag.
    pub added: u64,
    /// The entries matched, in file order.
    pub matched: Vec<Matched>,
    /// The entries not imported (unreadable or not on the hub), in file order.
    pub unmatched: Vec<Unmatched>,
}

impl Library<'_> {
    /// The hub paper an entry names, and by what.
    fn match_reference(&self, reference: &Reference) -> Result<Option<(Paper, &'static str)>> {
        if let Some(arxiv) = &reference.arxiv_id {
            if let Some(paper) = self.hub.find_paper(arxiv.as_str())? {
                return Ok(Some((paper, "arxiv_id")));
            }
        }
        if let Some(doi) = &reference.doi {
            if let Some(paper) = self.store().find_by_doi(doi)? {
                return Ok(Some((paper, "doi")));
            }
        }
        if let Some(title) = &reference.title {
            let key = paperhub_core::text::title_key(title);
            if !key.is_empty() {
                if let Some(paper) = self.store().find_by_title(&key)?.into_iter().next() {
                    return Ok(Some((paper, "title")));
                }
            }
        }
        Ok(None)
    }

    /// Saves the papers a BibTeX or CSL-JSON file names to the member's tag (making it if it
    /// is new). Entries that cannot be read or match no hub paper are reported with their line
    /// (BibTeX) or index (CSL-JSON); the matched ones are saved in one transaction, so a
    /// failure saves none. A file over [`MAX_IMPORT_BYTES`] or [`MAX_IMPORT_ENTRIES`] is
    /// refused before anything is read into the store.
    pub fn import(&self, account: &Account, tag: &str, body: &str) -> Result<ImportReport> {
        let tag = check_tag(tag)?;
        if body.len() > MAX_IMPORT_BYTES {
            return Err(HubError::OutOfRange(format!(
                "the file is {} bytes; an import takes at most {MAX_IMPORT_BYTES} bytes \
                 ({MAX_IMPORT_ENTRIES} entries): split it",
                body.len()
            )));
        }
        let read = paperhub_cite::read(body).map_err(|e| HubError::Invalid(e.to_string()))?;
        let entries = read.references.len() + read.unreadable.len();
        if entries > MAX_IMPORT_ENTRIES {
            return Err(HubError::OutOfRange(format!(
                "the file holds {entries} entries; an import takes at most {MAX_IMPORT_ENTRIES}: split it"
            )));
        }
        let mut matched = Vec::new();
        let mut unmatched: Vec<(paperhub_cite::Position, Unmatched)> = read
            .unreadable
            .iter()
            .map(|u| {
                (
                    u.position,
                    Unmatched {
                        at: u.position.to_string(),
                        key: None,
                        reason: u.reason.clone(),
                    },
                )
            })
            .collect();
        let mut keys = Vec::new();
        for reference in &read.references {
            match self.match_reference(reference)? {
                Some((paper, by)) => {
                    if let Some(key) = self.store().key_of(&paper.id)? {
                        keys.push(key);
                    }
                    matched.push(Matched {
                        at: reference.position.to_string(),
                        key: reference.key.clone(),
                        id: paper.id,
                        by,
                    });
                }
                None => unmatched.push((
                    reference.position,
                    Unmatched {
                        at: reference.position.to_string(),
                        key: reference.key.clone(),
                        reason: "no paper on this hub has its arXiv id, DOI or title".into(),
                    },
                )),
            }
        }
        unmatched.sort_by_key(|(position, _)| match position {
            paperhub_cite::Position::Line(n) | paperhub_cite::Position::Index(n) => *n,
        });
        keys.sort_unstable();
        keys.dedup();
        let added = self.label_keys(account, &tag, &keys, Label::Saved)?;
        Ok(ImportReport {
            tag,
            entries,
            added,
            matched,
            unmatched: unmatched.into_iter().map(|(_, u)| u).collect(),
        })
    }

    /// The saved papers of the member's tag as `format`, oldest first.
    pub fn export(
        &self,
        account: &Account,
        tag: &str,
        format: Format,
        hub_url: &str,
    ) -> Result<String> {
        let papers: Vec<Paper> = self
            .papers(account, tag)?
            .into_iter()
            .filter(|p| p.label == "saved")
            .map(|p| p.paper)
            .collect();
        Ok(paperhub_cite::write(
            format,
            &papers,
            hub_url.trim_end_matches('/'),
        ))
    }
}
