//! `paperhub-bench vectors`: search by meaning at scale. On the hub built by `paperhub-bench
//! run` (the synthetic corpus), gives every paper a vector derived from real embeddings, builds
//! the on-disk HNSW index the way `paperhub` opens it, and measures: build time, index size,
//! memory, ANN recall@10 against exact search, ANN latency, and hybrid search end to end
//! (query embedding, BM25, ANN, fusion, store) over the real SciFact train claims.
//!
//! Embedding a million abstracts takes most of a day on two cores, so the vectors are made
//! from the real embeddings of the real abstracts (SciFact, the arXiv samples, the seed
//! listing), expanded by [`derive`]: each paper's vector starts from one real embedding, moves
//! a random part of the way towards one of that embedding's ten nearest real neighbours, and
//! gets Gaussian noise scaled so that a derived vector is as close to its origin as real
//! abstracts are to their nearest real neighbour; then it is normalised. The result keeps the
//! real vectors' topics, anisotropy and neighbourhood distances, with no two vectors equal.

use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_app::{Hub, SearchMode, SearchRequest};
use paperhub_core::SourceFormat;
use paperhub_ingest::{expand_paths, read_file, ReadOptions};
use paperhub_search::{HnswIndex, HnswParams, KeywordQuery, TantivyIndex, VectorIndex};
use paperhub_store::{EmbeddingStore, PaperStore};
use paperhub_store_sqlite::SqliteStore;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::relevance::{read_queries, Latency};

/// Arguments of `paperhub-bench vectors`.
#[derive(Debug, Args)]
pub struct VectorsArgs {
    /// The work directory of `paperhub-bench run` (its hub is in `data/`).
    #[arg(long, default_value = "../bench-data")]
    work_dir: PathBuf,
    /// The embedding model (as installed by `paperhub model install`).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    model_dir: PathBuf,
    /// Queries whose exact nearest neighbours are computed (by scanning every vector) to
    /// measure recall.
    #[arg(long, default_value_t = 300)]
    recall_queries: usize,
    /// Seed of the derived vectors.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Build the index again even when one is saved.
    #[arg(long)]
    rebuild: bool,
    /// Also measure ANN recall@10 and latency for each of these search settings, given as
    /// EF:RESCORE (ef, and candidates beyond 10 rescored in f32), on the same index.
    #[arg(long, value_delimiter = ',')]
    sweep: Vec<String>,
    /// Links per node (HNSW's M) when the index is built.
    #[arg(long, default_value_t = HnswParams::default().connectivity)]
    connectivity: usize,
    /// Candidates considered while linking a vector (efConstruction) when the index is built.
    #[arg(long, default_value_t = HnswParams::default().expansion_add)]
    expansion_add: usize,
    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// Resident and peak memory of this process, MiB.
pub(crate) fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub(crate) fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                let meta = e.metadata();
                // Allocated bytes: the vector file is sparse where keys are unused.
                meta.map_or(0, |m| {
                    use std::os::unix::fs::MetadataExt as _;
                    if m.is_dir() {
                        dir_size(&e.path())
                    } else {
                        m.blocks() * 512
                    }
                })
            })
            .sum()
    })
}

pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for ((sum, x), y) in acc.iter_mut().zip(x).zip(y) {
            *sum += x * y;
        }
    }
    acc.iter().sum()
}

fn normalise(v: &mut [f32]) {
    let norm = dot(v, v).sqrt().max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Title + abstract of every distinct real paper under `shared`.
pub(crate) fn real_texts(shared: &Path) -> anyhow::Result<Vec<String>> {
    let data = shared.join("data");
    let sources = [
        data.join("scifact").join("corpus.jsonl"),
        data.join("arxiv"),
        shared.join("seed"),
    ];
    let files = expand_paths(&sources).context("listing the real material")?;
    let mut seen = std::collections::HashSet::new();
    let mut texts = Vec::new();
    for path in &files {
        let mut options = ReadOptions::default();
        if path.extension().is_some_and(|e| e == "txt") {
            options.format = Some(SourceFormat::Listing);
        }
        let Ok(records) = read_file(path, &options) else {
            continue;
        };
        for meta in records.flatten() {
            if !meta.abstract_text.is_empty() && seen.insert(meta.title.clone()) {
                texts.push(format!("{}. {}", meta.title, meta.abstract_text));
            }
        }
    }
    anyhow::ensure!(
        texts.len() >= 100,
        "too little real material under {}",
        shared.display()
    );
    Ok(texts)
}

/// Vectors stored as rows of [`paperhub_embed::DIMENSIONS`] little-endian f32.
pub(crate) fn f32_rows(bytes: &[u8]) -> Vec<Vec<f32>> {
    bytes
        .chunks_exact(paperhub_embed::DIMENSIONS * 4)
        .map(|row| {
            row.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect()
}

/// Embeddings of the real papers, cached in `path` (f32 rows).
pub(crate) fn real_vectors(
    model: &paperhub_embed::Embedder,
    shared: &Path,
    path: &Path,
) -> anyhow::Result<Vec<Vec<f32>>> {
    let dims = paperhub_embed::DIMENSIONS;
    if let Ok(bytes) = std::fs::read(path) {
        if !bytes.is_empty() && bytes.len() % (dims * 4) == 0 {
            eprintln!("real vectors: reusing {}", path.display());
            return Ok(f32_rows(&bytes));
        }
    }
    let texts = real_texts(shared)?;
    let started = Instant::now();
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(32) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        vectors.extend(model.embed(&refs).map_err(|e| anyhow::anyhow!("{e}"))?);
        let done = vectors.len();
        let rate = done as f64 / started.elapsed().as_secs_f64();
        eprintln!(
            "real vectors: {done}/{} embedded, {rate:.0}/s, ETA {:.0}s",
            texts.len(),
            (texts.len() - done) as f64 / rate
        );
    }
    let bytes: Vec<u8> = vectors
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(vectors)
}

/// How real vectors are expanded: each one's ten nearest real neighbours and the noise scale.
pub(crate) struct Expansion {
    real: Vec<Vec<f32>>,
    neighbours: Vec<Vec<usize>>,
    sigma: f32,
    median_nn_cosine: f32,
}

impl Expansion {
    pub(crate) fn new(real: Vec<Vec<f32>>) -> Self {
        let n = real.len();
        let neighbours: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                let mut scored: Vec<(f32, usize)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (dot(&real[i], &real[j]), j))
                    .collect();
                scored.select_nth_unstable_by(10, |a, b| b.0.total_cmp(&a.0));
                scored.truncate(10);
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                scored.into_iter().map(|(_, j)| j).collect()
            })
            .collect();
        let mut nn: Vec<f32> = (0..n)
            .map(|i| dot(&real[i], &real[neighbours[i][0]]))
            .collect();
        nn.sort_by(f32::total_cmp);
        let median_nn_cosine = nn[n / 2];
        // Noise of norm s on a unit vector leaves a cosine of 1/sqrt(1 + s^2) to it; choose s
        // so that this is the median nearest-neighbour cosine.
        let s = (1.0 / (median_nn_cosine * median_nn_cosine) - 1.0)
            .max(0.0)
            .sqrt();
        let sigma = s / (paperhub_embed::DIMENSIONS as f32).sqrt();
        Self {
            real,
            neighbours,
            sigma,
            median_nn_cosine,
        }
    }

    /// The derived vector of paper `key`.
    pub(crate) fn derive(&self, seed: u64, key: u64) -> Vec<f32> {
        let mut rng = SmallRng::seed_from_u64(seed ^ key.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let origin = rng.random_range(0..self.real.len());
        let towards = self.neighbours[origin][rng.random_range(0..10)];
        let t: f32 = rng.random_range(0.0..0.5);
        let (a, b) = (&self.real[origin], &self.real[towards]);
        let mut v: Vec<f32> = a
            .iter()
            .zip(b)
            .map(|(x, y)| {
                // Box-Muller: one standard normal from two uniforms.
                let u1: f32 = rng.random_range(f32::EPSILON..1.0);
                let u2: f32 = rng.random_range(0.0..1.0);
                let normal = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
                x + t * (y - x) + self.sigma * normal
            })
            .collect();
        normalise(&mut v);
        v
    }
}

/// Gives every paper in the store a derived vector (skipped when all have one).
fn fill_store(store: &SqliteStore, expansion: &Expansion, seed: u64) -> anyhow::Result<(u64, f64)> {
    let model = paperhub_embed::MODEL_ID;
    let papers = store.stats()?.papers;
    if store.embedding_count(model)? >= papers {
        eprintln!("vectors: every paper already has one");
        return Ok((papers, 0.0));
    }
    let started = Instant::now();
    let mut done = 0u64;
    let mut after_key = 0;
    loop {
        let batch = store.papers_to_embed(model, after_key, 10_000)?;
        let Some(last) = batch.last() else { break };
        after_key = last.key;
        let items: Vec<(u64, u64, Vec<f32>)> = batch
            .iter()
            .map(|p| (p.key, p.seq, expansion.derive(seed, p.key)))
            .collect();
        store.put_embeddings(model, &items)?;
        done += items.len() as u64;
        if done % 100_000 < 10_000 {
            eprintln!(
                "vectors: {done}/{papers} stored, {:.0}/s",
                done as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok((done, started.elapsed().as_secs_f64()))
}

/// Two passes of ANN top-10 searches over `queries` (the first warms up); the second's
/// latencies in ms, and its recall@10 against `exact` (the queries that have one).
pub(crate) fn ann_pass(
    vectors: &HnswIndex,
    queries: &[Vec<f32>],
    exact: &[Vec<u64>],
) -> anyhow::Result<(Vec<f64>, f64)> {
    for q in queries {
        vectors.search(q, 10, None)?;
    }
    let mut ms = Vec::with_capacity(queries.len());
    let mut found = 0usize;
    for (i, q) in queries.iter().enumerate() {
        let t = Instant::now();
        let hits = vectors.search(q, 10, None)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        if let Some(truth) = exact.get(i) {
            found += hits.iter().filter(|h| truth.contains(&h.key)).count();
        }
    }
    let recall = found as f64 / (10 * exact.len().min(queries.len())).max(1) as f64;
    Ok((ms, recall))
}

/// The exact 10 nearest stored vectors of each query, by scanning them all.
fn exact_top10(store: &SqliteStore, queries: &[Vec<f32>]) -> anyhow::Result<Vec<Vec<u64>>> {
    type Heap = BinaryHeap<std::cmp::Reverse<(OrdF32, u64)>>;
    let mut heaps: Vec<Heap> = queries.iter().map(|_| BinaryHeap::new()).collect();
    let mut after = 0;
    let started = Instant::now();
    let mut scanned = 0usize;
    loop {
        let chunk = store.embeddings_since(paperhub_embed::MODEL_ID, after, 20_000)?;
        let Some(last) = chunk.last() else { break };
        after = last.change;
        scanned += chunk.len();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = heaps.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for (heaps, queries) in heaps.chunks_mut(per).zip(queries.chunks(per)) {
                let chunk = &chunk;
                scope.spawn(move || {
                    for (heap, query) in heaps.iter_mut().zip(queries) {
                        for e in chunk {
                            let score = OrdF32(dot(query, &e.vector));
                            if heap.len() < 10 {
                                heap.push(std::cmp::Reverse((score, e.key)));
                            } else if heap.peek().is_some_and(|w| score > w.0 .0) {
                                heap.pop();
                                heap.push(std::cmp::Reverse((score, e.key)));
                            }
                        }
                    }
                });
            }
        });
        if scanned % 200_000 < 20_000 {
            eprintln!(
                "exact: {scanned} vectors scanned, {:.0}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(heaps
        .into_iter()
        .map(|h| h.into_iter().map(|std::cmp::Reverse((_, k))| k).collect())
        .collect())
}

/// A score with a total order, for the heaps.
#[derive(Debug, Clone, Copy)]
struct OrdF32(f32);
impl PartialEq for OrdF32 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for OrdF32 {}
impl PartialOrd for OrdF32 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrdF32 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Runs `paperhub-bench vectors`.
pub fn run(args: &VectorsArgs) -> anyhow::Result<()> {
    let data_dir = args.work_dir.join("data");
    anyhow::ensure!(
        data_dir.join("paperhub.sqlite3").exists(),
        "no hub in {}: run `paperhub-bench run --papers 1000000 --work-dir {}` first",
        data_dir.display(),
        args.work_dir.display()
    );
    let model = paperhub_embed::Embedder::load(&args.model_dir)
        .with_context(|| format!("loading the model from {}", args.model_dir.display()))?;
    let scifact = args.shared.join("data").join("scifact");
    let queries = read_queries(&scifact.join("queries.jsonl"))?;
    let qrels = crate::relevance::read_qrels(&scifact.join("qrels").join("train.tsv"))?;
    let queries: Vec<_> = queries
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();

    eprintln!("== 1/5 real embeddings");
    let real = real_vectors(
        &model,
        &args.shared,
        &args.work_dir.join("real-vectors.f32"),
    )?;
    let expansion = Expansion::new(real);
    eprintln!(
        "real vectors: {}, median nearest-neighbour cosine {:.3}, noise sigma {:.4}",
        expansion.real.len(),
        expansion.median_nn_cosine,
        expansion.sigma
    );

    eprintln!("== 2/5 derived vectors into the store");
    let store = Arc::new(SqliteStore::open(&data_dir.join("paperhub.sqlite3"))?);
    let (stored, store_seconds) = fill_store(&store, &expansion, args.seed)?;
    let papers = store.stats()?.papers;

    eprintln!("== 3/5 query embeddings and exact neighbours");
    let query_vectors: Vec<Vec<f32>> = queries
        .iter()
        .map(|q| model.embed_one(&q.text).map_err(|e| anyhow::anyhow!("{e}")))
        .collect::<anyhow::Result<_>>()?;
    let recall_n = args.recall_queries.min(query_vectors.len());
    let started = Instant::now();
    let exact = exact_top10(&store, &query_vectors[..recall_n])?;
    let exact_seconds = started.elapsed().as_secs_f64();

    eprintln!("== 4/5 the vector index, opened as `paperhub` opens it");
    let vector_dir = data_dir
        .join("index")
        .join("vector")
        .join(paperhub_embed::MODEL_ID);
    if args.rebuild && vector_dir.exists() {
        std::fs::remove_dir_all(&vector_dir)
            .with_context(|| format!("removing {}", vector_dir.display()))?;
    }
    let (rss_before, _) = memory_mib();
    let params = HnswParams {
        connectivity: args.connectivity,
        expansion_add: args.expansion_add,
        ..HnswParams::default()
    };
    let sweep: Vec<(usize, usize)> = args
        .sweep
        .iter()
        .map(|s| {
            let (ef, rescore) = s
                .split_once(':')
                .with_context(|| format!("--sweep {s:?}: expected EF:RESCORE"))?;
            Ok((ef.parse()?, rescore.parse()?))
        })
        .collect::<anyhow::Result<_>>()?;
    let vectors = Arc::new(HnswIndex::open(
        &vector_dir,
        paperhub_embed::DIMENSIONS,
        params,
    )?);
    let index = Arc::new(TantivyIndex::open(&data_dir.join("index").join("keyword"))?);
    let hub = Hub::new(store.clone(), index).with_semantic(Arc::new(model), vectors.clone());
    hub.catch_up(|_, _| {})?;
    let started = Instant::now();
    let last_report = std::cell::Cell::new(Instant::now());
    let built = hub.load_vectors(|done, total| {
        if last_report.get().elapsed().as_secs() >= 30 || done == total {
            last_report.set(Instant::now());
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!(
                "index: {done}/{total} vectors, {rate:.0}/s, ETA {:.0}s",
                (total - done) as f64 / rate.max(1.0)
            );
        }
    })?;
    let build_seconds = started.elapsed().as_secs_f64();
    let index_bytes = dir_size(&vector_dir);
    let graph_bytes = vectors.memory_usage();
    let (rss_built, _) = memory_mib();

    eprintln!("== 5/5 searches");
    // ANN alone, top 10, against the exact top 10.
    let (ann_ms, recall) = ann_pass(&vectors, &query_vectors, &exact)?;
    let mut swept = Vec::new();
    for &(ef, rescore) in &sweep {
        vectors.set_search(ef, rescore)?;
        let (ms, recall) = ann_pass(&vectors, &query_vectors, &exact)?;
        let latency = Latency::of(&ms);
        eprintln!(
            "sweep ef {ef:4} rescore {rescore:4}: recall@10 {recall:.4}, p50 {:.2} ms, p99 {:.2} ms",
            latency.p50_ms, latency.p99_ms
        );
        swept.push(
            json!({"ef": ef, "rescore": rescore, "recall_at_10": recall, "ann_top10": latency}),
        );
    }
    vectors.set_search(params.expansion_search, params.rescore)?;
    // Hybrid end to end: embedding the claim, BM25 and ANN candidates (`hybrid_candidates`:
    // 100 each for a page of 10), fusion, papers.
    let runnable: Vec<SearchRequest> = queries
        .iter()
        .filter(|q| KeywordQuery::parse(&q.text).is_ok())
        .map(|q| {
            SearchRequest::new(q.text.as_str())
                .mode(SearchMode::Hybrid)
                .limit(10)
        })
        .collect();
    for r in &runnable {
        hub.search(r)?;
    }
    let mut hybrid_ms = Vec::new();
    for r in &runnable {
        let t = Instant::now();
        hub.search(r)?;
        hybrid_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (rss_end, peak) = memory_mib();
    let ann = Latency::of(&ann_ms);
    let hybrid = Latency::of(&hybrid_ms);

    let results = json!({
        "papers": papers,
        "vectors_stored_now": stored,
        "store_seconds": store_seconds,
        "real_vectors": expansion.real.len(),
        "median_nn_cosine": expansion.median_nn_cosine,
        "noise_sigma": expansion.sigma,
        "params": params,
        "index_vectors_added": built,
        "index_build_seconds": build_seconds,
        "index_build_per_second": built as f64 / build_seconds.max(1e-9),
        "index_disk_mib": index_bytes as f64 / 1048576.0,
        "graph_memory_mib": graph_bytes as f64 / 1048576.0,
        "graph_bytes_per_vector": graph_bytes as f64 / vectors.len().max(1) as f64,
        "rss_mib": {"before_index": rss_before, "after_build": rss_built, "after_searches": rss_end, "peak": peak},
        "recall_at_10": recall,
        "recall_queries": recall_n,
        "exact_scan_seconds": exact_seconds,
        "ann_top10": ann,
        "sweep": swept,
        "hybrid_end_to_end": hybrid,
        "hybrid_queries": hybrid_ms.len(),
    });
    let out = args.work_dir.join("vectors.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&results)?)
        .with_context(|| format!("writing {}", out.display()))?;
    let per_vector = graph_bytes as f64 / vectors.len().max(1) as f64;
    println!(
        "search by meaning at {papers} papers ({} vectors in the index)",
        vectors.len()
    );
    println!(
        "  vectors: derived from {} real embeddings (median nearest-neighbour cosine {:.3})",
        expansion.real.len(),
        expansion.median_nn_cosine
    );
    println!(
        "  HNSW (M={}, ef_construction={}, ef={}, int8, +{} candidates rescored in f32)",
        params.connectivity, params.expansion_add, params.expansion_search, params.rescore
    );
    println!(
        "  build: {built} vectors in {build_seconds:.1}s ({:.0}/s)",
        built as f64 / build_seconds.max(1e-9)
    );
    println!(
        "  index on disk {:.0} MiB; graph in memory {:.0} MiB ({per_vector:.0} B/vector: 3M papers = {:.2} GiB)",
        index_bytes as f64 / 1048576.0,
        graph_bytes as f64 / 1048576.0,
        per_vector * 3e6 / 1073741824.0
    );
    println!(
        "  RSS: {rss_before:.0} MiB before the index, {rss_built:.0} after building, {rss_end:.0} after searching, peak {peak:.0} MiB (target <= 2048)"
    );
    println!("  ANN recall@10 vs exact ({recall_n} queries): {recall:.4} (target >= 0.98)");
    println!(
        "  ANN top 10: p50 {:.2} ms, p99 {:.2} ms (target p99 <= 5)",
        ann.p50_ms, ann.p99_ms
    );
    println!(
        "  hybrid end to end ({} claims): p50 {:.2} ms, p99 {:.2} ms (target p99 <= 50)",
        hybrid_ms.len(),
        hybrid.p50_ms,
        hybrid.p99_ms
    );
    println!("  results: {}", out.display());
    Ok(())
}
