//! Search: keys from the index, papers from the store, snippets for each hit.

use std::sync::atomic::{AtomicUsize, Ordering};

use paperhub_core::Paper;
use paperhub_search::fusion::reciprocal_rank_fusion;
use paperhub_search::{KeywordHit, KeywordQuery, Snippet};
use serde::Serialize;

use crate::{Hub, HubError, Result};

/// How to search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 over title, abstract and authors.
    #[default]
    Keyword,
    /// Nearest papers in meaning to the query (sentence embeddings, cosine).
    Semantic,
    /// Both rankings fused by reciprocal rank.
    Hybrid,
}

/// Candidates each ranking contributes to a hybrid search, at least.
pub const HYBRID_MIN_CANDIDATES: usize = 100;

/// Candidates each ranking contributes to a hybrid search that shows `wanted` hits (offset
/// plus limit): three times as many, at least [`HYBRID_MIN_CANDIDATES`]. A page of 10 fuses
/// two top-100 lists; the quality benchmark's top 100 fuses two top-300 lists. On SciFact
/// pages of 10 rank as well with 100 candidates as with 300 (nDCG@10 0.7253 against 0.7246,
/// `paperhub-bench quality`, "hybrid, pages of 10"), and the BM25 top 300 took three times as
/// long as a top 10 at 1M papers (index-only p50 4.4 against 1.5 ms, `paperhub-bench run`).
pub fn hybrid_candidates(wanted: usize) -> usize {
    wanted.saturating_mul(3).max(HYBRID_MIN_CANDIDATES)
}

/// The reciprocal-rank-fusion constant of hybrid search. Measured on the SciFact train
/// queries (`paperhub-bench quality`, top 100): k = 20 with 300 candidates gave nDCG@10
/// 0.723 and recall@100 0.957, against 0.715 / 0.952 for the textbook k = 60 with 100; a
/// smaller k lets the top of each ranking count for more, which suits two precise rankings.
pub const HYBRID_RRF_K: f32 = 20.0;

/// A search.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The query and filters.
    pub query: KeywordQuery,
    /// The mode.
    pub mode: SearchMode,
    /// Whether to cut a highlighted snippet from each abstract.
    pub snippets: bool,
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// The paper.
    pub paper: Paper,
    /// Its score in this search (higher is better).
    pub score: f32,
    /// Highlighted fragment of its abstract, when asked for.
    #[serde(skip)]
    pub snippet: Option<Snippet>,
}

/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 240;

impl Hub {
    /// Runs a search; hits come best first.
    pub fn search(&self, request: &SearchRequest) -> Result<Vec<SearchHit>> {
        let in_flight = InFlight::enter(&self.searches);
        let query = &request.query;
        // Filters alone rank nothing by meaning: they list newest papers first in every mode.
        let mode = if query.text.trim().is_empty() {
            SearchMode::Keyword
        } else {
            request.mode
        };
        let hits: Vec<(u64, f32)> = match mode {
            SearchMode::Keyword => self
                .keywords
                .search(query)?
                .into_iter()
                .map(|h| (h.key, h.score))
                .collect(),
            SearchMode::Semantic => self
                .semantic_hits(query, query.offset + query.limit, &in_flight)?
                .into_iter()
                .skip(query.offset)
                .collect(),
            SearchMode::Hybrid => {
                let candidates = hybrid_candidates(query.offset + query.limit);
                let semantic = self.semantic()?;
                // With other searches running, the query is handed to the model before BM25
                // runs and its vector asked for after, so that the queries of searches running
                // together share a forward pass (see `query_batch`).
                let batched = (!in_flight.alone() && semantic.embedder.candidates_batch() > 1)
                    .then(|| semantic.queries.submit(&query.text));
                let mut keyword_query = query.clone();
                (keyword_query.limit, keyword_query.offset) = (candidates, 0);
                let keyword: Vec<u64> = self
                    .keywords
                    .search(&keyword_query)?
                    .iter()
                    .map(|h| h.key)
                    .collect();
                let vector = match batched {
                    Some(ticket) => ticket.vector(&*semantic.embedder),
                    None => semantic
                        .embedder
                        .embed_candidates_query(&query.text, in_flight.alone()),
                }
                .map_err(|e| HubError::Embedding(format!("embedding the query: {e}")))?;
                let semantic: Vec<u64> = self
                    .neighbours(query, &vector, candidates, Effort::Candidates)?
                    .iter()
                    .map(|h| h.0)
                    .collect();
                reciprocal_rank_fusion(&[&keyword, &semantic], HYBRID_RRF_K)
                    .into_iter()
                    .skip(query.offset)
                    .take(query.limit)
                    .collect()
            }
        };
        let hits: Vec<KeywordHit> = hits
            .into_iter()
            .map(|(key, score)| KeywordHit { key, score })
            .collect();
        let keys: Vec<u64> = hits.iter().map(|h| h.key).collect();
        let mut papers = self.store.get_by_keys(&keys)?.into_iter();
        let mut found = Vec::with_capacity(hits.len());
        // get_by_keys keeps the order asked and skips keys it does not know.
        let mut next = papers.next();
        for hit in hits {
            let Some(stored) = next.take_if(|p| p.key == hit.key) else {
                continue;
            };
            next = papers.next();
            found.push((stored.paper, hit.score));
        }
        let snippets: Vec<Option<Snippet>> = if request.snippets {
            let texts: Vec<&str> = found
                .iter()
                .map(|(paper, _)| paper.meta.abstract_text.as_str())
                .collect();
            self.keywords
                .snippets(&request.query, &texts, SNIPPET_CHARS)?
                .into_iter()
                .map(Some)
                .collect()
        } else {
            vec![None; found.len()]
        };
        Ok(found
            .into_iter()
            .zip(snippets)
            .map(|((paper, score), snippet)| SearchHit {
                paper,
                score,
                snippet,
            })
            .collect())
    }

    /// The `limit` papers nearest in meaning to the query text, within its filters, ranked.
    fn semantic_hits(
        &self,
        query: &KeywordQuery,
        limit: usize,
        in_flight: &InFlight<'_>,
    ) -> Result<Vec<(u64, f32)>> {
        let vector = self
            .semantic()?
            .embedder
            .embed_query(&query.text, in_flight.alone())
            .map_err(|e| HubError::Embedding(format!("embedding the query: {e}")))?;
        self.neighbours(query, &vector, limit, Effort::Ranked)
    }

    /// The `limit` papers nearest to `vector`, within the query's filters.
    fn neighbours(
        &self,
        query: &KeywordQuery,
        vector: &[f32],
        limit: usize,
        effort: Effort,
    ) -> Result<Vec<(u64, f32)>> {
        let semantic = self.semantic()?;
        let allowed = if query.filters.is_empty() {
            None
        } else {
            Some(self.keywords.filter_keys(&query.filters)?)
        };
        let hits = match effort {
            Effort::Ranked => semantic.vectors.search(vector, limit, allowed.as_ref())?,
            Effort::Candidates => semantic
                .vectors
                .candidates(vector, limit, allowed.as_ref())?,
        };
        Ok(hits.into_iter().map(|h| (h.key, h.score)).collect())
    }
}

/// What a list of papers by meaning is for (see [`paperhub_search::VectorIndex::candidates`]).
#[derive(Debug, Clone, Copy)]
enum Effort {
    /// A page shown as ranked: the index's full effort.
    Ranked,
    /// Candidates fused with BM25's (hybrid search): an approximate index may look less hard
    /// (the model may embed such a query with cheaper arithmetic:
    /// [`paperhub_search::Embedder::embed_candidates_query`]).
    Candidates,
}

/// Counts a search as running for as long as it lives.
///
/// A query is embedded on every core when its search runs alone (the lowest latency), and on
/// its own thread when others run too: then each core answers a search of its own, which
/// does more searches per second than splitting each one across cores.
pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count)
    }

    /// Whether no other search is running now.
    fn alone(&self) -> bool {
        self.0.load(Ordering::Relaxed) <= 1
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
