//! Search, and its rules: one [`SearchRequest`] from every edge (the API, the search page,
//! the command line), checked here; the default mode, the mode that really ran and the page
//! limits decided here and nowhere else; keys from the index, papers from the store, snippets
//! for each hit.

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use paperhub_core::Paper;
use paperhub_search::fusion::Fusion;
use paperhub_search::{KeywordHit, KeywordQuery, Snippet};
use serde::{Deserialize, Serialize};

use crate::{Hub, HubError, Result};

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 over title, abstract and authors.
    Keyword,
    /// Nearest papers in meaning to the query (sentence embeddings, cosine).
    Semantic,
    /// Both rankings fused (see [`HYBRID_FUSION`]).
    Hybrid,
}

impl SearchMode {
    /// Every mode, in the order they are offered.
    pub const ALL: [SearchMode; 3] = [
        SearchMode::Keyword,
        SearchMode::Semantic,
        SearchMode::Hybrid,
    ];

    /// The mode as the API, the page and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Keyword => "keyword",
            SearchMode::Semantic => "semantic",
            SearchMode::Hybrid => "hybrid",
        }
    }

    /// Whether the mode needs the embedding model.
    pub fn needs_model(self) -> bool {
        self != SearchMode::Keyword
    }
}

impl std::fmt::Display for SearchMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SearchMode {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Self> {
        SearchMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == text.trim())
            .ok_or_else(|| {
                HubError::Invalid(format!(
                    "mode `{}` is not one of keyword, semantic, hybrid",
                    text.trim()
                ))
            })
    }
}

/// Results a search shows when the request names no limit.
pub const DEFAULT_LIMIT: usize = 10;
/// The most results one search shows.
pub const MAX_LIMIT: usize = 100;
/// The deepest offset: ranking more than this many results costs more than anyone reads.
pub const MAX_OFFSET: usize = 10_000;

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

/// The reciprocal-rank-fusion constant hybrid search used until it fused scores instead
/// ([`HYBRID_FUSION`]), and the Python baseline's fusion uses. Measured on the SciFact train
/// queries (`paperhub-bench quality`, top 100): k = 20 with 300 candidates gave nDCG@10
/// 0.723 and recall@100 0.957, against 0.715 / 0.952 for the textbook k = 60 with 100; a
/// smaller k lets the top of each ranking count for more, which suits two precise rankings.
pub const HYBRID_RRF_K: f32 = 20.0;

/// How hybrid search fuses its keyword and semantic candidates: 0.4 x the min-max normalised
/// cosine + 0.6 x the min-max normalised BM25. `paperhub-bench fusion` chose it on each half of
/// the SciFact train queries in turn (both halves chose the same), against RRF at several k
/// and depths and a z-score combination; on the other half it gave nDCG@10 +0.0077 and
/// +0.0175 over RRF with k = 20, for recall@100 0.005 lower.
pub const HYBRID_FUSION: Fusion = Fusion::Convex {
    semantic_weight: 0.4,
};

/// A search, in the one shape every edge hands it to the hub: the API's and the page's query
/// parameters and the command line's arguments all become this.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SearchRequest {
    /// The query text: words, `"phrases"`, `+required`, `-excluded`, `title:word`, and the
    /// filters `author:`, `category:`, `date:FROM..UNTIL`.
    pub q: String,
    /// How to search (`None`: hybrid when the hub has the embedding model, else keyword).
    pub mode: Option<SearchMode>,
    /// Only papers with this author (overrides an `author:` in the text).
    pub author: Option<String>,
    /// Only papers in this category (overrides a `category:` in the text).
    pub category: Option<String>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
    /// Results to show, 1 to [`MAX_LIMIT`] (`None`: [`DEFAULT_LIMIT`]).
    pub limit: Option<usize>,
    /// Results to skip, up to [`MAX_OFFSET`] (the next page).
    pub offset: Option<usize>,
    /// Whether to cut a highlighted snippet from each abstract.
    #[serde(skip)]
    pub snippets: bool,
}

impl SearchRequest {
    /// A search for `q` with every other part at its default.
    pub fn new(q: impl Into<String>) -> Self {
        SearchRequest {
            q: q.into(),
            ..SearchRequest::default()
        }
    }

    /// The same search in `mode`.
    pub fn mode(mut self, mode: SearchMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The same search showing `limit` results.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page's limit and offset, checked.
    fn page(&self) -> Result<(usize, usize)> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        let offset = self.offset.unwrap_or(0);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(HubError::OutOfRange(format!(
                "limit must be from 1 to {MAX_LIMIT}, not {limit}"
            )));
        }
        if offset > MAX_OFFSET {
            return Err(HubError::OutOfRange(format!(
                "offset must be at most {MAX_OFFSET}, not {offset}"
            )));
        }
        Ok((limit, offset))
    }

    /// The index's query: the text parsed, the request's filters over the text's, one result
    /// more than the page shows (to know whether another page follows).
    pub(crate) fn keyword_query(&self, limit: usize, offset: usize) -> Result<KeywordQuery> {
        let mut query = KeywordQuery::parse(&self.q).map_err(HubError::InvalidQuery)?;
        query.limit = limit + 1;
        query.offset = offset;
        let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let filters = &mut query.filters;
        filters.author = given(&self.author).or(filters.author.take());
        filters.category = given(&self.category).or(filters.category.take());
        filters.from = self.from.or(filters.from);
        filters.until = self.until.or(filters.until);
        if let (Some(from), Some(until)) = (filters.from, filters.until) {
            if from > until {
                return Err(HubError::Invalid(format!(
                    "the search runs from {from} until {until}: an empty range"
                )));
            }
        }
        Ok(query)
    }
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// The mode that really ran: a search of filters alone lists newest papers first, by
    /// keyword, whatever mode was asked.
    pub mode: SearchMode,
    /// The hits of the page asked for, best first.
    pub hits: Vec<SearchHit>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The page's limit and offset, as applied.
    pub limit: usize,
    /// See `limit`.
    pub offset: usize,
}

/// How similar papers were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SimilarBy {
    /// Nearest in meaning (the embedding model).
    Semantic,
    /// Sharing the most words with the paper's title (no model loaded).
    Keyword,
}

/// Papers like one paper.
#[derive(Debug, Clone)]
pub struct SimilarPapers {
    /// The paper they are like.
    pub paper: Paper,
    /// How they were found.
    pub by: SimilarBy,
    /// The papers, most similar first; never the paper itself.
    pub hits: Vec<SearchHit>,
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
    /// The mode a search runs in when none is asked: hybrid with the model, else keyword.
    pub fn default_mode(&self) -> SearchMode {
        if self.has_semantic() {
            SearchMode::Hybrid
        } else {
            SearchMode::Keyword
        }
    }

    /// Runs a search: checks the request, decides the mode, ranks, and reports the page with
    /// the mode that ran. Search by meaning without a model is [`HubError::ModelMissing`].
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let (limit, offset) = request.page()?;
        let query = request.keyword_query(limit, offset)?;
        let asked = request.mode.unwrap_or_else(|| self.default_mode());
        if asked.needs_model() && !self.has_semantic() {
            return Err(HubError::ModelMissing);
        }
        // Filters alone rank nothing by meaning: they list newest papers first in every mode.
        let mode = if query.text.trim().is_empty() {
            SearchMode::Keyword
        } else {
            asked
        };
        let mut hits = self.run_query(&query, mode, request.snippets)?;
        let has_more = hits.len() > limit;
        hits.truncate(limit);
        Ok(SearchResults {
            mode,
            hits,
            has_more,
            limit,
            offset,
        })
    }

    /// Papers like the paper `id` (hub id, arXiv id in any spelling, or source id), at most
    /// `limit` (1 to [`MAX_LIMIT`]): nearest in meaning when the hub has the model, else
    /// those sharing the most words with its title. `None`: no such paper.
    pub fn similar_papers(&self, id: &str, limit: usize) -> Result<Option<SimilarPapers>> {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(HubError::OutOfRange(format!(
                "limit must be from 1 to {MAX_LIMIT}, not {limit}"
            )));
        }
        if self.has_semantic() {
            return Ok(self.similar(id, limit)?.map(|(paper, hits)| SimilarPapers {
                paper,
                by: SimilarBy::Semantic,
                hits,
            }));
        }
        let Some(paper) = self.find_paper(id)? else {
            return Ok(None);
        };
        // Only the title's words: no query syntax from paper data reaches the parser.
        let words: String = paper
            .meta
            .title
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let mut query = KeywordQuery::parse(&words).map_err(HubError::InvalidQuery)?;
        query.limit = limit + 1;
        let mut hits = self.run_query(&query, SearchMode::Keyword, false)?;
        hits.retain(|h| h.paper.id != paper.id);
        hits.truncate(limit);
        Ok(Some(SimilarPapers {
            paper,
            by: SimilarBy::Keyword,
            hits,
        }))
    }

    /// Ranks `query` in `mode` (already decided); hits come best first.
    fn run_query(
        &self,
        query: &KeywordQuery,
        mode: SearchMode,
        snippets: bool,
    ) -> Result<Vec<SearchHit>> {
        let in_flight = InFlight::enter(&self.searches);
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
                // `query.limit` counts the one result past the page that says whether another
                // page follows; the candidates are those of the page.
                let candidates = hybrid_candidates((query.offset + query.limit).saturating_sub(1));
                let semantic = self.semantic()?;
                // With other searches running, the query is handed to the model before BM25
                // runs and its vector asked for after, so that the queries of searches running
                // together share a forward pass (see `query_batch`).
                let batched = (!in_flight.alone() && semantic.embedder.candidates_batch() > 1)
                    .then(|| semantic.queries.submit(&query.text));
                let mut keyword_query = query.clone();
                (keyword_query.limit, keyword_query.offset) = (candidates, 0);
                let keyword: Vec<(u64, f32)> = self
                    .keywords
                    .search(&keyword_query)?
                    .iter()
                    .map(|h| (h.key, h.score))
                    .collect();
                let vector = match batched {
                    Some(ticket) => ticket.vector(&*semantic.embedder),
                    None => semantic
                        .embedder
                        .embed_candidates_query(&query.text, in_flight.alone()),
                }
                .map_err(|e| HubError::Embedding(format!("embedding the query: {e}")))?;
                let semantic: Vec<(u64, f32)> = self
                    .neighbours(query, &vector, candidates, Effort::Candidates)?
                    .iter()
                    .map(|h| (h.0, h.1))
                    .collect();
                HYBRID_FUSION
                    .fuse(&keyword, &semantic)
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
        let snippets: Vec<Option<Snippet>> = if snippets {
            let texts: Vec<&str> = found
                .iter()
                .map(|(paper, _)| paper.meta.abstract_text.as_str())
                .collect();
            self.keywords
                .snippets(query, &texts, SNIPPET_CHARS)?
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
