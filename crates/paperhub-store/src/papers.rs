//! Papers and the day listings: the main table of the hub.

use chrono::NaiveDate;
use paperhub_core::{Paper, PaperId, PaperMeta};
use serde::Serialize;

use crate::Result;

/// What an upsert did to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    /// A paper not seen before.
    Added,
    /// A paper already stored, changed by this record (a newer version, more fields).
    Updated,
    /// A paper already stored, identical after merging (or an older version).
    Unchanged,
}

/// A paper with the store's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPaper {
    /// A compact integer key, stable for the life of the paper; indexes refer to papers by it.
    pub key: u64,
    /// The sequence number of the paper's latest change.
    pub seq: u64,
    /// The paper.
    pub paper: Paper,
}

/// The result of upserting one batch, committed in one transaction.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// One outcome per input record, in order.
    pub outcomes: Vec<UpsertOutcome>,
    /// The papers the batch added or changed, as now stored.
    pub changed: Vec<StoredPaper>,
    /// For each paper of `changed`, whether this batch added it (it was not stored before,
    /// so no index can hold an earlier version of it).
    pub added: Vec<bool>,
    /// The store's last sequence number after the batch.
    pub last_seq: u64,
}

/// Counts for `paperhub stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Papers stored.
    pub papers: u64,
    /// Papers with an arXiv id.
    pub with_arxiv_id: u64,
    /// Distinct listing days.
    pub days: u64,
    /// The earliest listing day.
    pub first_day: Option<NaiveDate>,
    /// The latest listing day.
    pub last_day: Option<NaiveDate>,
    /// Papers per source format, most first.
    pub by_format: Vec<(String, u64)>,
}

/// A database that holds papers.
pub trait PaperStore: Send + Sync {
    /// Inserts or merges every record of `batch` in one transaction. A record matches a stored
    /// paper by arXiv id, else by source id, else by normalised title; a match is merged
    /// ([`PaperMeta::merge_from`]) and keeps its id. Each added or changed paper gets a new
    /// sequence number.
    fn upsert_batch(&self, batch: &[PaperMeta]) -> Result<BatchResult>;

    /// The paper with this hub id.
    fn get(&self, id: &PaperId) -> Result<Option<Paper>>;

    /// The paper known by this hub id, arXiv id (any spelling the caller has normalised) or
    /// source id.
    fn find(&self, id: &str) -> Result<Option<Paper>>;

    /// The paper whose DOI is `doi` (compared without case), if one has it.
    fn find_by_doi(&self, doi: &str) -> Result<Option<Paper>>;

    /// The papers whose normalised title is `title_key` (see [`PaperMeta::title_key`]).
    fn find_by_title(&self, title_key: &str) -> Result<Vec<Paper>>;

    /// The store's key for the paper with this hub id.
    fn key_of(&self, id: &PaperId) -> Result<Option<u64>>;

    /// [`PaperStore::key_of`] for each id, in order (a backend may answer them at once).
    fn keys_of(&self, ids: &[&PaperId]) -> Result<Vec<Option<u64>>> {
        ids.iter().map(|id| self.key_of(id)).collect()
    }

    /// The papers with these keys, in the order asked; unknown keys are skipped.
    fn get_by_keys(&self, keys: &[u64]) -> Result<Vec<StoredPaper>>;

    /// Up to `limit` papers changed after sequence number `seq`, oldest change first.
    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<StoredPaper>>;

    /// The last sequence number handed out (0 for an empty store).
    fn last_seq(&self) -> Result<u64>;

    /// Counts.
    fn stats(&self) -> Result<StoreStats>;

    /// Papers listed on a day from `from` to `until` (both included): latest day first, and
    /// within a day in the order they were first stored (a listing page's order). `offset`
    /// papers are skipped, then up to `limit` returned.
    fn papers_between(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>>;

    /// [`PaperStore::papers_between`], the most upvoted first (ties in the listing's order):
    /// the daily list as the community ranks it.
    fn papers_between_by_votes(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<StoredPaper>>;

    /// How many papers are listed on a day from `from` to `until` (both included).
    fn count_between(&self, from: NaiveDate, until: NaiveDate) -> Result<u64>;

    /// The nearest day before `day` that has papers, and the nearest day after it.
    fn adjacent_days(&self, day: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>)>;

    /// The latest day that has papers (`None` for an empty store).
    fn latest_day(&self) -> Result<Option<NaiveDate>>;

    /// Writes papers exactly as another store holds them, keys and sequence numbers
    /// included, and moves the change counter up to `last_seq` (for `paperhub copy` into an
    /// empty store).
    fn import_papers(&self, papers: &[StoredPaper], last_seq: u64) -> Result<()>;
}
