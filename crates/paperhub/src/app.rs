//! Opening the hub in a data directory.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use paperhub_embed::model_files::ModelFiles;
use paperhub_hub::Hub;
use paperhub_search::{FlatIndex, HnswIndex, HnswParams, TantivyIndex, VectorIndex};
use paperhub_store_sqlite::SqliteStore;

use crate::progress::Progress;

/// Hubs with at most this many paper vectors search them exactly; above it, approximately.
pub const EXACT_SEARCH_MAX: u64 = 20_000;

/// What every command gets.
pub struct Context {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The embedding model's directory, when given (`--model-dir`, `PAPERHUB_MODEL_DIR`).
    pub model_dir: Option<PathBuf>,
    /// No progress or summaries.
    pub quiet: bool,
}

impl Context {
    /// Where the embedding model lives: `--model-dir`, else `model` in the data directory.
    pub fn model_dir(&self) -> PathBuf {
        self.model_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("model"))
    }

    /// Opens (creating if needed) the store and the index, and brings the index up to date
    /// with the store, repairing an interrupted ingest.
    pub fn open_hub(&self) -> anyhow::Result<Hub> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        let store = SqliteStore::open(&self.data_dir.join("paperhub.sqlite3"))?;
        let index_dir = self.data_dir.join("index").join("keyword");
        let index = TantivyIndex::open(&index_dir)
            .with_context(|| format!("opening the keyword index in {}", index_dir.display()))?;
        let hub = Hub::new(Arc::new(store), Arc::new(index));
        let progress = Progress::new(self.quiet, "catching the index up with the store");
        let repaired = hub
            .catch_up(|done, total| progress.records(done, Some(total)))
            .context("bringing the search index up to date with the store")?;
        progress.finish(if repaired > 0 {
            Some(format!(
                "re-indexed {repaired} papers changed since the index's last commit"
            ))
        } else {
            None
        });
        Ok(hub)
    }
}

impl Context {
    /// The vector index: exact (in memory, loaded from the store) while the hub holds at most
    /// `PAPERHUB_EXACT_SEARCH_MAX` vectors (default [`EXACT_SEARCH_MAX`]), approximate (HNSW,
    /// saved in `index/vector/<model>`) above that, and from then on.
    fn open_vector_index(&self, hub: &Hub) -> anyhow::Result<Arc<dyn VectorIndex>> {
        let dir = self
            .data_dir
            .join("index")
            .join("vector")
            .join(paperhub_embed::MODEL_ID);
        let exact_max = match std::env::var("PAPERHUB_EXACT_SEARCH_MAX") {
            Ok(value) => value.parse::<u64>().with_context(|| {
                format!("PAPERHUB_EXACT_SEARCH_MAX must be a number of vectors, not {value:?}")
            })?,
            Err(_) => EXACT_SEARCH_MAX,
        };
        let count = hub.store().embedding_count(paperhub_embed::MODEL_ID)?;
        if count <= exact_max && !HnswIndex::exists(&dir) {
            return Ok(Arc::new(FlatIndex::new(paperhub_embed::DIMENSIONS)));
        }
        let index = HnswIndex::open(&dir, paperhub_embed::DIMENSIONS, HnswParams::default())
            .with_context(|| format!("opening the vector index in {}", dir.display()))?;
        Ok(Arc::new(index))
    }

    /// Whether the embedding model is installed where paperhub looks for it.
    pub fn model_installed(&self) -> bool {
        ModelFiles::locate(&self.model_dir()).is_ok()
    }

    /// Opens the hub as [`Context::open_hub`] does and, when the embedding model is installed,
    /// loads it and the stored paper vectors for search by meaning.
    pub fn open_hub_with_model(&self) -> anyhow::Result<Hub> {
        let hub = self.open_hub()?;
        if !self.model_installed() {
            return Ok(hub);
        }
        let dir = self.model_dir();
        let model = paperhub_embed::Embedder::load(&dir)
            .with_context(|| format!("loading the embedding model from {}", dir.display()))?;
        let vectors = self.open_vector_index(&hub)?;
        let hub = hub.with_semantic(Arc::new(model), vectors);
        let progress = Progress::new(self.quiet, "loading paper vectors into the vector index");
        let loaded = hub
            .load_vectors(|done, total| progress.records(done, Some(total)))
            .context("loading the stored paper vectors")?;
        progress.finish((loaded >= 10_000).then(|| format!("indexed {loaded} paper vectors")));
        Ok(hub)
    }
}
