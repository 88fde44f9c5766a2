//! The one assembly of the app: every command, `serve` included, the benchmarks and the web
//! hub's tests open the hub from the [`Settings`] through [`Context`]. The data directory's
//! layout is written here and nowhere else: `paperhub.sqlite3` (the embedded store, unless `database.url` names another),
//! `index/keyword` (tantivy), `index/vector/<model>` (the HNSW graph), `model` and `mail` (the
//! file transport's `.eml` files).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use paperhub_app::Hub;
use paperhub_embed::model_files::ModelFiles;
use paperhub_search::{Embedder, FlatIndex, HnswIndex, HnswParams, TantivyIndex, VectorIndex};
use paperhub_store::Store;
use paperhub_store_postgres::{redact_url, PostgresStore};
use paperhub_store_sqlite::SqliteStore;

use crate::config::Settings;
use crate::progress::Progress;

/// Hubs with at most this many paper vectors search them exactly; above it, approximately.
pub const EXACT_SEARCH_MAX: u64 = 20_000;

/// Which database a `database.url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (the URL as given).
    Postgres(String),
}

impl Database {
    /// The database of `url` (`None`: the embedded SQLite file in `data_dir`).
    pub fn of(url: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        match url {
            None | Some("") => Ok(Database::Sqlite(data_dir.join("paperhub.sqlite3"))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Database::Postgres(url.to_owned()))
            }
            Some(url) if url.starts_with("sqlite:") => {
                let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
                if path.is_empty() {
                    anyhow::bail!("database.url `{url}` names no file: write sqlite:PATH");
                }
                Ok(Database::Sqlite(PathBuf::from(path)))
            }
            Some(url) => anyhow::bail!(
                "database.url `{}` is neither postgres://… nor sqlite:PATH",
                redact_url(url)
            ),
        }
    }

    /// Opens it, applying migrations.
    pub fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match self {
            Database::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
            Database::Postgres(url) => Arc::new(PostgresStore::open(url)?),
        })
    }
}

/// What every command gets.
pub struct Context {
    /// The settings in effect.
    pub settings: Settings,
    /// No progress or summaries.
    pub quiet: bool,
}

impl Context {
    /// The context of `settings`; `quiet`: no progress or summaries.
    pub fn new(settings: Settings, quiet: bool) -> Self {
        Context { settings, quiet }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.settings.data_dir
    }

    /// Where the embedding model lives: `--model-dir`, else `model` in the data directory.
    pub fn model_dir(&self) -> PathBuf {
        self.settings
            .model_dir
            .clone()
            .unwrap_or_else(|| self.data_dir().join("model"))
    }

    /// The database the settings name.
    pub fn database(&self) -> anyhow::Result<Database> {
        Database::of(self.settings.database.url.as_deref(), self.data_dir())
    }

    /// Opens the database the settings name.
    pub fn open_store(&self) -> anyhow::Result<Arc<dyn Store>> {
        let data_dir = self.data_dir();
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data directory {}", data_dir.display()))?;
        self.database()?.open()
    }

    /// The accounts of the store the settings name (no index is opened: this runs beside a
    /// `serve` on the same data).
    pub fn open_accounts(&self) -> anyhow::Result<paperhub_app::Accounts> {
        Ok(paperhub_app::Accounts::new(self.open_store()?))
    }

    /// The subscriptions of the store the settings name (no index is opened).
    pub fn open_subscriptions(&self) -> anyhow::Result<paperhub_app::Subscriptions> {
        Ok(paperhub_app::Subscriptions::new(self.open_store()?))
    }

    /// The mail sender the `[mail]` settings describe.
    pub fn mail_sender(&self) -> anyhow::Result<Arc<paperhub_mail::MailSender>> {
        let mail = &self.settings.mail;
        let transport = match mail.transport {
            crate::config::MailTransport::File => {
                let dir = mail
                    .dir
                    .clone()
                    .unwrap_or_else(|| self.data_dir().join("mail"));
                paperhub_mail::Transport::file(&dir)?
            }
            crate::config::MailTransport::Smtp => paperhub_mail::Transport::smtp(
                &mail.smtp_url,
                std::time::Duration::from_secs(mail.timeout_secs.max(1)),
            )?,
        };
        Ok(Arc::new(paperhub_mail::MailSender::new(
            &mail.from,
            &self.settings.mail_public_url(),
            transport,
        )?))
    }

    /// Delivery of `hub`'s outbox through `sender`, by the `[mail]` settings.
    pub fn delivery(
        &self,
        hub: &Hub,
        sender: Arc<paperhub_mail::MailSender>,
    ) -> anyhow::Result<paperhub_app::Delivery> {
        Ok(paperhub_app::Delivery::new(
            hub.clone(),
            sender,
            self.settings.delivery_rules()?,
        ))
    }

    /// Opens (creating if needed) the store and the index, and brings the index up to date
    /// with the store, repairing an interrupted ingest (or, on a node of a shared database,
    /// taking in what other nodes wrote; on an empty data directory, building it whole).
    pub fn open_hub(&self) -> anyhow::Result<Hub> {
        let index = self.open_keyword_index()?;
        self.open_hub_over(index)
    }

    /// Opens (creating if needed) the keyword index of the data directory.
    pub fn open_keyword_index(&self) -> anyhow::Result<Arc<TantivyIndex>> {
        let index_dir = self.data_dir().join("index").join("keyword");
        let index = TantivyIndex::open(&index_dir)
            .with_context(|| format!("opening the keyword index in {}", index_dir.display()))?;
        Ok(Arc::new(index))
    }

    /// [`Context::open_hub`] over `index`, opened by [`Context::open_keyword_index`] (the
    /// benchmarks keep a handle on it, to time the index alone).
    pub fn open_hub_over(&self, index: Arc<TantivyIndex>) -> anyhow::Result<Hub> {
        let store = self.open_store()?;
        let hub = Hub::new(store, index)
            .with_trending(self.settings.trending.rules()?)
            .with_submissions(self.settings.submission_rules()?);
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
    /// `search.exact_search_max` vectors (default [`EXACT_SEARCH_MAX`]), approximate (HNSW,
    /// saved in `index/vector/<model>`) above that, and from then on.
    fn open_vector_index(
        &self,
        hub: &Hub,
        embedder: &dyn Embedder,
    ) -> anyhow::Result<Arc<dyn VectorIndex>> {
        let model = embedder.model_id();
        let dir = self.data_dir().join("index").join("vector").join(model);
        let exact_max = self.settings.search.exact_search_max;
        let count = hub.store().embedding_count(model)?;
        if count <= exact_max && !HnswIndex::exists(&dir) {
            return Ok(Arc::new(FlatIndex::new(embedder.dimensions())));
        }
        let index = HnswIndex::open(&dir, embedder.dimensions(), HnswParams::default())
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
        if let Err(in_effect) = paperhub_embed::set_kernels(self.settings.embed.kernels()) {
            anyhow::bail!(
                "the embedding model already runs with other [embed] settings in this process: {in_effect:?}"
            );
        }
        let model = paperhub_embed::Embedder::load(&dir)
            .with_context(|| format!("loading the embedding model from {}", dir.display()))?;
        self.add_semantic(hub, Arc::new(model))
    }

    /// Opens the hub as [`Context::open_hub`] does, with `embedder` in place of the installed
    /// model (the tests' deterministic hashing embedder, or a model loaded already).
    pub fn open_hub_with_embedder(&self, embedder: Arc<dyn Embedder>) -> anyhow::Result<Hub> {
        let hub = self.open_hub()?;
        self.add_semantic(hub, embedder)
    }

    /// `hub` with search by meaning through `embedder`, its stored vectors loaded.
    fn add_semantic(&self, hub: Hub, embedder: Arc<dyn Embedder>) -> anyhow::Result<Hub> {
        let vectors = self.open_vector_index(&hub, &*embedder)?;
        let hub = hub.with_semantic(embedder, vectors);
        let progress = Progress::new(self.quiet, "loading paper vectors into the vector index");
        let loaded = hub
            .load_vectors(|done, total| progress.records(done, Some(total)))
            .context("loading the stored paper vectors")?;
        progress.finish((loaded >= 10_000).then(|| format!("indexed {loaded} paper vectors")));
        Ok(hub)
    }
}
