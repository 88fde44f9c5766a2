//! `paperhub-bench memory`: does the vector index of all of arXiv fit in memory?
//!
//! Builds the product's on-disk HNSW index ([`HnswIndex`], int8, the default connectivity)
//! over `--vectors` vectors derived from real embeddings (as `paperhub-bench vectors` derives
//! them), saves it, and then opens it in a fresh process, as `paperhub serve` opens it, to
//! read what that process holds: resident memory before and after loading, after two passes
//! of a thousand searches (the first warms up), and at its peak. The parent also finds the
//! exact 10 nearest vectors of 100 query vectors while it builds, so the child reports
//! recall@10 at that size too.
//!
//! The memory a graph takes does not depend on how hard its links were searched for while
//! building (`--expansion-add`): every node has the same fixed slots for its links whatever
//! they hold. A low expansion_add therefore builds 3M vectors in minutes instead of most of
//! an hour and measures the same memory; the recall printed is that of the cheaper graph, and
//! the recall and latency targets are measured on 1M vectors with the default build by
//! `paperhub-bench vectors`.

use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_search::{HnswIndex, HnswParams, VectorIndex};
use serde::{Deserialize, Serialize};

use crate::relevance::Latency;
use crate::vectors::{ann_pass, dir_size, dot, f32_rows, memory_mib, real_vectors, Expansion};

/// Query vectors with exact neighbours, for recall.
const RECALL_QUERIES: usize = 100;

/// Arguments of `paperhub-bench memory`.
#[derive(Debug, Args)]
pub struct MemoryArgs {
    /// Where the index (`memory-index/`) goes; the real embeddings are cached here too
    /// (`real-vectors.f32`, shared with `paperhub-bench vectors`).
    #[arg(long, default_value = "../bench-data")]
    work_dir: PathBuf,
    /// The embedding model (to embed the real abstracts once, when not cached).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    model_dir: Option<PathBuf>,
    /// Vectors in the index (all of arXiv: about 3 million).
    #[arg(long, default_value_t = 3_000_000)]
    vectors: u64,
    /// Links per node (HNSW's M).
    #[arg(long, default_value_t = HnswParams::default().connectivity)]
    connectivity: usize,
    /// Candidates considered while linking (efConstruction): it changes build time and recall,
    /// not memory.
    #[arg(long, default_value_t = 32)]
    expansion_add: usize,
    /// Searches timed in the serving process.
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    /// Seed of the derived vectors.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
    /// Internal: open the index saved in this directory and report as the serving process.
    #[arg(long, hide = true)]
    open_only: Option<PathBuf>,
}

/// What the serving process reports.
#[derive(Debug, Serialize, Deserialize)]
struct Served {
    vectors: usize,
    rss_before_mib: f64,
    rss_loaded_mib: f64,
    rss_after_searches_mib: f64,
    peak_mib: f64,
    usearch_memory_mib: f64,
    open_seconds: f64,
    latency: Latency,
    recall_at_10: f64,
}

fn params(args: &MemoryArgs) -> HnswParams {
    HnswParams {
        connectivity: args.connectivity,
        expansion_add: args.expansion_add,
        ..HnswParams::default()
    }
}

/// Query `i`: a derived vector from another seed (not one of the indexed ones).
fn query(expansion: &Expansion, seed: u64, i: usize) -> Vec<f32> {
    expansion.derive(seed ^ 0x005E_ED0F_0E11, i as u64)
}

fn expansion(args: &MemoryArgs) -> anyhow::Result<Expansion> {
    load_expansion(&args.work_dir, args.model_dir.as_deref(), &args.shared)
}

/// The real embeddings (cached in `work_dir/real-vectors.f32`, shared by the benchmarks that
/// derive vectors; the model embeds them when not cached), ready to derive from.
pub(crate) fn load_expansion(
    work_dir: &Path,
    model_dir: Option<&Path>,
    shared: &Path,
) -> anyhow::Result<Expansion> {
    let cache = work_dir.join("real-vectors.f32");
    let model = match model_dir {
        Some(dir) if !cache.exists() => Some(
            paperhub_embed::Embedder::load(dir)
                .with_context(|| format!("loading the model from {}", dir.display()))?,
        ),
        _ => None,
    };
    let real = match &model {
        Some(model) => real_vectors(model, shared, &cache)?,
        None => {
            anyhow::ensure!(
                cache.exists(),
                "no cached real embeddings in {}: pass --model-dir (or PAPERHUB_MODEL_DIR)",
                cache.display()
            );
            f32_rows(&std::fs::read(&cache)?)
        }
    };
    Ok(Expansion::new(real))
}

/// The query vectors the parent writes for the serving process (f32 rows), so that the
/// serving process holds nothing but the index and them.
const QUERIES_FILE: &str = "queries.f32";

/// The serving side: open, search, report as one JSON line on stdout.
fn serve(args: &MemoryArgs, dir: &Path) -> anyhow::Result<()> {
    let queries = f32_rows(&std::fs::read(dir.join(QUERIES_FILE))?);
    let truth: Vec<Vec<u64>> = serde_json::from_slice(&std::fs::read(dir.join("exact.json"))?)?;
    let (rss_before_mib, _) = memory_mib();
    let started = Instant::now();
    let index = HnswIndex::open(dir, paperhub_embed::DIMENSIONS, params(args))?;
    let open_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        index.len() as u64 == args.vectors,
        "the index in {} holds {} vectors, not {}",
        dir.display(),
        index.len(),
        args.vectors
    );
    let (rss_loaded_mib, _) = memory_mib();
    // A warm-up pass, then a timed one (recall from the timed one).
    let (millis, recall_at_10) = ann_pass(&index, &queries, &truth)?;
    let (rss_after_searches_mib, peak_mib) = memory_mib();
    let served = Served {
        vectors: index.len(),
        rss_before_mib,
        rss_loaded_mib,
        rss_after_searches_mib,
        peak_mib,
        usearch_memory_mib: index.memory_usage() as f64 / 1048576.0,
        open_seconds,
        latency: Latency::of(&millis),
        recall_at_10,
    };
    println!("{}", serde_json::to_string(&served)?);
    Ok(())
}

/// Builds and saves the index (unless one of this size is saved), finding the exact
/// neighbours of the recall queries on the way. Returns the build seconds (0 when reused).
fn build(args: &MemoryArgs, dir: &Path, expansion: &Expansion) -> anyhow::Result<f64> {
    let exact_path = dir.join("exact.json");
    {
        let index = HnswIndex::open(dir, paperhub_embed::DIMENSIONS, params(args))?;
        if index.len() as u64 == args.vectors && exact_path.exists() {
            eprintln!("memory: reusing the index of {} vectors", index.len());
            return Ok(0.0);
        }
    }
    let queries: Vec<Vec<f32>> = (0..RECALL_QUERIES)
        .map(|i| query(expansion, args.seed, i))
        .collect();
    type Heap = BinaryHeap<std::cmp::Reverse<(u32, u64)>>;
    let mut heaps: Vec<Heap> = queries.iter().map(|_| BinaryHeap::new()).collect();
    let seconds = build_derived(
        "memory",
        dir,
        args.vectors,
        params(args),
        expansion,
        args.seed,
        |items| {
            for (heap, q) in heaps.iter_mut().zip(&queries) {
                for (k, v) in items {
                    // Cosines of unit vectors in [-1, 1], shifted and scaled to whole numbers
                    // (1e-6 apart) so the heap can order them.
                    let score = ((dot(q, v) + 2.0) * 1e6) as u32;
                    if heap.len() < 10 {
                        heap.push(std::cmp::Reverse((score, *k)));
                    } else if heap.peek().is_some_and(|top| score > top.0 .0) {
                        heap.pop();
                        heap.push(std::cmp::Reverse((score, *k)));
                    }
                }
            }
        },
    )?;
    let exact: Vec<Vec<u64>> = heaps
        .into_iter()
        .map(|h| h.into_iter().map(|std::cmp::Reverse((_, k))| k).collect())
        .collect();
    std::fs::write(&exact_path, serde_json::to_vec(&exact)?)?;
    Ok(seconds)
}

/// Builds and saves, in `dir` (emptied first), the product's HNSW index over `count` vectors
/// derived with `seed` (keys 1 to `count`), in batches, each batch shown to `on_batch` before
/// it is indexed; prints progress every 30 s as `what`. Returns the build seconds.
pub(crate) fn build_derived(
    what: &str,
    dir: &Path,
    count: u64,
    params: HnswParams,
    expansion: &Expansion,
    seed: u64,
    mut on_batch: impl FnMut(&[(u64, Vec<f32>)]),
) -> anyhow::Result<f64> {
    std::fs::remove_dir_all(dir).ok();
    let index = HnswIndex::open(dir, paperhub_embed::DIMENSIONS, params)?;
    index.reserve(usize::try_from(count)?)?;
    let started = Instant::now();
    let mut last_report = Instant::now();
    let batch = 20_000u64;
    let mut key = 1u64;
    while key <= count {
        let end = (key + batch).min(count + 1);
        let items: Vec<(u64, Vec<f32>)> =
            (key..end).map(|k| (k, expansion.derive(seed, k))).collect();
        on_batch(&items);
        index.upsert(&items)?;
        let done = end - 1;
        if last_report.elapsed().as_secs() >= 30 || done == count {
            last_report = Instant::now();
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!(
                "{what}: {done}/{count} vectors indexed, {rate:.0}/s, ETA {:.0}s",
                (count - done) as f64 / rate.max(1.0)
            );
        }
        key = end;
    }
    index.save(count)?;
    Ok(started.elapsed().as_secs_f64())
}

/// Runs `paperhub-bench memory`.
pub fn run(args: &MemoryArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.open_only {
        return serve(args, dir);
    }
    let dir = args.work_dir.join("memory-index");
    eprintln!(
        "== 1/2 build: {} derived vectors, M {}, ef_construction {}",
        args.vectors, args.connectivity, args.expansion_add
    );
    // Derived once: the build and the serving process's queries come from it.
    let expansion = expansion(args)?;
    let build_seconds = build(args, &dir, &expansion)?;
    let queries: Vec<u8> = (0..args.queries.max(RECALL_QUERIES))
        .flat_map(|i| query(&expansion, args.seed, i))
        .flat_map(f32::to_le_bytes)
        .collect();
    std::fs::write(dir.join(QUERIES_FILE), queries)?;
    drop(expansion);
    eprintln!("== 2/2 open it in a fresh process and search");
    let mut child = std::process::Command::new(std::env::current_exe()?);
    child
        .arg("memory")
        .arg("--open-only")
        .arg(&dir)
        .arg("--work-dir")
        .arg(&args.work_dir)
        .arg("--vectors")
        .arg(args.vectors.to_string())
        .arg("--connectivity")
        .arg(args.connectivity.to_string())
        .arg("--expansion-add")
        .arg(args.expansion_add.to_string())
        .arg("--queries")
        .arg(args.queries.to_string())
        .arg("--seed")
        .arg(args.seed.to_string())
        .arg("--shared")
        .arg(&args.shared)
        .stderr(std::process::Stdio::inherit());
    let output = child.output().context("running the serving process")?;
    anyhow::ensure!(
        output.status.success(),
        "the serving process failed: {}",
        output.status
    );
    let served: Served =
        serde_json::from_slice(&output.stdout).context("reading the serving process's report")?;
    let graph_mib = std::fs::read_dir(&dir)?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("graph-"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len() as f64 / 1048576.0)
        .sum::<f64>();
    let loaded = served.rss_loaded_mib - served.rss_before_mib;
    let per_vector = loaded * 1048576.0 / served.vectors as f64;
    println!(
        "paperhub-bench memory: {} vectors, M {}, ef_construction {}",
        served.vectors, args.connectivity, args.expansion_add
    );
    println!("build, s                               {build_seconds:>10.1}");
    println!("graph file, MiB                        {graph_mib:>10.1}");
    println!(
        "index directory on disk, MiB           {:>10.1}",
        dir_size(&dir) as f64 / 1048576.0
    );
    println!(
        "open (load the graph), s               {:>10.2}",
        served.open_seconds
    );
    println!(
        "serving process RSS before open, MiB   {:>10.1}",
        served.rss_before_mib
    );
    println!(
        "  after loading the graph, MiB         {:>10.1}",
        served.rss_loaded_mib
    );
    println!(
        "  after 2 x {} searches, MiB         {:>10.1}",
        args.queries, served.rss_after_searches_mib
    );
    println!(
        "  peak, MiB                            {:>10.1}",
        served.peak_mib
    );
    println!("graph added to RSS, MiB                {loaded:>10.1} ({per_vector:.0} B/vector)");
    println!(
        "usearch memory_usage, MiB              {:>10.1}",
        served.usearch_memory_mib
    );
    println!(
        "ANN top 10, p50 / p99 ms               {:>10.2} / {:.2}",
        served.latency.p50_ms, served.latency.p99_ms
    );
    println!(
        "recall@10 vs exact ({RECALL_QUERIES} queries)       {:>10.3}",
        served.recall_at_10
    );
    let met = served.peak_mib < 2048.0;
    println!(
        "target: vector index of {} papers under 2 GiB: [{}] peak RSS {:.0} MiB",
        served.vectors,
        if met { "met" } else { "NOT MET" },
        served.peak_mib
    );
    Ok(())
}
