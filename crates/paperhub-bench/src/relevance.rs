//! The SciFact train queries, their relevance judgements, and nDCG@10.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

/// One query.
#[derive(Debug, Clone, Deserialize)]
pub struct Query {
    /// Its id (the qrels' `query-id`).
    #[serde(rename = "_id")]
    pub id: String,
    /// Its text.
    pub text: String,
}

/// Relevant documents per query: `query-id -> corpus-id -> grade`.
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// Ranked document ids per query.
pub type Run = HashMap<String, Vec<String>>;

/// Reads a BEIR `queries.jsonl`.
pub fn read_queries(path: &Path) -> anyhow::Result<Vec<Query>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .with_context(|| format!("{}: line {}", path.display(), i + 1))
        })
        .collect()
}

/// Reads a BEIR qrels TSV (`query-id corpus-id score`, with a header).
pub fn read_qrels(path: &Path) -> anyhow::Result<Qrels> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut qrels = Qrels::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let mut fields = line.split('\t');
        let (Some(query), Some(doc), Some(grade)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let grade: u32 = grade
            .trim()
            .parse()
            .with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        qrels
            .entry(query.to_owned())
            .or_default()
            .insert(doc.to_owned(), grade);
    }
    Ok(qrels)
}

/// Mean nDCG@10 over the queries that have judgements, with linear gains (as `pytrec_eval`'s
/// `ndcg_cut_10`, which BEIR reports). A query missing from `run` scores 0.
pub fn ndcg_at_10(run: &Run, qrels: &Qrels) -> f64 {
    const K: usize = 10;
    if qrels.is_empty() {
        return 0.0;
    }
    let discount = |rank: usize| 1.0 / ((rank + 2) as f64).log2();
    let total: f64 = qrels
        .iter()
        .map(|(query, judged)| {
            let ranked = run.get(query).map(Vec::as_slice).unwrap_or(&[]);
            let dcg: f64 = ranked
                .iter()
                .take(K)
                .enumerate()
                .map(|(rank, doc)| judged.get(doc).copied().unwrap_or(0) as f64 * discount(rank))
                .sum();
            let mut ideal: Vec<u32> = judged.values().copied().collect();
            ideal.sort_unstable_by(|a, b| b.cmp(a));
            let idcg: f64 = ideal
                .iter()
                .take(K)
                .enumerate()
                .map(|(rank, &g)| g as f64 * discount(rank))
                .sum();
            if idcg > 0.0 {
                dcg / idcg
            } else {
                0.0
            }
        })
        .sum();
    total / qrels.len() as f64
}

/// Latency summary of per-query times, in milliseconds.
#[derive(Debug, Clone, Copy, serde::Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `millis`.
    pub fn of(millis: &[f64]) -> Self {
        let mut sorted = millis.to_vec();
        sorted.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            if sorted.is_empty() {
                return f64::NAN;
            }
            let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Latency {
            p50_ms: pct(50.0),
            p95_ms: pct(95.0),
            p99_ms: pct(99.0),
            mean_ms: sorted.iter().sum::<f64>() / sorted.len().max(1) as f64,
            max_ms: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qrels(pairs: &[(&str, &str)]) -> Qrels {
        let mut q = Qrels::new();
        for (query, doc) in pairs {
            q.entry((*query).into())
                .or_default()
                .insert((*doc).into(), 1);
        }
        q
    }

    #[test]
    fn ndcg_is_one_for_a_perfect_ranking_and_lower_for_a_late_hit() {
        let judged = qrels(&[("q", "a")]);
        let perfect = Run::from([("q".into(), vec!["a".into(), "b".into()])]);
        let late = Run::from([("q".into(), vec!["b".into(), "a".into()])]);
        assert!((ndcg_at_10(&perfect, &judged) - 1.0).abs() < 1e-12);
        assert!((ndcg_at_10(&late, &judged) - 1.0 / 3f64.log2()).abs() < 1e-12);
        assert_eq!(ndcg_at_10(&Run::new(), &judged), 0.0);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let millis: Vec<f64> = (1..=100).map(f64::from).collect();
        let latency = Latency::of(&millis);
        assert_eq!(
            (
                latency.p50_ms,
                latency.p95_ms,
                latency.p99_ms,
                latency.max_ms
            ),
            (50.0, 95.0, 99.0, 100.0)
        );
    }
}
