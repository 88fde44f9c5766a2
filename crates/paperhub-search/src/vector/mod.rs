//! Search by meaning: nearest neighbours among paper embeddings.
//!
//! [`VectorIndex`] is the interface, with two implementations:
//! - [`FlatIndex`] (`flat.rs`): exact; compares the query with every vector, kept in memory
//!   as f32 (a dot product: vectors are L2-normalised, so it is the cosine). Right for hubs of
//!   up to some tens of thousands of papers, and the reference the approximate index is
//!   measured against.
//! - [`HnswIndex`] (`hnsw.rs`): approximate; an HNSW graph over int8-quantised vectors
//!   (usearch), saved to disk and caught up with the store on open. For millions of papers.

mod flat;
mod hnsw;

use std::collections::HashSet;

pub use flat::FlatIndex;
pub use hnsw::{HnswIndex, HnswParams};

use crate::Result;

/// Turns text into vectors: the sentence-embedding model, behind an interface so that the
/// hub's logic is tested with a small deterministic stand-in ([`HashingEmbedder`]).
pub trait Embedder: Send + Sync {
    /// A name for the model; stored with each vector, so another model's vectors are redone.
    fn model_id(&self) -> &str;
    /// The length of its vectors.
    fn dimensions(&self) -> usize;
    /// L2-normalised vectors of `texts`, in order.
    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String>;
    /// The vector of one query: on every core when `all_cores` (the quickest answer when
    /// nothing else runs), else on the calling thread only (more queries per second when
    /// several run at once).
    fn embed_query(&self, text: &str, all_cores: bool) -> std::result::Result<Vec<f32>, String> {
        let _ = all_cores;
        Ok(self.embed(&[text])?.remove(0))
    }
    /// The vector of a query whose neighbours are only candidates for another ranking (the
    /// semantic half of a hybrid search, fused with BM25's): a model may make it with cheaper
    /// arithmetic, as long as the fused ranking is as good. The same as
    /// [`Embedder::embed_query`] unless a model says otherwise.
    fn embed_candidates_query(
        &self,
        text: &str,
        all_cores: bool,
    ) -> std::result::Result<Vec<f32>, String> {
        self.embed_query(text, all_cores)
    }
    /// The vectors of several candidates queries, made together on the calling thread, in
    /// order; each equals what [`Embedder::embed_candidates_query`] gives for its text alone.
    /// A model that reads its weights once for many rows makes them for little more than one
    /// (searches running at the same time share it: see [`Embedder::candidates_batch`]).
    fn embed_candidates_queries(
        &self,
        texts: &[&str],
    ) -> std::result::Result<Vec<Vec<f32>>, String> {
        texts
            .iter()
            .map(|text| self.embed_candidates_query(text, false))
            .collect()
    }
    /// How many candidates queries are worth passing to
    /// [`Embedder::embed_candidates_queries`] at once; 1 (the default) when a batch costs as
    /// much as its queries one by one.
    fn candidates_batch(&self) -> usize {
        1
    }
}

/// A deterministic embedder for tests: hashed lower-cased words, L2-normalised. Texts that
/// share words are close; it knows nothing of meaning.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashingEmbedder;

impl Embedder for HashingEmbedder {
    fn model_id(&self) -> &str {
        "hashing-test-embedder"
    }

    fn dimensions(&self) -> usize {
        64
    }

    fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
        Ok(texts
            .iter()
            .map(|text| {
                let mut v = vec![0.0f32; 64];
                for word in text
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| w.len() > 2)
                {
                    let mut h: u32 = 2_166_136_261;
                    for b in word.to_lowercase().bytes() {
                        h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
                    }
                    v[(h % 64) as usize] += 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
                v.iter().map(|x| x / norm).collect()
            })
            .collect())
    }
}

/// One vector hit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorHit {
    /// The store's key for the paper.
    pub key: u64,
    /// Cosine similarity to the query (higher is closer).
    pub score: f32,
}

/// An error unless `query` has the index's `dimensions`.
fn check_dimensions(query: &[f32], dimensions: usize) -> Result<()> {
    if query.len() == dimensions {
        return Ok(());
    }
    Err(crate::SearchError::InvalidQuery(format!(
        "query vector has {} dimensions, the index {dimensions}",
        query.len()
    )))
}

/// The keys a filtered search may return.
pub type KeySet = HashSet<u64>;

/// An index of paper embeddings.
pub trait VectorIndex: Send + Sync {
    /// The length of every vector.
    fn dimensions(&self) -> usize;

    /// Adds or replaces vectors by key.
    fn upsert(&self, items: &[(u64, Vec<f32>)]) -> Result<()>;

    /// The `limit` nearest vectors to `query`, closest first, among the keys in `allow` when
    /// it is given.
    fn search(&self, query: &[f32], limit: usize, allow: Option<&KeySet>)
        -> Result<Vec<VectorHit>>;

    /// Like [`VectorIndex::search`], for a long list of candidates that another ranking will
    /// be fused with (hybrid search): an approximate index may look less hard than for a ranked
    /// page, since the order deep in the list counts for little once fused. Exact by default.
    fn candidates(
        &self,
        query: &[f32],
        limit: usize,
        allow: Option<&KeySet>,
    ) -> Result<Vec<VectorHit>> {
        self.search(query, limit, allow)
    }

    /// The vector stored for `key`.
    fn get(&self, key: u64) -> Option<Vec<f32>>;

    /// Vectors held.
    fn len(&self) -> usize;

    /// Whether it holds no vector.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more vectors before a bulk load, so that an index that
    /// grows in steps does not end up holding more room than vectors; nothing by default.
    fn reserve(&self, additional: usize) -> Result<()> {
        let _ = additional;
        Ok(())
    }

    /// The store's embedding change number up to which the index was loaded from disk (see
    /// `PaperStore::embeddings_since`): the vectors written after it must be upserted again.
    /// 0 for an index kept only in memory.
    fn saved_change(&self) -> u64 {
        0
    }

    /// Saves the index to disk as holding every vector through store change number `change`;
    /// nothing for an index kept only in memory. Atomic: a crash leaves the previous save.
    fn save(&self, change: u64) -> Result<()> {
        let _ = change;
        Ok(())
    }
}
