//! BM25 latency through the hub, opened in-process exactly as the `paperhub` binary opens it.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use paperhub_app::{Hub, HubError, SearchMode, SearchRequest};
use paperhub_search::{KeywordIndex, KeywordQuery, TantivyIndex, TopKAlgorithm};
use serde::Serialize;

use crate::relevance::{ndcg_at_10, Latency, Qrels, Query, Run};

/// Hits asked of each search.
pub const TOP_K: usize = 10;

/// BM25 latency and quality over the queries.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyResult {
    /// Queries timed.
    pub queries: usize,
    /// Seconds to open the hub (store, index, catch-up).
    pub open_seconds: f64,
    /// Queries whose text [`KeywordQuery::parse`] refused (not timed).
    pub unparsable: usize,
    /// Per-query latency of the timed pass (after one warm-up pass): `Hub::search`, keys from
    /// the index and papers from the store.
    pub latency: Latency,
    /// The warm-up pass, timed too: each query's first run, when the index's pages and
    /// MaxScore's per-term bounds are not yet in memory.
    pub first_pass: Latency,
    /// The same queries against the keyword index alone (no store lookups), timed in a third
    /// pass: how much of the latency is BM25 itself.
    pub index_only: Latency,
    /// The index-only pass again with tantivy's block-max WAND instead of paperhub's MaxScore
    /// (same queries, same index, same ranking): what MaxScore changes.
    pub index_only_block_max_wand: Latency,
    /// The index-only pass with MaxScore's bounds per segment instead of per window: what the
    /// windows change.
    pub index_only_segment_bounds: Latency,
    /// Index-only passes (top 10, top 300) with MaxScore's windows of `1 << shift` documents,
    /// for the shifts `--window-shifts` asks for.
    pub index_only_windows: Vec<(u32, Latency, Latency)>,
    /// The index alone asked for the top 300, as a hybrid search for the top 100 asks it
    /// (MaxScore).
    pub index_only_top300: Latency,
    /// The same with tantivy's block-max WAND.
    pub index_only_top300_block_max_wand: Latency,
    /// Mean nDCG@10 against the qrels.
    pub ndcg_at_10: f64,
}

/// Opens the hub in `data_dir` through the app's assembly, as `paperhub` does, keeping a
/// handle on the index for the index-only pass.
fn open_hub(data_dir: &Path) -> anyhow::Result<(Hub, Arc<TantivyIndex>)> {
    let ctx = crate::context(data_dir, None);
    let index = ctx.open_keyword_index()?;
    let hub = ctx.open_hub_over(index.clone())?;
    Ok((hub, index))
}

/// Runs every query once to warm caches, then once more timing each search on its own.
pub fn measure(
    data_dir: &Path,
    queries: &[Query],
    qrels: &Qrels,
    window_shifts: &[u32],
) -> anyhow::Result<LatencyResult> {
    let started = Instant::now();
    let (hub, index) = open_hub(data_dir)?;
    let open_seconds = started.elapsed().as_secs_f64();
    let search = |query: &Query| -> anyhow::Result<Option<Vec<String>>> {
        let request = SearchRequest::new(query.text.as_str())
            .mode(SearchMode::Keyword)
            .limit(TOP_K);
        let found = match hub.search(&request) {
            Err(HubError::InvalidQuery(_)) => return Ok(None),
            found => found.with_context(|| format!("searching {:?}", query.text))?,
        };
        Ok(Some(
            found
                .hits
                .into_iter()
                .filter_map(|h| h.paper.meta.source_id)
                .collect(),
        ))
    };
    eprintln!("latency: warm-up pass over {} queries", queries.len());
    let mut first_millis = Vec::with_capacity(queries.len());
    for query in queries {
        let started = Instant::now();
        search(query)?;
        first_millis.push(started.elapsed().as_secs_f64() * 1e3);
    }
    eprintln!("latency: timed pass");
    let mut millis = Vec::with_capacity(queries.len());
    let mut run = Run::new();
    let mut unparsable = 0;
    for query in queries {
        let started = Instant::now();
        let found = search(query)?;
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        match found {
            Some(ids) => {
                millis.push(elapsed);
                run.insert(query.id.clone(), ids);
            }
            None => unparsable += 1,
        }
    }
    let index_only = |algorithm: TopKAlgorithm, k: usize| -> anyhow::Result<Latency> {
        eprintln!("latency: index-only pass, top {k} ({algorithm:?})");
        index.set_top_k_algorithm(algorithm);
        let mut millis = Vec::with_capacity(queries.len());
        for query in queries {
            let Ok(mut parsed) = KeywordQuery::parse(&query.text) else {
                continue;
            };
            parsed.limit = k;
            let started = Instant::now();
            index
                .search(&parsed)
                .with_context(|| format!("searching {:?}", query.text))?;
            millis.push(started.elapsed().as_secs_f64() * 1e3);
        }
        index.set_top_k_algorithm(TopKAlgorithm::default());
        Ok(Latency::of(&millis))
    };
    let index_only_block_max_wand = index_only(TopKAlgorithm::BlockMaxWand, TOP_K)?;
    let index_only_segment_bounds = index_only(TopKAlgorithm::MaxScoreSegmentBounds, TOP_K)?;
    let index_only_max_score = index_only(TopKAlgorithm::MaxScore, TOP_K)?;
    let index_only_top300_block_max_wand = index_only(TopKAlgorithm::BlockMaxWand, 300)?;
    let index_only_top300 = index_only(TopKAlgorithm::MaxScore, 300)?;
    let index_only_windows = window_shifts
        .iter()
        .map(|&shift| {
            let algorithm = TopKAlgorithm::MaxScoreWindows(shift);
            Ok((
                shift,
                index_only(algorithm, TOP_K)?,
                index_only(algorithm, 300)?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(LatencyResult {
        queries: millis.len(),
        open_seconds,
        unparsable,
        latency: Latency::of(&millis),
        first_pass: Latency::of(&first_millis),
        index_only: index_only_max_score,
        index_only_block_max_wand,
        index_only_segment_bounds,
        index_only_windows,
        index_only_top300,
        index_only_top300_block_max_wand,
        ndcg_at_10: ndcg_at_10(&run, qrels),
    })
}
