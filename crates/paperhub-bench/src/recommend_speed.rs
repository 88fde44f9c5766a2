//! `paperhub-bench recommend-speed`: how long a tag's recommendations take on a hub of a
//! million papers.
//!
//! Builds (or reuses, in `<work-dir>/recommend-index/`) the product's HNSW index over
//! `--vectors` vectors derived from real embeddings, as `paperhub-bench memory` derives them.
//! Each tag is made as a member's is: `--tag-size` papers saved from one neighbourhood of the
//! hub (every eighth of the 8 x tag-size papers nearest a random point) and `--rejected`
//! thumbs-down from the same neighbourhood. For each tag it times what a request does that
//! grows with the hub: [`recommend`] (the candidates from the index around the tag's mean and
//! its seed papers, each scored against every saved and rejected paper), then the shared words
//! of the 10 answers ([`shared_terms`], over real abstracts: the derived vectors have none).
//! The rest of a request reads about 60 papers and their seen marks by primary key.
//!
//! Side by side, in the same run: the exact answer, by scoring every vector of the hub (what
//! a recommender without an index does, as arxiv-sanity-lite scores every paper with its
//! SVM), its time, and how many of the 10 the index-based answer shares with it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use paperhub_search::recommend::{recommend, score, shared_terms, RecommendParams};
use paperhub_search::{HnswIndex, HnswParams, VectorIndex};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::memory::{build_derived, load_expansion};
use crate::relevance::Latency;

/// Arguments of `paperhub-bench recommend-speed`.
#[derive(Debug, Args)]
pub struct RecommendSpeedArgs {
    /// Where the index (`recommend-index/`) goes; the real embeddings are cached here too
    /// (`real-vectors.f32`, shared with `paperhub-bench memory` and `vectors`).
    #[arg(long, default_value = "../bench-data")]
    work_dir: PathBuf,
    /// The embedding model (to embed the real abstracts once, when not cached).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    model_dir: Option<PathBuf>,
    /// Papers on the hub (vectors in the index).
    #[arg(long, default_value_t = 1_000_000)]
    vectors: u64,
    /// Tags timed.
    #[arg(long, default_value_t = 50)]
    tags: usize,
    /// Papers saved to each tag.
    #[arg(long, default_value_t = 50)]
    tag_size: usize,
    /// Thumbs-down in each tag.
    #[arg(long, default_value_t = 5)]
    rejected: usize,
    /// Recommendations asked for.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Tags also answered exactly, by scoring every vector against every saved and rejected
    /// paper (slow: seconds each at 1M).
    #[arg(long, default_value_t = 5)]
    exact_tags: usize,
    /// Seed of the derived vectors and of the tags.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Build the index again even when one of this size is saved.
    #[arg(long)]
    rebuild: bool,
    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// A tag: its saved and rejected papers' keys and vectors.
struct Tag {
    saved: Vec<(u64, Vec<f32>)>,
    rejected: Vec<(u64, Vec<f32>)>,
}

fn make_tag(
    index: &HnswIndex,
    centre: &[f32],
    size: usize,
    rejected: usize,
) -> anyhow::Result<Tag> {
    let hits = index.search(centre, size * 8 + rejected * 8, None)?;
    let with_vector = |i: usize| {
        let key = hits.get(i)?.key;
        Some((key, index.get(key)?))
    };
    let saved: Vec<_> = (0..size).filter_map(|i| with_vector(i * 8)).collect();
    let rejected: Vec<_> = (0..rejected)
        .filter_map(|i| with_vector(i * 8 + 4))
        .collect();
    anyhow::ensure!(saved.len() == size, "the index answered too few neighbours");
    Ok(Tag { saved, rejected })
}

/// The exact top `limit` by scoring every vector with keys 1 to `count`.
fn exact(index: &HnswIndex, tag: &Tag, count: u64, limit: usize) -> Vec<u64> {
    let own: HashSet<u64> = tag.saved.iter().chain(&tag.rejected).map(|p| p.0).collect();
    let params = RecommendParams::default();
    let mut best: Vec<(f32, u64)> = Vec::with_capacity(limit + 1);
    for key in 1..=count {
        if own.contains(&key) {
            continue;
        }
        let Some(vector) = index.get(key) else {
            continue;
        };
        let (s, _) = score(&vector, &tag.saved, &tag.rejected, &params);
        if best.len() < limit || s > best[best.len() - 1].0 {
            best.push((s, key));
            best.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
            best.truncate(limit);
        }
    }
    best.into_iter().map(|(_, k)| k).collect()
}

/// Runs `paperhub-bench recommend-speed`.
pub fn run(args: &RecommendSpeedArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)?;
    let dir = args.work_dir.join("recommend-index");
    let params = HnswParams::default();
    let reuse = !args.rebuild && {
        let index = HnswIndex::open(&dir, paperhub_embed::DIMENSIONS, params)?;
        index.len() as u64 == args.vectors
    };
    eprintln!(
        "== 1/3 the index: {} derived vectors (M {}, ef_construction {})",
        args.vectors, params.connectivity, params.expansion_add
    );
    let expansion = load_expansion(&args.work_dir, args.model_dir.as_deref(), &args.shared)?;
    let build_seconds = if reuse {
        eprintln!("recommend-speed: reusing the index in {}", dir.display());
        0.0
    } else {
        build_derived(
            "recommend-speed",
            &dir,
            args.vectors,
            params,
            &expansion,
            args.seed,
            |_| {},
        )?
    };
    let index = HnswIndex::open(&dir, paperhub_embed::DIMENSIONS, params)?;
    anyhow::ensure!(
        index.len() as u64 == args.vectors,
        "the index is incomplete"
    );
    let texts = crate::vectors::real_texts(&args.shared)?;

    eprintln!(
        "== 2/3 {} tags of {} saved and {} rejected papers",
        args.tags, args.tag_size, args.rejected
    );
    let mut rng = SmallRng::seed_from_u64(args.seed ^ 0x7A65);
    let tags: Vec<Tag> = (0..args.tags)
        .map(|i| {
            let centre = expansion.derive(args.seed ^ 0x7A6_5EED, i as u64);
            make_tag(&index, &centre, args.tag_size, args.rejected)
        })
        .collect::<anyhow::Result<_>>()?;
    let recommend_params = RecommendParams::default();
    let run_tag = |tag: &Tag, rng: &mut SmallRng| -> anyhow::Result<(Vec<u64>, usize)> {
        let exclude: HashSet<u64> = tag.saved.iter().chain(&tag.rejected).map(|p| p.0).collect();
        let found = recommend(
            &index,
            &tag.saved,
            &tag.rejected,
            &exclude,
            args.limit,
            &recommend_params,
        )?;
        // Each answer's words against its (up to 3) nearest saved papers, over real text.
        let mut words = 0;
        for r in &found {
            let own = &texts[rng.random_range(0..texts.len())];
            let near: Vec<&str> = r
                .nearest
                .iter()
                .map(|_| texts[rng.random_range(0..texts.len())].as_str())
                .collect();
            words += shared_terms(own, &near, 5).len();
        }
        Ok((found.into_iter().map(|r| r.key).collect(), words))
    };
    // A warm-up pass over every tag, then the timed one.
    for tag in &tags {
        run_tag(tag, &mut rng)?;
    }
    let mut millis = Vec::with_capacity(tags.len());
    let mut answers = Vec::with_capacity(tags.len());
    for tag in &tags {
        let started = Instant::now();
        let (keys, _) = run_tag(tag, &mut rng)?;
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
        answers.push(keys);
    }
    let latency = Latency::of(&millis);

    eprintln!(
        "== 3/3 the exact answers of {} tags (every vector scored)",
        args.exact_tags.min(tags.len())
    );
    let mut exact_millis = Vec::new();
    let mut shared = 0usize;
    let mut asked = 0usize;
    for (tag, answer) in tags.iter().zip(&answers).take(args.exact_tags) {
        let started = Instant::now();
        let truth = exact(&index, tag, args.vectors, args.limit);
        exact_millis.push(started.elapsed().as_secs_f64() * 1000.0);
        shared += answer.iter().filter(|k| truth.contains(k)).count();
        asked += truth.len();
    }
    let exact_latency = Latency::of(&exact_millis);

    println!(
        "paperhub-bench recommend-speed: {} papers, {} tags of {} saved + {} rejected, top {}",
        args.vectors, args.tags, args.tag_size, args.rejected, args.limit
    );
    println!("index build, s (0: reused)             {build_seconds:>10.1}");
    println!(
        "recommendations, p50 / p95 / p99 ms    {:>10.2} / {:.2} / {:.2} (max {:.2})",
        latency.p50_ms, latency.p95_ms, latency.p99_ms, latency.max_ms
    );
    println!(
        "exact (every vector scored), p50 ms    {:>10.2} / p99 {:.2}",
        exact_latency.p50_ms, exact_latency.p99_ms
    );
    if latency.p50_ms > 0.0 {
        println!(
            "speed-up over the full scan, p50       {:>10.1}x",
            exact_latency.p50_ms / latency.p50_ms
        );
    }
    println!(
        "answers shared with the exact top {}    {:>10.3} ({shared}/{asked})",
        args.limit,
        shared as f64 / asked.max(1) as f64
    );
    let met = latency.p99_ms < 200.0;
    println!(
        "target: a tag of {} papers over {} papers under 200 ms: [{}] p99 {:.2} ms",
        args.tag_size,
        args.vectors,
        if met { "met" } else { "NOT MET" },
        latency.p99_ms
    );
    Ok(())
}
