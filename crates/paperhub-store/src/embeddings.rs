//! Paper vectors, per model, stored with the papers so that no node embeds a paper twice.

use crate::Result;

/// One stored embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    /// Its change number among the model's embeddings.
    pub change: u64,
    /// The paper's key.
    pub key: u64,
    /// The paper's sequence number when it was embedded.
    pub seq: u64,
    /// The vector.
    pub vector: Vec<f32>,
}

/// The vectors of papers, per embedding model.
pub trait EmbeddingStore: Send + Sync {
    /// Stores embeddings made by `model`: `(key, the paper's seq when embedded, vector)`.
    /// Each write takes the model's next change number, in one transaction, so the batch's
    /// numbers are contiguous. Returns the last of them (the model's last change when `items`
    /// is empty).
    fn put_embeddings(&self, model: &str, items: &[(u64, u64, Vec<f32>)]) -> Result<u64>;

    /// Up to `limit` papers with keys above `after_key`, by key, that have no embedding by
    /// `model` or changed since theirs. A caller working through them passes the last key it
    /// was given, so each call starts where the last one ended instead of passing over every
    /// paper already embedded again (which made filling a million vectors quadratic).
    fn papers_to_embed(
        &self,
        model: &str,
        after_key: u64,
        limit: usize,
    ) -> Result<Vec<crate::StoredPaper>>;

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

    /// The models that have embeddings here.
    fn embedding_models(&self) -> Result<Vec<String>>;

    /// Writes embeddings exactly as another store holds them, change numbers included (for
    /// `paperhub copy` into an empty store).
    fn import_embeddings(&self, model: &str, items: &[StoredEmbedding]) -> Result<()>;
}
