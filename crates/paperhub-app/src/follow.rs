//! Following the store: a node's local indexes kept current with what other processes and
//! nodes commit to a shared database.
//!
//! The store's change sequence decides what is new ([`Hub::sync_with_store`]): the keyword
//! index catches up with the papers changed after the last change it holds, the vector index
//! with the vectors written after the last one it holds. A [`paperhub_store::ChangeWatcher`]
//! (PostgreSQL's `LISTEN`, or a steady poll on SQLite) only says when to look, so a missed
//! notification delays nothing past the next poll.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::{Hub, Result};

/// What one look at the store brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Synced {
    /// Papers re-indexed by words.
    pub papers: u64,
    /// Vectors added to the vector index.
    pub vectors: u64,
}

impl Hub {
    /// Brings the local indexes up to the store: papers changed since the keyword index's last
    /// commit, vectors written since the vector index's last one. A disk-backed vector index
    /// is not saved here (a graph of millions of vectors is large); [`Hub::save_vectors`] saves
    /// it, and an index saved behind the store catches up on open.
    pub fn sync_with_store(&self) -> Result<Synced> {
        let papers = self.catch_up(|_, _| {})?;
        let vectors = match &self.semantic {
            Some(_) => self.load_new_vectors()?,
            None => 0,
        };
        Ok(Synced { papers, vectors })
    }
}

/// A thread that keeps a hub in step with its store until stopped.
pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Starts following: waits on the store's watcher (at most `poll` at a time), then syncs.
    /// Errors are logged and retried after `poll`, so a database restart only delays it.
    pub fn start(hub: Hub, poll: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("paperhub-follow".into())
            .spawn(move || follow(&hub, poll, &stopping))
            .expect("invariant: a thread can be spawned at start-up");
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops following and waits for the thread (at most one `poll`).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.halt();
    }
}

fn follow(hub: &Hub, poll: Duration, stop: &AtomicBool) {
    let mut watcher = None;
    while !stop.load(Ordering::Relaxed) {
        if watcher.is_none() {
            match hub.store().watch() {
                Ok(w) => watcher = Some(w),
                Err(error) => {
                    tracing::warn!(%error, "cannot watch the store for changes; polling");
                }
            }
        }
        let waited = match watcher.as_mut() {
            Some(w) => w.wait(poll),
            None => {
                std::thread::sleep(poll);
                Ok(false)
            }
        };
        if let Err(error) = waited {
            tracing::warn!(%error, "lost the store's change notifications; reconnecting");
            watcher = None;
            std::thread::sleep(poll);
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match hub.sync_with_store() {
            Ok(synced) if synced != Synced::default() => {
                tracing::info!(
                    papers = synced.papers,
                    vectors = synced.vectors,
                    "caught up with the store"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "catching up with the store failed; trying again"),
        }
    }
}
