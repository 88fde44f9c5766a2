//! Hybrid searches that run at the same time embed their queries together.
//!
//! A query of about 20 tokens alone is bound by reading the model's weights (21 MB per query
//! on AMX tiles), and a forward pass over several queries reads them once (see
//! `paperhub_search::Embedder::embed_candidates_queries`). So a hybrid search hands its query
//! in ([`QueryBatcher::submit`]) before it runs BM25, and asks for the vector
//! ([`Ticket::vector`]) after: by then other searches may have handed theirs in too. A search
//! that asks while queries wait and a core runs no pass leads one: it takes the oldest queries
//! waiting (at most the model's [`paperhub_search::Embedder::candidates_batch`]), embeds them in
//! one pass on its own thread and hands each vector to its search. A search whose query is in
//! a running pass, or that finds every core running one, waits for a pass to end.
//!
//! Nothing ever waits for a batch to fill: a search that asks while a core is free of passes
//! leads at once with whatever is waiting, if only its own query. The vectors are the ones each
//! query would get alone.
//!
//! Measured over HTTP on the 1M hub (BENCHMARKS.md, "The web hub under load", 2026-12-04
//! afternoon, Intel Xeon with AMX, eight searches at once): about 7% less CPU per hybrid
//! search. With one pass at a time the searches waiting for it left 13% of the CPU idle and
//! nothing was gained; with one pass per core about 5%, and 3-5% more requests per second.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use paperhub_search::Embedder;

/// What a vector request comes to: the vector, or what the model said.
type Outcome = std::result::Result<Vec<f32>, String>;

/// Queries waiting to be embedded together (see the module docs).
pub(crate) struct QueryBatcher {
    state: Mutex<State>,
    /// Signalled when a pass has handed out its vectors.
    done: Condvar,
    /// Passes that may run at once (one per core).
    max_passes: usize,
}

#[derive(Default)]
struct State {
    /// Queries handed in and not yet taken by a pass, oldest first.
    waiting: VecDeque<(u64, String)>,
    /// Vectors made and not yet collected.
    made: HashMap<u64, Outcome>,
    /// Tickets dropped while their query was in a running pass: its vector is thrown away.
    abandoned: HashSet<u64>,
    /// Passes running.
    passes: usize,
    next_id: u64,
}

/// A query handed in; [`Ticket::vector`] gives its vector.
pub(crate) struct Ticket<'a> {
    batcher: &'a QueryBatcher,
    id: u64,
    /// Whether [`Ticket::vector`] has taken its vector.
    collected: bool,
}

impl QueryBatcher {
    /// A batcher that runs at most `max_passes` passes at once (at least one).
    pub(crate) fn new(max_passes: usize) -> Self {
        Self {
            state: Mutex::default(),
            done: Condvar::new(),
            max_passes: max_passes.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in a pass is handled by `Lead`; the state stays consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands in a query to be embedded with any others waiting.
    pub(crate) fn submit(&self, text: &str) -> Ticket<'_> {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        state.waiting.push_back((id, text.to_owned()));
        Ticket {
            batcher: self,
            id,
            collected: false,
        }
    }
}

impl Ticket<'_> {
    /// The query's vector, as `embedder.embed_candidates_query(text, false)` would make it:
    /// made by a pass another search leads, or by one this search leads now.
    pub(crate) fn vector(mut self, embedder: &dyn Embedder) -> Outcome {
        let batcher = self.batcher;
        let mut state = batcher.lock();
        loop {
            if let Some(outcome) = state.made.remove(&self.id) {
                self.collected = true;
                return outcome;
            }
            if state.waiting.is_empty() || state.passes >= batcher.max_passes {
                // This query is in a running pass, or every core runs one.
                state = batcher.done.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // A core is free of passes: lead one with the oldest queries waiting (this one
            // among them, or it is served by a later pass).
            let take = state.waiting.len().min(embedder.candidates_batch().max(1));
            let pass: Vec<(u64, String)> = state.waiting.drain(..take).collect();
            state.passes += 1;
            drop(state);
            let lead = Lead {
                batcher,
                ids: pass.iter().map(|(id, _)| *id).collect(),
            };
            let texts: Vec<&str> = pass.iter().map(|(_, text)| text.as_str()).collect();
            let outcome = embedder.embed_candidates_queries(&texts);
            state = batcher.lock();
            lead.hand_out(&mut state, outcome);
        }
    }
}

impl Drop for Ticket<'_> {
    /// A search that ends before asking for its vector (BM25 failed) takes its query back, or
    /// leaves word to throw its vector away.
    fn drop(&mut self) {
        if self.collected {
            return;
        }
        let mut state = self.batcher.lock();
        if let Some(at) = state.waiting.iter().position(|(id, _)| *id == self.id) {
            state.waiting.remove(at);
        } else if state.made.remove(&self.id).is_none() {
            state.abandoned.insert(self.id);
        }
    }
}

/// The pass a search leads: hands out what it made, or, if the model panicked, an error to
/// every search in it, so that no search waits forever.
struct Lead<'a> {
    batcher: &'a QueryBatcher,
    ids: Vec<u64>,
}

impl Lead<'_> {
    fn hand_out(mut self, state: &mut State, outcome: std::result::Result<Vec<Vec<f32>>, String>) {
        let ids = std::mem::take(&mut self.ids);
        match outcome {
            Ok(vectors) if vectors.len() == ids.len() => {
                for (id, vector) in ids.into_iter().zip(vectors) {
                    deliver(state, id, Ok(vector));
                }
            }
            Ok(vectors) => {
                let message = format!(
                    "the model gave {} vectors for {} queries",
                    vectors.len(),
                    ids.len()
                );
                for id in ids {
                    deliver(state, id, Err(message.clone()));
                }
            }
            Err(message) => {
                for id in ids {
                    deliver(state, id, Err(message.clone()));
                }
            }
        }
        state.passes -= 1;
        self.batcher.done.notify_all();
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.ids.is_empty() {
            return;
        }
        // Only when the model panicked: `hand_out` empties `ids`.
        let mut state = self.batcher.lock();
        for id in std::mem::take(&mut self.ids) {
            deliver(&mut state, id, Err("the embedding model failed".into()));
        }
        state.passes -= 1;
        self.batcher.done.notify_all();
    }
}

fn deliver(state: &mut State, id: u64, outcome: Outcome) {
    if !state.abandoned.remove(&id) {
        state.made.insert(id, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    use paperhub_search::HashingEmbedder;

    use super::*;

    /// The hashing embedder, counting passes and the queries in each, batching up to `batch`.
    #[derive(Default)]
    struct Counting {
        batch: usize,
        passes: AtomicUsize,
        largest: AtomicUsize,
        /// Makes every pass fail with this message, when set.
        fail: Option<&'static str>,
    }

    impl Embedder for Counting {
        fn model_id(&self) -> &str {
            "counting"
        }
        fn dimensions(&self) -> usize {
            HashingEmbedder.dimensions()
        }
        fn embed(&self, texts: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
            HashingEmbedder.embed(texts)
        }
        fn embed_candidates_queries(
            &self,
            texts: &[&str],
        ) -> std::result::Result<Vec<Vec<f32>>, String> {
            self.passes.fetch_add(1, Ordering::SeqCst);
            self.largest.fetch_max(texts.len(), Ordering::SeqCst);
            // Long enough for the other threads to hand their queries in meanwhile.
            std::thread::sleep(std::time::Duration::from_millis(20));
            match self.fail {
                Some(message) => Err(message.into()),
                None => self.embed(texts),
            }
        }
        fn candidates_batch(&self) -> usize {
            self.batch
        }
    }

    #[test]
    fn searches_at_the_same_time_share_passes_and_each_gets_its_own_vector() {
        let model = Arc::new(Counting {
            batch: 4,
            ..Counting::default()
        });
        let batcher = Arc::new(QueryBatcher::new(2));
        let threads = 12;
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (model, batcher, start) = (model.clone(), batcher.clone(), start.clone());
                std::thread::spawn(move || {
                    let text = format!("query number {i} about topic{i}");
                    start.wait();
                    let ticket = batcher.submit(&text);
                    let vector = ticket.vector(&*model).unwrap();
                    (text, vector)
                })
            })
            .collect();
        for handle in handles {
            let (text, vector) = handle.join().unwrap();
            assert_eq!(
                vector,
                HashingEmbedder.embed(&[text.as_str()]).unwrap()[0],
                "{text}"
            );
        }
        let passes = model.passes.load(Ordering::SeqCst);
        assert!(
            passes < threads,
            "12 queries at once took {passes} passes: none shared"
        );
        assert!(
            model.largest.load(Ordering::SeqCst) <= 4,
            "a pass took more than the batch"
        );
        let state = batcher.lock();
        assert!(state.waiting.is_empty() && state.made.is_empty() && state.passes == 0);
        assert!(
            state.abandoned.is_empty(),
            "collected vectors are not abandoned"
        );
    }

    #[test]
    fn a_query_alone_leads_its_own_pass_at_once() {
        let model = Counting {
            batch: 4,
            ..Counting::default()
        };
        let batcher = QueryBatcher::new(1);
        let vector = batcher
            .submit("graph neural networks")
            .vector(&model)
            .unwrap();
        assert_eq!(
            vector,
            HashingEmbedder.embed(&["graph neural networks"]).unwrap()[0]
        );
        assert_eq!(model.passes.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_failed_pass_reaches_every_query_in_it_and_a_dropped_ticket_leaves_nothing_behind() {
        let model = Arc::new(Counting {
            batch: 8,
            fail: Some("model exploded"),
            ..Counting::default()
        });
        let batcher = Arc::new(QueryBatcher::new(1));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let (model, batcher) = (model.clone(), batcher.clone());
                std::thread::spawn(move || batcher.submit(&format!("q{i}")).vector(&*model))
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), Err("model exploded".to_owned()));
        }
        // A search that fails before asking for its vector takes its query back.
        drop(batcher.submit("never asked"));
        let state = batcher.lock();
        assert!(state.waiting.is_empty() && state.made.is_empty() && state.abandoned.is_empty());
    }

    #[test]
    fn a_panicking_model_fails_the_pass_instead_of_blocking_the_others() {
        struct Panicking;
        impl Embedder for Panicking {
            fn model_id(&self) -> &str {
                "panicking"
            }
            fn dimensions(&self) -> usize {
                4
            }
            fn embed(&self, _: &[&str]) -> std::result::Result<Vec<Vec<f32>>, String> {
                panic!("boom")
            }
            fn embed_candidates_queries(
                &self,
                _: &[&str],
            ) -> std::result::Result<Vec<Vec<f32>>, String> {
                panic!("boom")
            }
            fn candidates_batch(&self) -> usize {
                4
            }
        }
        let batcher = QueryBatcher::new(1);
        let waiting = batcher.submit("second");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            batcher.submit("first").vector(&Panicking)
        }));
        assert!(panicked.is_err());
        // The pass took both queries; the one still waiting gets the failure, not a hang.
        assert_eq!(
            waiting.vector(&Panicking),
            Err("the embedding model failed".to_owned())
        );
    }
}
