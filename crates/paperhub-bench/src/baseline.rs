//! The `bm25s` baseline: `bench/bm25s_baseline.py` run on the same corpus and queries.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::ingest::watch;
use crate::relevance::{ndcg_at_10, Latency, Qrels, Run};

/// What the script writes.
#[derive(Debug, Deserialize)]
struct ScriptOutput {
    papers: u64,
    load_seconds: f64,
    tokenize_seconds: f64,
    index_seconds: f64,
    vocab_size: u64,
    index_mib: f64,
    backend: String,
    queries: usize,
    latency: Latency,
    versions: serde_json::Value,
    results: Run,
}

/// The baseline's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct BaselineResult {
    /// The command run.
    pub command: String,
    /// Documents indexed.
    pub papers: u64,
    /// Reading and parsing the corpus file.
    pub load_seconds: f64,
    /// Tokenizing and stemming.
    pub tokenize_seconds: f64,
    /// Building the BM25 matrix.
    pub index_seconds: f64,
    /// `papers / (load + tokenize + index)`: from the file to a searchable index, like
    /// `paperhub ingest`.
    pub papers_per_second: f64,
    /// `papers / (tokenize + index)`, the corpus already in memory.
    pub papers_per_second_in_memory: f64,
    /// Process wall time.
    pub wall_seconds: f64,
    /// Peak resident memory of the Python process, MiB.
    pub peak_rss_mib: f64,
    /// Size of the score matrix in memory (bm25s keeps its index in RAM), MiB.
    pub index_mib: f64,
    /// Terms.
    pub vocab_size: u64,
    /// bm25s scoring backend.
    pub backend: String,
    /// Queries timed.
    pub queries: usize,
    /// Per-query latency (tokenize + retrieve), after a warm-up pass.
    pub latency: Latency,
    /// Mean nDCG@10 against the qrels.
    pub ndcg_at_10: f64,
    /// Python and library versions.
    pub versions: serde_json::Value,
}

/// The script, found beside the workspace unless told otherwise.
pub fn default_script() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/bm25s_baseline.py"
    ))
}

/// Runs the script with `python` and reads its results.
pub fn measure(
    python: &str,
    script: &Path,
    corpus: &Path,
    queries: &Path,
    out: &Path,
    qrels: &Qrels,
) -> anyhow::Result<BaselineResult> {
    let mut command = Command::new(python);
    command
        .arg(script)
        .arg("--corpus")
        .arg(corpus)
        .arg("--queries")
        .arg(queries)
        .arg("--k")
        .arg(crate::latency::TOP_K.to_string())
        .arg("--out")
        .arg(out);
    let shown = format!("{command:?}");
    eprintln!("bm25s: {shown}");
    let watched = watch(command, "bm25s")?;
    let text =
        std::fs::read_to_string(out).with_context(|| format!("reading {}", out.display()))?;
    let output: ScriptOutput =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", out.display()))?;
    let build = output.tokenize_seconds + output.index_seconds;
    Ok(BaselineResult {
        command: shown,
        papers: output.papers,
        load_seconds: output.load_seconds,
        tokenize_seconds: output.tokenize_seconds,
        index_seconds: output.index_seconds,
        papers_per_second: output.papers as f64 / (output.load_seconds + build),
        papers_per_second_in_memory: output.papers as f64 / build,
        wall_seconds: watched.wall_seconds,
        peak_rss_mib: watched.peak_rss_mib,
        index_mib: output.index_mib,
        vocab_size: output.vocab_size,
        backend: output.backend,
        queries: output.queries,
        latency: output.latency,
        ndcg_at_10: ndcg_at_10(&output.results, qrels),
        versions: output.versions,
    })
}
