//! Waiting for changes that other processes or nodes commit.
//!
//! A node keeps its local search index up to date by reading the store's change sequence
//! ([`crate::PaperStore::changes_since`], [`crate::EmbeddingStore::embeddings_since`]); a
//! [`ChangeWatcher`] only says when to look. On PostgreSQL it is woken by `LISTEN`/`NOTIFY`;
//! on SQLite, where only processes on the same machine can write, it wakes at a steady pace.
//! Either way the sequence, not the wake-up, decides what is new, so a lost or early
//! notification costs nothing but a look.

use std::time::Duration;

use crate::Result;

/// Waits for a sign that something changed.
pub trait ChangeWatcher: Send {
    /// Blocks until a change may have been committed or `timeout` passes; `true` when woken
    /// by a notification, `false` on a time-out (the caller looks either way).
    fn wait(&mut self, timeout: Duration) -> Result<bool>;
}

/// A watcher that never hears anything and only times out: the caller polls.
#[derive(Debug, Default)]
pub struct PollingWatcher;

impl ChangeWatcher for PollingWatcher {
    fn wait(&mut self, timeout: Duration) -> Result<bool> {
        std::thread::sleep(timeout);
        Ok(false)
    }
}
