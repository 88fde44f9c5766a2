//! Ingest: gathered records into store and index, batch by batch.

use paperhub_core::PaperMeta;
use paperhub_ingest::RecordError;
use paperhub_search::IndexDoc;
use paperhub_store::UpsertOutcome;
use serde::Serialize;

use crate::{Hub, Result};

/// Papers per transaction. Large enough that commits are a small share of the time, small
/// enough that a kill loses little work and memory stays flat.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestSummary {
    /// Papers not seen before.
    pub added: u64,
    /// Papers changed (a newer version, more fields).
    pub updated: u64,
    /// Records that changed nothing.
    pub unchanged: u64,
    /// Records rejected as malformed.
    pub rejected: u64,
}

impl IngestSummary {
    /// Records read, good and bad.
    pub fn records(&self) -> u64 {
        self.added + self.updated + self.unchanged + self.rejected
    }

    /// Adds another summary's counts to this one.
    pub fn absorb(&mut self, other: &IngestSummary) {
        self.added += other.added;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
    }
}

/// Hears about an ingest as it goes (progress bars, logs).
pub trait IngestObserver {
    /// A record was rejected.
    fn rejected(&mut self, error: &RecordError);
    /// A batch was committed to store and index; `summary` counts everything so far.
    fn committed(&mut self, summary: &IngestSummary);
}

/// An observer that ignores everything.
pub struct NoObserver;

impl IngestObserver for NoObserver {
    fn rejected(&mut self, _: &RecordError) {}
    fn committed(&mut self, _: &IngestSummary) {}
}

impl Hub {
    /// Stores and indexes `records` in batches of `batch_size`, each committed to the store and
    /// then the index. Rejected records are reported and skipped; every valid one is stored.
    pub fn ingest(
        &self,
        records: impl IntoIterator<Item = std::result::Result<PaperMeta, RecordError>>,
        batch_size: usize,
        observer: &mut dyn IngestObserver,
    ) -> Result<IngestSummary> {
        let batch_size = batch_size.max(1);
        let mut summary = IngestSummary::default();
        let mut batch = Vec::with_capacity(batch_size);
        for record in records {
            match record {
                Ok(meta) => {
                    batch.push(meta);
                    if batch.len() >= batch_size {
                        self.commit_batch(&batch, &mut summary)?;
                        batch.clear();
                        observer.committed(&summary);
                    }
                }
                Err(error) => {
                    summary.rejected += 1;
                    observer.rejected(&error);
                }
            }
        }
        if !batch.is_empty() {
            self.commit_batch(&batch, &mut summary)?;
        }
        observer.committed(&summary);
        Ok(summary)
    }

    /// Commits one batch: store first (one transaction), then the index with the store's
    /// sequence number. A crash between the two is repaired by [`Hub::catch_up`].
    pub(crate) fn commit_batch(
        &self,
        batch: &[PaperMeta],
        summary: &mut IngestSummary,
    ) -> Result<()> {
        let result = self.store.upsert_batch(batch)?;
        for outcome in &result.outcomes {
            match outcome {
                UpsertOutcome::Added => summary.added += 1,
                UpsertOutcome::Updated => summary.updated += 1,
                UpsertOutcome::Unchanged => summary.unchanged += 1,
            }
        }
        if !result.changed.is_empty() {
            let docs: Vec<IndexDoc<'_>> = result
                .changed
                .iter()
                .map(|p| IndexDoc::from_paper(p.key, &p.paper))
                .collect();
            self.keywords.index_batch(&docs, result.last_seq)?;
        }
        Ok(())
    }
}
