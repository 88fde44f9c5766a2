//! The storage interface of paperhub: what any database behind the hub must do.
//!
//! This crate owns the [`PaperStore`] trait, the rows it returns ([`StoredPaper`],
//! [`StoreStats`]) and [`StoreError`]. It chooses no driver: SQLite (the embedded default)
//! lives in `paperhub-store-sqlite`, and a PostgreSQL store will satisfy the same trait
//! unchanged. The trait is synchronous; async callers run it on a blocking thread.
//!
//! Every change to a paper gets a new *sequence number* from one counter. The search index
//! remembers the last sequence number it holds, so after a crash between committing a batch
//! to the store and to the index, the index catches up from [`PaperStore::changes_since`]:
//! store and index never disagree for longer than it takes to reopen the hub.

use chrono::NaiveDate;
use paperhub_core::{Paper, PaperId, PaperMeta};
use serde::Serialize;

/// A store operation's result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A write clashed with a row already stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

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

/// One stored embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// Its change number among the model's embeddings.
    pub change: u64,
    /// The paper's key.
    pub key: u64,
    /// The vector.
    pub vector: Vec<f32>,
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

    /// The store's key for the paper with this hub id.
    fn key_of(&self, id: &PaperId) -> Result<Option<u64>>;

    /// The papers with these keys, in the order asked; unknown keys are skipped.
    fn get_by_keys(&self, keys: &[u64]) -> Result<Vec<StoredPaper>>;

    /// Up to `limit` papers changed after sequence number `seq`, oldest change first.
    fn changes_since(&self, seq: u64, limit: usize) -> Result<Vec<StoredPaper>>;

    /// The last sequence number handed out (0 for an empty store).
    fn last_seq(&self) -> Result<u64>;

    /// Counts.
    fn stats(&self) -> Result<StoreStats>;

    /// Stores embeddings made by `model`: `(key, the paper's seq when embedded, vector)`.
    fn put_embeddings(&self, model: &str, items: &[(u64, u64, Vec<f32>)]) -> Result<()>;

    /// Up to `limit` papers with keys above `after_key`, by key, that have no embedding by
    /// `model` or changed since theirs. A caller working through them passes the last key it
    /// was given, so each call starts where the last one ended instead of passing over every
    /// paper already embedded again (which made filling a million vectors quadratic).
    fn papers_to_embed(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<StoredPaper>>;

    /// Up to `limit` embeddings by `model` stored or replaced after change number `after`,
    /// oldest change first. Every write of a vector takes the model's next change number, so a
    /// vector index that remembers the last one it holds can catch up with exactly the rest.
    fn embeddings_since(
        &self,
        model: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEmbedding>>;

    /// The last change number of `model`'s embeddings (0 when it has none).
    fn last_embedding_change(&self, model: &str) -> Result<u64>;

    /// How many papers have an embedding by `model`.
    fn embedding_count(&self, model: &str) -> Result<u64>;

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

    /// How many papers are listed on a day from `from` to `until` (both included).
    fn count_between(&self, from: NaiveDate, until: NaiveDate) -> Result<u64>;

    /// The nearest day before `day` that has papers, and the nearest day after it.
    fn adjacent_days(&self, day: NaiveDate) -> Result<(Option<NaiveDate>, Option<NaiveDate>)>;

    /// The latest day that has papers (`None` for an empty store).
    fn latest_day(&self) -> Result<Option<NaiveDate>>;

    /// A small persistent value, such as where a harvest stopped.
    fn get_state(&self, name: &str) -> Result<Option<String>>;

    /// Sets a value read by [`PaperStore::get_state`].
    fn set_state(&self, name: &str, value: &str) -> Result<()>;
}

#[cfg(feature = "conformance")]
pub mod conformance;
