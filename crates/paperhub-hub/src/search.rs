//! Search: keys from the index, papers from the store, snippets for each hit.

use paperhub_core::Paper;
use paperhub_search::{KeywordQuery, Snippet};
use serde::Serialize;

use crate::{Hub, Result};

/// How to search. Semantic and hybrid modes come with the embedding model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 over title, abstract and authors.
    #[default]
    Keyword,
}

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
        let hits = match request.mode {
            SearchMode::Keyword => self.keywords.search(&request.query)?,
        };
        let keys: Vec<u64> = hits.iter().map(|h| h.key).collect();
        let mut papers = self.store.get_by_keys(&keys)?.into_iter();
        let mut out = Vec::with_capacity(hits.len());
        // get_by_keys keeps the order asked and skips keys it does not know.
        let mut next = papers.next();
        for hit in hits {
            let Some(stored) = next.take_if(|p| p.key == hit.key) else {
                continue;
            };
            next = papers.next();
            let snippet = if request.snippets {
                Some(self.keywords.snippet(
                    &request.query,
                    &stored.paper.meta.abstract_text,
                    SNIPPET_CHARS,
                )?)
            } else {
                None
            };
            out.push(SearchHit {
                paper: stored.paper,
                score: hit.score,
                snippet,
            });
        }
        Ok(out)
    }
}
