//! `paperhub-bench embed`: the embedding model's speed, paperhub against sentence-transformers
//! on PyTorch, on the same real abstracts and queries, in one run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_core::SourceFormat;
use paperhub_embed::Embedder;
use paperhub_ingest::{read_file, ReadOptions};
use serde::Deserialize;
use serde_json::json;

use crate::relevance::Latency;

/// Short queries, as a researcher types them; each is embedded five times.
const QUERIES: [&str; 20] = [
    "how to make a trained model forget some of its training data",
    "programmable gradient information",
    "real-time object detection",
    "long context language models",
    "state space models versus transformers on long sequences",
    "reducing hallucinations in large language models",
    "diffusion models for image generation",
    "text to video generation",
    "retrieval augmented generation with small language models",
    "efficient attention for long context",
    "reinforcement learning from human feedback",
    "graph neural networks for molecules",
    "speech recognition in noisy environments",
    "mixture of experts routing",
    "benchmark for code generation",
    "continual learning without forgetting",
    "machine unlearning",
    "training from scratch versus fine-tuning",
    "robot manipulation from demonstrations",
    "quantization of large language models",
];

/// Arguments of `paperhub-bench embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Where the texts, queries and results are written.
    #[arg(long, default_value = "../bench-data-embed")]
    work_dir: PathBuf,
    /// The embedding model (as installed by `paperhub model install`).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    model_dir: PathBuf,
    /// The listing page whose abstracts are embedded.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seed/000_446ad54c0b8c9ae7.txt"))]
    listing: PathBuf,
    /// Python with sentence-transformers and torch (bench/requirements-embed.txt).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Leave out the PyTorch baseline.
    #[arg(long)]
    skip_baseline: bool,
}

#[derive(Debug, Deserialize)]
struct Throughput {
    docs_per_s: f64,
}

#[derive(Debug, Deserialize)]
struct Documents {
    batch_1: Throughput,
    batch_32: Throughput,
}

#[derive(Debug, Deserialize)]
struct BaselineOutput {
    documents: Documents,
    query_latency: BaselineLatency,
    torch_threads: u32,
    versions: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct BaselineLatency {
    p50_ms: f64,
    p99_ms: f64,
}

fn abstracts(listing: &Path) -> anyhow::Result<Vec<String>> {
    let options = ReadOptions {
        format: Some(SourceFormat::Listing),
        date: None,
    };
    let records =
        read_file(listing, &options).with_context(|| format!("reading {}", listing.display()))?;
    records
        .map(|r| {
            r.map(|meta| meta.abstract_text)
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect()
}

/// Documents per second embedding `texts` in batches of `batch`.
fn throughput(model: &Embedder, texts: &[&str], batch: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    for chunk in texts.chunks(batch) {
        model.embed(chunk)?;
    }
    Ok(texts.len() as f64 / started.elapsed().as_secs_f64())
}

/// Runs `paperhub-bench embed`.
pub fn run(args: &EmbedArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("creating {}", args.work_dir.display()))?;
    let texts = abstracts(&args.listing)?;
    let texts_file = args.work_dir.join("texts.json");
    let queries_file = args.work_dir.join("queries.json");
    std::fs::write(&texts_file, serde_json::to_string(&texts)?)?;
    std::fs::write(&queries_file, serde_json::to_string(&QUERIES)?)?;

    eprintln!(
        "paperhub: loading the model from {}",
        args.model_dir.display()
    );
    let model = Embedder::load(&args.model_dir)?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: Vec<usize> = refs.iter().map(|t| model.token_count(t)).collect();
    // Warm up as the baseline does: weights paged in, threads started.
    model.embed(&refs[..8.min(refs.len())])?;
    let batch_1 = throughput(&model, &refs, 1)?;
    let batch_32 = throughput(&model, &refs, 32)?;
    let query = query_latency(&model, true, false)?;
    // What a busy server pays: one thread per query.
    let query_one_thread = query_latency(&model, false, false)?;
    // And for the semantic half of a hybrid search (`Embedder::embed_candidates_query`).
    let candidates_one_thread = query_latency(&model, false, true)?;
    // Hybrid searches running at the same time share one pass (`embed_candidates_queries`).
    let batched: Vec<(usize, f64)> = [1, 2, 4, paperhub_embed::QUERY_BATCH]
        .into_iter()
        .map(|n| Ok((n, batched_candidates(&model, n)?)))
        .collect::<anyhow::Result<_>>()?;
    eprintln!(
        "paperhub: batch 1 {batch_1:.1} docs/s, batch 32 {batch_32:.1} docs/s, query p50 {:.2} ms",
        query.p50_ms
    );

    let baseline = if args.skip_baseline {
        None
    } else {
        let out = args.work_dir.join("embed_baseline.json");
        let script = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/embed_baseline.py"
        ));
        let status = Command::new(&args.python)
            .arg(&script)
            .arg("--texts")
            .arg(&texts_file)
            .arg("--queries")
            .arg(&queries_file)
            .arg("--out")
            .arg(&out)
            .status()
            .with_context(|| format!("running {} {}", args.python, script.display()))?;
        anyhow::ensure!(
            status.success(),
            "{} failed ({status}); see its output above",
            script.display()
        );
        let text =
            std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
        Some(
            serde_json::from_str::<BaselineOutput>(&text)
                .with_context(|| format!("parsing {}", out.display()))?,
        )
    };

    let mean_tokens = tokens.iter().sum::<usize>() as f64 / tokens.len().max(1) as f64;
    println!();
    println!(
        "embedding {} real abstracts ({mean_tokens:.0} tokens on average, {} cut at {}), {} queries",
        texts.len(),
        tokens.iter().filter(|&&t| t == paperhub_embed::MAX_TOKENS).count(),
        paperhub_embed::MAX_TOKENS,
        QUERY_RUNS
    );
    println!(
        "{:<32} {:>10} {:>12} {:>10}",
        "", "paperhub", "PyTorch", "ratio"
    );
    let row = |name: &str, ours: f64, theirs: Option<f64>, higher_is_better: bool| {
        let ratio = theirs.map(|t| if higher_is_better { ours / t } else { t / ours });
        println!(
            "{name:<32} {ours:>10.2} {:>12} {:>10}",
            theirs.map_or("-".into(), |t| format!("{t:.2}")),
            ratio.map_or("-".into(), |r| format!("{r:.2}x"))
        );
    };
    let b = baseline.as_ref();
    row(
        "docs/s, batch 1",
        batch_1,
        b.map(|b| b.documents.batch_1.docs_per_s),
        true,
    );
    row(
        "docs/s, batch 32",
        batch_32,
        b.map(|b| b.documents.batch_32.docs_per_s),
        true,
    );
    row(
        "query p50, ms",
        query.p50_ms,
        b.map(|b| b.query_latency.p50_ms),
        false,
    );
    row(
        "query p99, ms",
        query.p99_ms,
        b.map(|b| b.query_latency.p99_ms),
        false,
    );
    row(
        "query p50 on one thread, ms",
        query_one_thread.p50_ms,
        None,
        false,
    );
    row(
        "query p99 on one thread, ms",
        query_one_thread.p99_ms,
        None,
        false,
    );
    row(
        "hybrid's query p50, one thread",
        candidates_one_thread.p50_ms,
        None,
        false,
    );
    row(
        "hybrid's query p99, one thread",
        candidates_one_thread.p99_ms,
        None,
        false,
    );
    for &(n, ms) in &batched {
        row(
            &format!("hybrid's queries {n} a pass, ms each"),
            ms,
            None,
            false,
        );
    }
    if let Some(b) = b {
        println!(
            "PyTorch threads: {}; versions: {}",
            b.torch_threads, b.versions
        );
        let ratio = batch_32 / b.documents.batch_32.docs_per_s;
        println!(
            "target: >= 1.5x PyTorch throughput at batch 32: {} ({ratio:.2}x)",
            if ratio >= 1.5 { "met" } else { "NOT MET" }
        );
    }
    println!(
        "target: query embedded in <= 10 ms (p50): {} ({:.2} ms)",
        if query.p50_ms <= 10.0 {
            "met"
        } else {
            "NOT MET"
        },
        query.p50_ms
    );
    let results = json!({
        "texts": texts.len(),
        "mean_tokens": mean_tokens,
        "paperhub": { "batch_1_docs_per_second": batch_1, "batch_32_docs_per_second": batch_32, "query": query, "query_one_thread": query_one_thread, "candidates_query_one_thread": candidates_one_thread,
            "candidates_queries_per_pass_ms_each": batched.iter().map(|(n, ms)| json!({ "queries": n, "ms_each": ms })).collect::<Vec<_>>() },
        "baseline_file": b.map(|_| args.work_dir.join("embed_baseline.json")),
    });
    let path = args.work_dir.join("embed_results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("results: {}", path.display());
    Ok(())
}

/// Queries embedded one after another to time them.
const QUERY_RUNS: usize = 100;

/// The latency of embedding one query, on every core or on the calling thread only, as search
/// by meaning embeds it or (`candidates`) as a hybrid search does.
fn query_latency(model: &Embedder, all_cores: bool, candidates: bool) -> anyhow::Result<Latency> {
    let mut millis = Vec::with_capacity(QUERY_RUNS);
    for i in 0..QUERY_RUNS {
        let query = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        if candidates {
            model.embed_candidates_query(query, all_cores)?;
        } else {
            model.embed_one_with(query, all_cores)?;
        }
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Latency::of(&millis))
}

/// The mean time per query of embedding hybrid searches' queries `n` at a time in one pass on
/// the calling thread (`Embedder::embed_candidates_queries`), over [`QUERY_RUNS`] queries
/// at least, after one warm-up pass.
fn batched_candidates(model: &Embedder, n: usize) -> anyhow::Result<f64> {
    let batch =
        |i: usize| -> Vec<&str> { (0..n).map(|j| QUERIES[(i + j) % QUERIES.len()]).collect() };
    model.embed_candidates_queries(&batch(0))?;
    let passes = QUERY_RUNS.div_ceil(n);
    let started = Instant::now();
    for p in 0..passes {
        model.embed_candidates_queries(&batch(p * n))?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / (passes * n) as f64)
}
