//! What every handler shares.

use std::sync::Arc;

use axum::http::HeaderMap;
use paperhub_app::Hub;
use tokio::sync::Semaphore;

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::limits::Limits;
use crate::metrics::Metrics;

/// The application state.
#[derive(Clone)]
pub struct AppState {
    /// The hub.
    pub hub: Hub,
    /// Request counters and histograms.
    pub metrics: Arc<Metrics>,
    /// The public URL, when configured.
    pub public_url: Option<String>,
    /// One permit per search allowed to run at once ([`ServerConfig::search_concurrency`]).
    pub search_slots: Arc<Semaphore>,
    /// The rate limits.
    pub limits: Arc<Limits>,
    /// How long a web session lasts.
    pub session_lifetime: chrono::Duration,
    /// Whether cookies are `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// The trending pages as a visitor who is not signed in sees them, per period.
    pub trending_pages: Arc<PageCache<paperhub_app::Period>>,
    /// The day pages as a visitor who is not signed in sees them, per query string.
    pub day_pages: Arc<PageCache<String>>,
}

/// Pages as a visitor who is not signed in sees them (the same for every such visitor): each
/// kept with when it was rendered and the version of what it shows, reused while that version
/// holds and for at most `trending.cache_secs`, the time a ranking is kept.
pub struct PageCache<K> {
    pages: std::sync::Mutex<std::collections::HashMap<K, KeptPage>>,
}

/// A kept page: when the data it shows was read, their version, and the HTML.
type KeptPage = (std::time::Instant, u64, Arc<str>);

/// Pages a [`PageCache`] keeps at most; past this it starts again empty.
const MAX_KEPT_PAGES: usize = 512;

impl<K> Default for PageCache<K> {
    fn default() -> Self {
        PageCache {
            pages: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq> PageCache<K> {
    /// The page kept for `key` if it was rendered at `version` less than `keep` ago.
    pub fn get(&self, key: &K, version: u64, keep: std::time::Duration) -> Option<Arc<str>> {
        let pages = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pages
            .get(key)
            .filter(|(at, seen, _)| *seen == version && at.elapsed() < keep)
            .map(|(_, _, html)| html.clone())
    }

    /// Keeps `html` for `key`, rendered at `version` from data read at `at`.
    pub fn put(&self, key: K, version: u64, at: std::time::Instant, html: Arc<str>) {
        let mut pages = self
            .pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pages.len() >= MAX_KEPT_PAGES {
            pages.clear();
        }
        pages.insert(key, (at, version, html));
    }
}

impl AppState {
    pub fn new(hub: Hub, config: &ServerConfig) -> Self {
        Self {
            hub,
            metrics: Arc::new(Metrics::new()),
            public_url: config.public_url.clone(),
            search_slots: Arc::new(Semaphore::new(config.search_concurrency)),
            limits: Arc::new(Limits::new(config.limits.clone())),
            session_lifetime: config.session_lifetime,
            secure_cookies: config
                .public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://")),
            trending_pages: Default::default(),
            day_pages: Default::default(),
        }
    }

    /// Runs a hub call on the blocking pool: the hub and its store are synchronous.
    pub async fn hub<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Hub) -> paperhub_app::Result<T> + Send + 'static,
    {
        let hub = self.hub.clone();
        tokio::task::spawn_blocking(move || call(&hub))
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("hub task failed: {e}")))?
            .map_err(ApiError::from)
    }

    /// Runs a search on the blocking pool once one of the search slots is free: searches are
    /// CPU work, and running more at once than there are cores only makes each one slower.
    pub async fn search<T, F>(&self, call: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Hub) -> paperhub_app::Result<T> + Send + 'static,
    {
        let _slot = self
            .search_slots
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("search slots closed: {e}")))?;
        self.hub(call).await
    }

    /// The base of absolute links (feeds): the configured public URL, else `http://` and the
    /// request's `Host`.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
            })
            .unwrap_or("localhost");
        format!("http://{host}")
    }
}
