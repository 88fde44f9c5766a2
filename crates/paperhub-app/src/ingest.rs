//! Ingest: gathered records into store and index, batch by batch.

use paperhub_core::PaperMeta;
use paperhub_ingest::RecordError;
use paperhub_search::IndexDoc;
use std::sync::mpsc;

use paperhub_store::{BatchResult, UpsertOutcome};
use serde::Serialize;

use crate::{is_bulk, Hub, Result};

/// Papers per transaction. Large enough that commits are a small share of the time, small
/// enough that a kill loses little work and memory stays flat.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;

/// Papers staged in the keyword index between its commits during an ingest, at least (the
/// index commits after the store batch that reaches it, and at the end). Each index commit
/// flushes a segment per indexing thread, and small segments are merged again later. 1M papers
/// on two cores (AMD EPYC, 2026-12-01, `paperhub ingest --no-embed`, runs interleaved):
/// committing the index with every store batch of 10,000 took 94.3 and 106.7 s (peak RSS
/// 801-828 MiB); every 40,000 papers 83.8 and 89.7 s (873-883 MiB); every 30,000 83.4 s
/// (825 MiB). Larger store batches instead (25,000, the index committed with each) took 77 s
/// once but peaked at 982 MiB, against the 1 GB budget: the batches in flight hold the papers.
pub const INDEX_COMMIT_PAPERS: usize = 30_000;

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

    fn count(&mut self, outcomes: &[UpsertOutcome]) {
        for outcome in outcomes {
            match outcome {
                UpsertOutcome::Added => self.added += 1,
                UpsertOutcome::Updated => self.updated += 1,
                UpsertOutcome::Unchanged => self.unchanged += 1,
            }
        }
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
    /// A batch was committed to the store (the index follows: see [`Hub::ingest`]); `summary`
    /// counts everything so far.
    fn committed(&mut self, summary: &IngestSummary);
}

/// An observer that ignores everything.
pub struct NoObserver;

impl IngestObserver for NoObserver {
    fn rejected(&mut self, _: &RecordError) {}
    fn committed(&mut self, _: &IngestSummary) {}
}

impl Hub {
    /// Stores and indexes `records` in batches of `batch_size`. Each batch is committed to the
    /// store (one transaction) and then staged in the index, which commits with the store's
    /// sequence number once it holds [`INDEX_COMMIT_PAPERS`] papers, and at the end; the index
    /// works on one batch on its own thread while the next batch goes into the store, so the
    /// two cores share the work. Rejected records are reported and skipped; every valid one is
    /// stored. A crash at any point leaves the index at its last commit, behind the store,
    /// and [`Hub::catch_up`] indexes what it lacks. Other writers of this hub (another ingest,
    /// a harvest, a catch-up) wait until it ends.
    pub fn ingest(
        &self,
        records: impl IntoIterator<Item = std::result::Result<PaperMeta, RecordError>>,
        batch_size: usize,
        observer: &mut dyn IngestObserver,
    ) -> Result<IngestSummary> {
        let _writing = self.write_lock();
        let batch_size = batch_size.max(1);
        std::thread::scope(|scope| {
            // One batch waits while the indexer works on another: memory stays bounded.
            let (to_index, batches) = mpsc::sync_channel::<BatchResult>(1);
            let indexer = scope.spawn(move || -> Result<()> {
                let before = self.keywords.num_docs()?;
                let mut bulk = false;
                let indexed = self.index_batches(batches, before, &mut bulk);
                if bulk {
                    // Whatever happened, this index merges as it goes again.
                    self.keywords.set_background_merges(true)?;
                }
                indexed?;
                if bulk {
                    // The merges deferred while loading, all at once.
                    self.keywords.compact(paperhub_search::search_threads())?;
                }
                Ok(())
            });
            let stored = self.store_batches(records, batch_size, observer, &to_index);
            drop(to_index);
            let indexed = indexer
                .join()
                .expect("invariant: the indexer thread does not panic");
            // An index failure explains a closed channel, so it is reported first.
            indexed?;
            stored
        })
    }

    /// Stages the batches in the index, committing every [`INDEX_COMMIT_PAPERS`] papers and
    /// at the end. Once the papers staged reach 1/[`crate::BULK_FRACTION`] of the index (`before`
    /// documents, and these), the ingest is a bulk one, which ends compacted
    /// ([`Hub::compact_after_ingest`]): background merges are turned off for the rest of it
    /// (`bulk` says so), since they would merge every document several times before the
    /// compaction merges it once more.
    fn index_batches(
        &self,
        batches: mpsc::Receiver<BatchResult>,
        before: u64,
        bulk: &mut bool,
    ) -> Result<()> {
        // The store's sequence number of the last batch staged but not yet committed.
        let mut pending: Option<u64> = None;
        let mut staged = 0;
        let mut total: u64 = 0;
        for batch in batches {
            let seq = batch.last_seq;
            let docs = index_docs(&batch);
            self.keywords.stage(&docs)?;
            staged += docs.len();
            total += docs.len() as u64;
            pending = Some(seq);
            if !*bulk && is_bulk(total, before + total) {
                self.keywords.set_background_merges(false)?;
                *bulk = true;
            }
            if staged >= INDEX_COMMIT_PAPERS {
                self.keywords.commit(seq)?;
                (pending, staged) = (None, 0);
            }
        }
        if let Some(seq) = pending {
            self.keywords.commit(seq)?;
        }
        Ok(())
    }

    fn store_batches(
        &self,
        records: impl IntoIterator<Item = std::result::Result<PaperMeta, RecordError>>,
        batch_size: usize,
        observer: &mut dyn IngestObserver,
        to_index: &mpsc::SyncSender<BatchResult>,
    ) -> Result<IngestSummary> {
        let mut summary = IngestSummary::default();
        let mut batch = Vec::with_capacity(batch_size);
        let mut records = records.into_iter();
        loop {
            let record = records.next();
            let end = record.is_none();
            match record {
                Some(Ok(meta)) => batch.push(meta),
                Some(Err(error)) => {
                    summary.rejected += 1;
                    observer.rejected(&error);
                }
                None => {}
            }
            if batch.len() >= batch_size || (end && !batch.is_empty()) {
                let result = self.store.upsert_batch(&batch)?;
                batch.clear();
                summary.count(&result.outcomes);
                if !result.changed.is_empty() && to_index.send(result).is_err() {
                    // The indexer stopped on an error, which ingest() reports.
                    return Ok(summary);
                }
                observer.committed(&summary);
            }
            if end {
                observer.committed(&summary);
                return Ok(summary);
            }
        }
    }

    /// Commits one batch: store first (one transaction), then the index with the store's
    /// sequence number. A crash between the two is repaired by [`Hub::catch_up`]. Waits for
    /// any other writer of this hub first.
    pub(crate) fn commit_batch(
        &self,
        batch: &[PaperMeta],
        summary: &mut IngestSummary,
    ) -> Result<()> {
        let _writing = self.write_lock();
        let result = self.store.upsert_batch(batch)?;
        summary.count(&result.outcomes);
        if !result.changed.is_empty() {
            self.keywords
                .index_batch(&index_docs(&result), result.last_seq)?;
        }
        Ok(())
    }
}

/// The index's view of the papers a store batch added or changed; those it added are marked
/// new, so the index need not delete an earlier version of them.
fn index_docs(batch: &BatchResult) -> Vec<IndexDoc<'_>> {
    batch
        .changed
        .iter()
        .zip(batch.added.iter().copied().chain(std::iter::repeat(false)))
        .map(|(p, added)| {
            let doc = IndexDoc::from_paper(p.key, &p.paper);
            if added {
                doc.added()
            } else {
                doc
            }
        })
        .collect()
}
