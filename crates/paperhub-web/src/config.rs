//! The server's settings: raw as read from the file and environment ([`ServerSettings`],
//! the `[server]` section), then validated ([`ServerConfig`]).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

pub use crate::limits::LimitSettings;

/// How request logs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// The `[server]` section of the configuration, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// The address to listen on.
    pub listen: String,
    /// The hub's public URL (`https://papers.example.org`), used in feeds for absolute links;
    /// when empty, links are built from each request's `Host` header.
    pub public_url: String,
    /// Longest a request may take, in seconds, before it is answered 408.
    pub request_timeout_secs: u64,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// `text` or `json` request logs.
    pub log_format: LogFormat,
    /// Searches run at once; more wait their turn. 0: [`SEARCHES_PER_CORE`] per core.
    pub search_concurrency: usize,
    /// Days a web session lasts after log-in.
    pub session_days: u32,
}

/// Searches run at once per core by default. A search is not CPU work from end to end: it
/// reads papers and exact vectors from the page cache (or the disk), and a hybrid search waits
/// for the pass that embeds its query with others' (`paperhub_app`'s query batches). With one
/// search per core, hybrid search on the 1M hub left 19.5% of the two cores idle under load
/// and served 151-176 requests/s; with four per core 192-219 (the same binary, alternating;
/// 16 in all: 210). BENCHMARKS.md, "The web hub under load", 2026-12-04 afternoon.
pub const SEARCHES_PER_CORE: usize = 4;

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            request_timeout_secs: 30,
            max_body_bytes: 64 * 1024,
            log_format: LogFormat::Text,
            search_concurrency: 0,
            session_days: 14,
        }
    }
}

/// The validated server configuration.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// The public URL without a trailing slash, if set.
    pub public_url: Option<String>,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How request logs are written.
    pub log_format: LogFormat,
    /// Searches run at once (at least 1).
    pub search_concurrency: usize,
    /// How long a web session lasts.
    pub session_lifetime: chrono::Duration,
    /// The rate limits (the `[limits]` section).
    pub limits: LimitSettings,
}

impl TryFrom<ServerSettings> for ServerConfig {
    type Error = anyhow::Error;

    fn try_from(raw: ServerSettings) -> anyhow::Result<Self> {
        let listen: SocketAddr = raw.listen.parse().with_context(|| {
            format!(
                "server.listen `{}` is not an address: expected IP:PORT, e.g. 127.0.0.1:8080",
                raw.listen
            )
        })?;
        let public_url = match raw.public_url.trim() {
            "" => None,
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_owned())
            }
            url => anyhow::bail!("server.public_url `{url}` must start with http:// or https://"),
        };
        if raw.session_days == 0 {
            anyhow::bail!("server.session_days must be at least 1");
        }
        if raw.request_timeout_secs == 0 {
            anyhow::bail!("server.request_timeout_secs must be at least 1");
        }
        Ok(Self {
            listen,
            public_url,
            request_timeout: Duration::from_secs(raw.request_timeout_secs),
            max_body_bytes: raw.max_body_bytes,
            log_format: raw.log_format,
            search_concurrency: match raw.search_concurrency {
                0 => {
                    SEARCHES_PER_CORE * std::thread::available_parallelism().map_or(1, |n| n.get())
                }
                n => n,
            },
            session_lifetime: chrono::Duration::days(i64::from(raw.session_days)),
            limits: LimitSettings::default(),
        })
    }
}

impl ServerConfig {
    /// The defaults, listening on `listen` (tests pass `127.0.0.1:0`).
    pub fn listening_on(listen: SocketAddr) -> Self {
        let mut config = ServerConfig::try_from(ServerSettings::default())
            .expect("invariant: defaults are valid");
        config.listen = listen;
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_addresses_and_urls_are_refused_with_the_setting_named() {
        let bad = ServerSettings {
            listen: "localhost".into(),
            ..Default::default()
        };
        let error = ServerConfig::try_from(bad).unwrap_err().to_string();
        assert!(error.contains("server.listen"), "{error}");
        let bad = ServerSettings {
            public_url: "javascript:alert(1)".into(),
            ..Default::default()
        };
        assert!(ServerConfig::try_from(bad).is_err());
    }

    #[test]
    fn searches_at_once_default_to_four_per_core_and_a_set_number_is_kept() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let default = ServerConfig::try_from(ServerSettings::default()).unwrap();
        assert_eq!(default.search_concurrency, SEARCHES_PER_CORE * cores);
        let set = ServerSettings {
            search_concurrency: 3,
            ..Default::default()
        };
        assert_eq!(ServerConfig::try_from(set).unwrap().search_concurrency, 3);
    }
}
