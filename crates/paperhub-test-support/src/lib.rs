//! What the tests of every crate share, in one place: where the shared sample data lies, where
//! the real embedding model is installed, a fresh PostgreSQL schema per test, and a loopback
//! arXiv API replaying recorded answers ([`ArxivReplay`]), and a real SMTP server on loopback
//! ([`SmtpSink`]).
//!
//! PostgreSQL tests use `PAPERHUB_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`, the server this project's machines start). Each
//! test gets a schema of its own, dropped when the test ends. Without a server a test is
//! skipped with a line saying so, except under CI (`CI` set), where it fails: CI must never
//! pass by skipping the PostgreSQL backend.

mod arxiv;
pub mod smtp;

pub use arxiv::ArxivReplay;
pub use smtp::SmtpSink;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// A file or folder of the shared sample data (`../shared` beside the checkout).
pub fn shared(path: &str) -> PathBuf {
    workspace_root().join("../shared").join(path)
}

/// The seed listing page: 118 papers.
pub const SEED: &str = "seed/000_446ad54c0b8c9ae7.txt";

/// Where the real embedding model is installed for the tests: `PAPERHUB_MODEL_DIR` if set
/// (scripts/test sets it), else `target/paperhub-model`.
pub fn model_dir() -> PathBuf {
    std::env::var_os("PAPERHUB_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/paperhub-model"))
}

/// The server PostgreSQL tests use.
pub fn postgres_base_url() -> String {
    std::env::var("PAPERHUB_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own for one test, dropped on drop.
pub struct PgSchema {
    base: String,
    name: String,
}

static SCHEMAS: AtomicU64 = AtomicU64::new(0);

impl PgSchema {
    /// A fresh, empty schema; `None` (after printing why) when no server answers outside CI.
    /// Under CI an unreachable server fails the test.
    pub fn fresh() -> Option<Self> {
        let base = postgres_base_url();
        let mut client = match postgres::Client::connect(&base, postgres::NoTls) {
            Ok(client) => client,
            Err(error) => {
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL at {base} is unreachable under CI: {error}");
                }
                eprintln!(
                    "skipped: no PostgreSQL at {base} ({error}); set PAPERHUB_TEST_DATABASE_URL"
                );
                return None;
            }
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "test_{}_{}_{nanos}",
            std::process::id(),
            SCHEMAS.fetch_add(1, Ordering::Relaxed)
        );
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .unwrap_or_else(|e| panic!("creating schema {name}: {e}"));
        Some(Self { base, name })
    }

    /// The URL of the schema: the server's, with its `search_path` set to the schema.
    pub fn url(&self) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.base, self.name
        )
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}
