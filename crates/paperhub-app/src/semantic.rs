//! Search by meaning: embedding papers, keeping their vectors, finding near neighbours.
//!
//! Vectors are stored durably with the papers (the store), per model, and loaded into the
//! vector index when the hub opens. Embedding is resumable: each batch is committed, and a
//! paper changed since its vector was made is embedded again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paperhub_core::Paper;
use paperhub_search::{Embedder, VectorIndex};

use crate::query_batch::QueryBatcher;
use crate::search::SearchHit;
use crate::{Hub, HubError, Result};

/// How many stored vectors are read at a time when the hub opens.
const LOAD_CHUNK: usize = 10_000;

/// The model and the vector index, when the hub has them.
#[derive(Clone)]
pub(crate) struct Semantic {
    pub(crate) embedder: Arc<dyn Embedder>,
    pub(crate) vectors: Arc<dyn VectorIndex>,
    /// Hybrid searches' queries waiting to be embedded together, across every clone of the hub.
    pub(crate) queries: Arc<QueryBatcher>,
    /// The last of the model's stored vector changes the vector index holds: its saved change
    /// when opened, then each load's last. Loads are serialised by the hub's write lock.
    pub(crate) held: Arc<AtomicU64>,
}

/// The text a paper is embedded from: its title and abstract.
pub fn document_text(paper: &Paper) -> String {
    format!("{}. {}", paper.meta.title, paper.meta.abstract_text)
}

/// What a request for search by meaning says when the model is not there.
pub const MODEL_MISSING: &str =
    "search by meaning needs the embedding model, which is not installed: run `paperhub model install` \
     (keyword search works without it: --mode keyword)";

impl Hub {
    /// Adds search by meaning: `embedder` makes the vectors, `vectors` finds neighbours. Call
    /// [`Hub::load_vectors`] next.
    pub fn with_semantic(
        mut self,
        embedder: Arc<dyn Embedder>,
        vectors: Arc<dyn VectorIndex>,
    ) -> Self {
        let held = Arc::new(AtomicU64::new(vectors.saved_change()));
        self.semantic = Some(Semantic {
            embedder,
            held,
            vectors,
            queries: Arc::new(QueryBatcher::new(paperhub_search::search_threads())),
        });
        self
    }

    /// Whether the hub can search by meaning.
    pub fn has_semantic(&self) -> bool {
        self.semantic.is_some()
    }

    pub(crate) fn semantic(&self) -> Result<&Semantic> {
        self.semantic.as_ref().ok_or(HubError::ModelMissing)
    }

    /// Brings the vector index up to date with the vectors stored for the hub's model: all of
    /// them into an index kept in memory, only those written since its last save into one
    /// saved on disk (which is then saved again). `progress(done, total)`;
    /// returns how many vectors were added.
    pub fn load_vectors(&self, progress: impl FnMut(u64, u64)) -> Result<u64> {
        self.add_stored_vectors(progress, true)
    }

    /// Adds the vectors written to the store since the vector index's last one, without saving
    /// the index (a node following a shared database does this after every change).
    pub(crate) fn load_new_vectors(&self) -> Result<u64> {
        self.add_stored_vectors(|_, _| {}, false)
    }

    fn add_stored_vectors(&self, mut progress: impl FnMut(u64, u64), save: bool) -> Result<u64> {
        let semantic = self.semantic()?;
        let _writing = self.write_lock();
        let model = semantic.embedder.model_id();
        let last = self.store.last_embedding_change(model)?;
        let mut after = semantic.held.load(Ordering::Acquire);
        if after > last {
            // The index was saved from another store (or one since rebuilt): it cannot be
            // caught up, only redone.
            return Err(HubError::Invalid(format!(
                "the vector index reflects embedding change {after} but the store has only {last}: \
                 delete the index directory to rebuild it"
            )));
        }
        let total = last - after;
        // Change numbers count rewrites too: at most `total` vectors are new.
        semantic
            .vectors
            .reserve(usize::try_from(total).unwrap_or(usize::MAX))?;
        let mut loaded = 0;
        while after < last {
            let chunk = self.store.embeddings_since(model, after, LOAD_CHUNK)?;
            let Some(tail) = chunk.last() else { break };
            after = tail.change;
            let items: Vec<(u64, Vec<f32>)> =
                chunk.into_iter().map(|e| (e.key, e.vector)).collect();
            loaded += items.len() as u64;
            semantic.vectors.upsert(&items)?;
            semantic.held.store(after, Ordering::Release);
            progress(loaded.min(total), total);
        }
        if loaded > 0 && save {
            // So that the next open does not add them again (nothing for an in-memory index).
            semantic.vectors.save(after)?;
        }
        Ok(loaded)
    }

    /// Saves the vector index (when it is kept on disk) as holding every stored vector.
    pub fn save_vectors(&self) -> Result<()> {
        let semantic = self.semantic()?;
        let held = semantic.held.load(Ordering::Acquire);
        if held != semantic.vectors.saved_change() {
            semantic.vectors.save(held)?;
        }
        Ok(())
    }

    /// Embeds every paper that has no vector from the hub's model (or changed since), `batch`
    /// papers at a time, each batch committed to the store and the vector index. An
    /// interrupted run resumes where it stopped. `progress(done, total)`; returns how many.
    pub fn embed_missing(&self, batch: usize, mut progress: impl FnMut(u64, u64)) -> Result<u64> {
        let semantic = self.semantic()?;
        let model = semantic.embedder.model_id().to_owned();
        let total = self
            .store
            .stats()?
            .papers
            .saturating_sub(self.store.embedding_count(&model)?);
        let mut done = 0;
        // Papers are taken by key; one changed behind the cursor while this runs is embedded
        // by the next run.
        let mut after_key = 0;
        loop {
            let papers = self
                .store
                .papers_to_embed(&model, after_key, batch.max(1))?;
            let Some(last) = papers.last() else { break };
            after_key = last.key;
            let texts: Vec<String> = papers.iter().map(|p| document_text(&p.paper)).collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vectors = semantic
                .embedder
                .embed(&refs)
                .map_err(|e| HubError::Embedding(format!("embedding papers: {e}")))?;
            let items: Vec<(u64, u64, Vec<f32>)> = papers
                .iter()
                .zip(vectors)
                .map(|(p, v)| (p.key, p.seq, v))
                .collect();
            let last = self.store.put_embeddings(&model, &items)?;
            // The index holds every change up to `last` if it held every one before this
            // batch's first; a vector another node wrote in between is loaded by the next sync.
            let first = last + 1 - items.len() as u64;
            let _ = semantic.held.compare_exchange(
                first - 1,
                last,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            let for_index: Vec<(u64, Vec<f32>)> =
                items.into_iter().map(|(k, _, v)| (k, v)).collect();
            semantic.vectors.upsert(&for_index)?;
            done += papers.len() as u64;
            progress(done, total.max(done));
        }
        if done > 0 {
            self.save_vectors()?;
        }
        Ok(done)
    }

    /// The papers nearest in meaning to the paper known by `id`, nearest first; `None` if no
    /// such paper. Reached through [`Hub::similar_papers`], which decides by meaning or words.
    pub(crate) fn similar(
        &self,
        id: &str,
        limit: usize,
    ) -> Result<Option<(Paper, Vec<SearchHit>)>> {
        let semantic = self.semantic()?;
        let Some(paper) = self.find_paper(id)? else {
            return Ok(None);
        };
        let key = self.store.key_of(&paper.id)?;
        let vector = match key.and_then(|k| semantic.vectors.get(k)) {
            Some(v) => v,
            None => {
                let text = document_text(&paper);
                semantic
                    .embedder
                    .embed(&[text.as_str()])
                    .map_err(|e| HubError::Embedding(format!("embedding the paper: {e}")))?
                    .remove(0)
            }
        };
        let hits = semantic.vectors.search(&vector, limit + 1, None)?;
        let keys: Vec<u64> = hits
            .iter()
            .map(|h| h.key)
            .filter(|k| Some(*k) != key)
            .take(limit)
            .collect();
        let scores: std::collections::HashMap<u64, f32> =
            hits.iter().map(|h| (h.key, h.score)).collect();
        let similar = self
            .store
            .get_by_keys(&keys)?
            .into_iter()
            .map(|p| SearchHit {
                score: scores[&p.key],
                paper: p.paper,
                snippet: None,
            })
            .collect();
        Ok(Some((paper, similar)))
    }
}
