//! Which record is which paper, and what a batch writes: the rule every backend shares.
//!
//! A record matches a stored paper by arXiv id; else (for a record without an arXiv id) by its
//! source key; else by its normalised title. A record with an arXiv id that no paper has yet
//! may still be a paper that arrived first without any id (a listing page): it matches such a
//! paper by title. A match is merged ([`PaperMeta::merge_from`]: newer versions win, other
//! records fill gaps) and keeps its id and key; every paper added or changed takes the next
//! sequence number.
//!
//! This module holds that rule as plain code over three small lookups ([`Lookups`]), so each
//! backend holds only its SQL: it opens a transaction that serialises writers, answers the
//! lookups, hands the result of [`plan_batch`] to its own bulk writes, and commits.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use paperhub_core::{Identity, Paper, PaperId, PaperMeta};
use sha2::{Digest, Sha256};

use crate::{BatchResult, Result, StoreError, StoredPaper, UpsertOutcome};

/// 64 bits of SHA-256 of a title key: a small integer key for the title index (a text index
/// of whole titles was the largest index and the slowest to insert into). Two titles may share
/// a hash, so a match by hash is checked against the whole key.
pub fn title_hash(title_key: &str) -> i64 {
    let digest = Sha256::digest(title_key.as_bytes());
    i64::from_le_bytes(
        digest[..8]
            .try_into()
            .expect("invariant: SHA-256 has 32 bytes"),
    )
}

/// The papers a batch may match, looked up inside the backend's write transaction.
/// Each answers every stored paper with one of the values asked for, in any order.
pub trait Lookups {
    /// Papers with these arXiv ids (canonical, without version).
    fn by_arxiv_ids(&mut self, ids: &[&str]) -> Result<Vec<StoredPaper>>;
    /// Papers with these source keys (`namespace:source_id`).
    fn by_source_keys(&mut self, keys: &[&str]) -> Result<Vec<StoredPaper>>;
    /// Papers whose title key hashes to one of these ([`title_hash`]).
    fn by_title_hashes(&mut self, hashes: &[i64]) -> Result<Vec<StoredPaper>>;
}

/// One paper row as a backend writes it: the paper and the columns it is looked up by.
#[derive(Debug, Clone, PartialEq)]
pub struct PaperRow {
    /// The store's key.
    pub key: u64,
    /// The sequence number of this change.
    pub seq: u64,
    /// The hub id.
    pub id: String,
    /// The canonical arXiv id, without version.
    pub arxiv_id: Option<String>,
    /// `namespace:source_id`.
    pub source_key: Option<String>,
    /// The id its source gave it.
    pub source_id: Option<String>,
    /// [`title_hash`] of the title key.
    pub title_hash: i64,
    /// The arXiv version.
    pub version: Option<i64>,
    /// The day it is listed on.
    pub listed_on: Option<NaiveDate>,
    /// The format it first came in.
    pub format: Option<&'static str>,
    /// The metadata as JSON.
    pub meta: String,
}

impl PaperRow {
    /// The row of a stored paper.
    pub fn of(stored: &StoredPaper) -> Result<Self> {
        let meta = &stored.paper.meta;
        Ok(PaperRow {
            key: stored.key,
            seq: stored.seq,
            id: stored.paper.id.as_str().to_owned(),
            arxiv_id: meta.arxiv_id.as_ref().map(|a| a.as_str().to_owned()),
            source_key: meta.source_key(),
            source_id: meta.source_id.clone(),
            title_hash: title_hash(&meta.title_key()),
            version: meta.version().map(i64::from),
            listed_on: stored.paper.listed_on,
            format: meta.format.map(|f| f.as_str()),
            meta: serde_json::to_string(meta).map_err(StoreError::other)?,
        })
    }

    /// Reads a paper back from its stored parts.
    pub fn decode(
        key: u64,
        seq: u64,
        id: &str,
        listed_on: Option<NaiveDate>,
        meta: &str,
    ) -> Result<StoredPaper> {
        let meta: PaperMeta = serde_json::from_str(meta)
            .map_err(|e| StoreError::other(anyhow::anyhow!("paper {id}: bad metadata: {e}")))?;
        let id = PaperId::parse(id)
            .ok_or_else(|| StoreError::other(anyhow::anyhow!("paper key {key}: empty id")))?;
        Ok(StoredPaper {
            key,
            seq,
            paper: Paper {
                id,
                listed_on,
                meta,
            },
        })
    }
}

/// A row the batch writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// The row as it ends the batch.
    pub row: PaperRow,
    /// Whether the row is new (insert) or replaces a stored one (update).
    pub insert: bool,
}

/// What a batch does: the rows to write, and what to tell the caller once they are committed.
#[derive(Debug, Clone, Default)]
pub struct BatchPlan {
    /// One write per paper added or changed, in the order each was first touched.
    pub writes: Vec<Write>,
    /// The result to return after the commit.
    pub result: BatchResult,
}

/// The papers known while planning a batch: those looked up and those the batch made.
#[derive(Default)]
struct Known {
    papers: HashMap<u64, StoredPaper>,
    by_arxiv: HashMap<String, u64>,
    by_source: HashMap<String, u64>,
    by_title: HashMap<i64, Vec<u64>>,
}

impl Known {
    fn add(&mut self, paper: StoredPaper) {
        let meta = &paper.paper.meta;
        if let Some(arxiv) = &meta.arxiv_id {
            self.by_arxiv.insert(arxiv.as_str().to_owned(), paper.key);
        }
        if let Some(source) = meta.source_key() {
            self.by_source.insert(source, paper.key);
        }
        let keys = self
            .by_title
            .entry(title_hash(&meta.title_key()))
            .or_default();
        if !keys.contains(&paper.key) {
            keys.push(paper.key);
            keys.sort_unstable();
        }
        self.papers.insert(paper.key, paper);
    }

    /// The paper a record belongs to. Every candidate from a map is checked against the
    /// paper as it is now, since a paper changed earlier in the batch may no longer qualify.
    fn find(&self, meta: &PaperMeta, title_key: &str) -> Option<u64> {
        let now = |key: &u64| self.papers.get(key);
        let title_matches = |untagged_only: bool| -> Option<u64> {
            let keys = self.by_title.get(&title_hash(title_key))?;
            let candidates = keys
                .iter()
                .filter_map(now)
                .filter(|p| p.paper.meta.title_key() == title_key);
            if untagged_only {
                candidates
                    .filter(|p| {
                        p.paper.meta.arxiv_id.is_none() && p.paper.meta.source_key().is_none()
                    })
                    .map(|p| p.key)
                    .min()
            } else {
                // Prefer a paper with an arXiv id, then the oldest.
                candidates
                    .map(|p| (p.paper.meta.arxiv_id.is_none(), p.key))
                    .min()
                    .map(|(_, key)| key)
            }
        };
        match meta.identity() {
            Identity::Arxiv(arxiv) => self
                .by_arxiv
                .get(&arxiv)
                .filter(|k| {
                    now(k)
                        .and_then(|p| p.paper.meta.arxiv_id.as_ref())
                        .is_some_and(|a| a.as_str() == arxiv)
                })
                .copied()
                .or_else(|| title_matches(true)),
            Identity::Source(source) => self
                .by_source
                .get(&source)
                .filter(|k| now(k).and_then(|p| p.paper.meta.source_key()) == Some(source.clone()))
                .copied(),
            Identity::Title(_) => title_matches(false),
        }
    }
}

/// Plans the upsert of `batch` (see the module doc) in a store whose last sequence number is
/// `last_seq` and whose next free key is `next_key`, asking `lookups` for the stored papers
/// the records may match.
pub fn plan_batch(
    lookups: &mut impl Lookups,
    batch: &[PaperMeta],
    last_seq: u64,
    next_key: u64,
) -> Result<BatchPlan> {
    let mut known = Known::default();
    let identities: Vec<Identity> = batch.iter().map(PaperMeta::identity).collect();
    let title_keys: Vec<String> = batch.iter().map(PaperMeta::title_key).collect();

    let arxiv_ids: HashSet<&str> = identities
        .iter()
        .filter_map(|i| match i {
            Identity::Arxiv(a) => Some(a.as_str()),
            _ => None,
        })
        .collect();
    let source_keys: HashSet<&str> = identities
        .iter()
        .filter_map(|i| match i {
            Identity::Source(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    if !arxiv_ids.is_empty() {
        let ids: Vec<&str> = arxiv_ids.iter().copied().collect();
        for paper in lookups.by_arxiv_ids(&ids)? {
            known.add(paper);
        }
    }
    if !source_keys.is_empty() {
        let keys: Vec<&str> = source_keys.iter().copied().collect();
        for paper in lookups.by_source_keys(&keys)? {
            known.add(paper);
        }
    }
    // Titles are looked up only where they can decide: records known by their title, and
    // records with an arXiv id no stored paper has.
    let hashes: HashSet<i64> = identities
        .iter()
        .zip(&title_keys)
        .filter(|(identity, _)| match identity {
            Identity::Title(_) => true,
            Identity::Arxiv(a) => !known.by_arxiv.contains_key(a),
            Identity::Source(_) => false,
        })
        .map(|(_, key)| title_hash(key))
        .collect();
    if !hashes.is_empty() {
        let hashes: Vec<i64> = hashes.into_iter().collect();
        for paper in lookups.by_title_hashes(&hashes)? {
            if !known.papers.contains_key(&paper.key) {
                known.add(paper);
            }
        }
    }

    let mut seq = last_seq;
    let mut key = next_key;
    let mut plan = BatchPlan::default();
    plan.result.outcomes.reserve(batch.len());
    // Where each changed paper sits in `writes` and `result.changed`.
    let mut written: HashMap<u64, usize> = HashMap::new();
    for (incoming, title_key) in batch.iter().zip(&title_keys) {
        let (outcome, stored) = match known.find(incoming, title_key) {
            Some(found) => {
                let mut stored = known.papers[&found].clone();
                if !stored.paper.meta.merge_from(incoming) {
                    plan.result.outcomes.push(UpsertOutcome::Unchanged);
                    continue;
                }
                if stored.paper.listed_on.is_none() {
                    stored.paper.listed_on = stored.paper.meta.listing_day();
                }
                seq += 1;
                stored.seq = seq;
                (UpsertOutcome::Updated, stored)
            }
            None => {
                seq += 1;
                let stored = StoredPaper {
                    key,
                    seq,
                    paper: Paper {
                        id: PaperId::for_identity(&incoming.identity()),
                        listed_on: incoming.listing_day(),
                        meta: incoming.clone(),
                    },
                };
                key += 1;
                (UpsertOutcome::Added, stored)
            }
        };
        plan.result.outcomes.push(outcome);
        let row = PaperRow::of(&stored)?;
        // A paper changed twice in one batch is written and reported once, as it ends up.
        match written.get(&stored.key) {
            Some(&at) => {
                plan.writes[at].row = row;
                plan.result.changed[at] = stored.clone();
            }
            None => {
                written.insert(stored.key, plan.writes.len());
                let insert = outcome == UpsertOutcome::Added;
                plan.writes.push(Write { row, insert });
                plan.result.changed.push(stored.clone());
                plan.result.added.push(insert);
            }
        }
        known.add(stored);
    }
    plan.result.last_seq = seq;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperhub_core::ArxivId;

    /// Lookups over a plain list, as a backend's SQL would answer them.
    #[derive(Default)]
    struct InMemory(Vec<StoredPaper>);

    impl Lookups for InMemory {
        fn by_arxiv_ids(&mut self, ids: &[&str]) -> Result<Vec<StoredPaper>> {
            Ok(self
                .0
                .iter()
                .filter(|p| {
                    p.paper
                        .meta
                        .arxiv_id
                        .as_ref()
                        .is_some_and(|a| ids.contains(&a.as_str()))
                })
                .cloned()
                .collect())
        }
        fn by_source_keys(&mut self, keys: &[&str]) -> Result<Vec<StoredPaper>> {
            Ok(self
                .0
                .iter()
                .filter(|p| {
                    p.paper
                        .meta
                        .source_key()
                        .is_some_and(|s| keys.contains(&s.as_str()))
                })
                .cloned()
                .collect())
        }
        fn by_title_hashes(&mut self, hashes: &[i64]) -> Result<Vec<StoredPaper>> {
            Ok(self
                .0
                .iter()
                .filter(|p| hashes.contains(&title_hash(&p.paper.meta.title_key())))
                .cloned()
                .collect())
        }
    }

    impl InMemory {
        fn apply(&mut self, batch: &[PaperMeta]) -> BatchPlan {
            let last_seq = self.0.iter().map(|p| p.seq).max().unwrap_or(0);
            let next_key = self.0.iter().map(|p| p.key).max().unwrap_or(0) + 1;
            let plan = plan_batch(self, batch, last_seq, next_key).unwrap();
            for (write, stored) in plan.writes.iter().zip(&plan.result.changed) {
                assert_eq!(write.row.key, stored.key);
                self.0.retain(|p| p.key != stored.key);
                self.0.push(stored.clone());
            }
            plan
        }
    }

    fn titled(title: &str) -> PaperMeta {
        PaperMeta {
            title: title.into(),
            abstract_text: "An abstract.".into(),
            ..Default::default()
        }
        .normalized()
        .unwrap()
    }

    fn with_arxiv(title: &str, id: &str) -> PaperMeta {
        PaperMeta {
            arxiv_id: Some(ArxivId::parse(id).unwrap()),
            ..titled(title)
        }
        .normalized()
        .unwrap()
    }

    #[test]
    fn a_listed_paper_then_its_arxiv_record_in_one_batch_is_one_paper_written_once() {
        let mut store = InMemory::default();
        let plan = store.apply(&[
            titled("Mamba: Linear-Time Sequence Modeling"),
            with_arxiv("Mamba: linear-time sequence modeling", "2312.00752v2"),
        ]);
        assert_eq!(
            plan.result.outcomes,
            [UpsertOutcome::Added, UpsertOutcome::Updated]
        );
        assert_eq!(plan.writes.len(), 1, "one paper, written once");
        assert!(plan.writes[0].insert);
        assert_eq!(plan.writes[0].row.arxiv_id.as_deref(), Some("2312.00752"));
        assert_eq!(plan.writes[0].row.seq, 2, "its last change's number");
        assert_eq!(plan.result.last_seq, 2);
        assert!(
            plan.writes[0].row.id.starts_with("t-"),
            "keeps its first id"
        );
    }

    #[test]
    fn a_title_matches_an_arxiv_paper_before_an_untagged_one_and_the_oldest_first() {
        let mut store = InMemory::default();
        store.apply(&[titled("Same Title")]);
        store.apply(&[with_arxiv("Other", "2401.00001")]);
        // A second untagged paper with the same title cannot be made (it would match), so
        // give the arXiv paper that title by a newer version.
        let renamed = PaperMeta {
            arxiv_id: Some(ArxivId::parse("2401.00001v2").unwrap()),
            ..titled("Same Title")
        }
        .normalized()
        .unwrap();
        store.apply(&[renamed]);
        let plan = store.apply(&[PaperMeta {
            comments: Some("a comment only the title record has".into()),
            ..titled("same title")
        }]);
        assert_eq!(plan.writes.len(), 1);
        assert_eq!(plan.writes[0].row.arxiv_id.as_deref(), Some("2401.00001"));
    }

    #[test]
    fn an_arxiv_record_does_not_take_over_a_paper_that_has_another_id() {
        let mut store = InMemory::default();
        store.apply(&[with_arxiv("Shared Title", "2401.00001")]);
        let plan = store.apply(&[with_arxiv("Shared Title", "2401.00002")]);
        assert_eq!(plan.result.outcomes, [UpsertOutcome::Added]);
        assert_eq!(store.0.len(), 2);
    }

    #[test]
    fn unchanged_records_write_nothing_and_take_no_number() {
        let mut store = InMemory::default();
        let first = store.apply(&[with_arxiv("A", "2401.00001"), titled("B")]);
        assert_eq!(first.result.last_seq, 2);
        let again = store.apply(&[with_arxiv("A", "2401.00001"), titled("B")]);
        assert!(again.writes.is_empty());
        assert_eq!(again.result.last_seq, 2);
        assert_eq!(
            again.result.outcomes,
            [UpsertOutcome::Unchanged, UpsertOutcome::Unchanged]
        );
    }

    #[test]
    fn a_row_decodes_back_to_the_paper_it_was_made_from() {
        let mut store = InMemory::default();
        let plan = store.apply(&[with_arxiv("Decoded", "2401.00009v3")]);
        let row = &plan.writes[0].row;
        let back = PaperRow::decode(row.key, row.seq, &row.id, row.listed_on, &row.meta).unwrap();
        assert_eq!(back, plan.result.changed[0]);
        assert_eq!(row.version, Some(3));
    }
}
