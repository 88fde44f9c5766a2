//! `paperhub-bench run`: the whole benchmark in one go.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::report::{Machine, Results};
use crate::{baseline, corpus, ingest, latency, relevance};

/// Arguments of `paperhub-bench run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Papers in the synthetic corpus.
    #[arg(long)]
    papers: u64,

    /// Where the corpus, the hub's data directory and the results go.
    #[arg(long, default_value = "bench-data")]
    work_dir: PathBuf,

    /// Seed of the synthetic corpus.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Do not run the bm25s baseline.
    #[arg(long)]
    skip_baseline: bool,

    /// Measure latency on the hub already in `<work-dir>/data` instead of ingesting again.
    #[arg(long)]
    skip_ingest: bool,

    /// Also time the index alone with MaxScore's windows of `1 << SHIFT` documents, for each
    /// SHIFT listed (13 to 31; 31 is a whole segment), to compare window sizes in one run.
    #[arg(long, value_delimiter = ',', value_name = "SHIFT")]
    window_shifts: Vec<u32>,

    /// Papers per transaction passed to `paperhub ingest --batch-size` (its default if left out).
    #[arg(long)]
    batch_size: Option<usize>,

    /// The `paperhub` binary (default: the one beside this binary).
    #[arg(long)]
    paperhub: Option<PathBuf>,

    /// The Python interpreter with bm25s (`python3 -m pip install -r bench/requirements.txt`).
    #[arg(long, default_value = "python3")]
    python: String,

    /// The baseline script.
    #[arg(long, default_value_os_t = baseline::default_script())]
    baseline_script: PathBuf,

    /// The shared data directory holding `data/` and `seed/`.
    #[arg(long, env = "PAPERHUB_BENCH_SHARED", default_value_os_t = crate::default_shared_dir())]
    shared: PathBuf,
}

/// Runs `paperhub-bench run`.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    // Checked first, not after minutes of ingest.
    let shifts = paperhub_search::TopKAlgorithm::WINDOW_SHIFTS;
    if let Some(shift) = args.window_shifts.iter().find(|s| !shifts.contains(s)) {
        anyhow::bail!(
            "--window-shifts: {shift} is outside {}..={} (MaxScore keeps its bounds per {} \
             documents; {} is a whole segment)",
            shifts.start(),
            shifts.end(),
            1u32 << shifts.start(),
            shifts.end()
        );
    }
    let work = &args.work_dir;
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    let corpus_path = work.join("corpus.jsonl");
    let data_dir = work.join("data");
    let scifact = args.shared.join("data").join("scifact");
    let queries_path = scifact.join("queries.jsonl");
    let queries = relevance::read_queries(&queries_path)?;
    let qrels = relevance::read_qrels(&scifact.join("qrels").join("train.tsv"))?;
    let paperhub = match &args.paperhub {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("locating this binary")?
            .with_file_name("paperhub"),
    };
    anyhow::ensure!(
        paperhub.exists(),
        "{} not found: build it with `cargo build --release -p paperhub -p paperhub-bench`",
        paperhub.display()
    );

    eprintln!(
        "== 1/4 corpus: {} papers in {}",
        args.papers,
        corpus_path.display()
    );
    let corpus = match corpus::existing(&corpus_path, args.papers, args.seed) {
        Some(info) => {
            eprintln!(
                "corpus: reusing {} (same size and seed)",
                corpus_path.display()
            );
            info
        }
        None => corpus::generate(&args.shared, args.papers, args.seed, &corpus_path)?,
    };

    eprintln!("== 2/4 ingest with {}", paperhub.display());
    let ingest = if args.skip_ingest {
        eprintln!("ingest: skipped, using {}", data_dir.display());
        None
    } else {
        let result = ingest::measure(
            &paperhub,
            &data_dir,
            &corpus_path,
            corpus.papers,
            args.batch_size,
            None,
        )?;
        eprintln!(
            "ingest: {:.1}s, {:.0} papers/s, peak RSS {:.0} MiB",
            result.wall_seconds, result.papers_per_second, result.peak_rss_mib
        );
        Some(result)
    };

    eprintln!("== 3/4 BM25 latency through the hub");
    let latency = latency::measure(&data_dir, &queries, &qrels, &args.window_shifts)?;
    eprintln!(
        "latency: p50 {:.3} ms, p99 {:.3} ms, nDCG@10 {:.4}",
        latency.latency.p50_ms, latency.latency.p99_ms, latency.ndcg_at_10
    );

    eprintln!("== 4/4 bm25s baseline");
    let baseline = if args.skip_baseline {
        eprintln!("bm25s: skipped");
        None
    } else {
        let out = work.join("bm25s.json");
        Some(baseline::measure(
            &args.python,
            &args.baseline_script,
            &corpus_path,
            &queries_path,
            &out,
            &qrels,
        )?)
    };

    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut results = Results {
        machine: Machine::describe(&repo),
        corpus,
        ingest,
        latency,
        baseline,
        targets: Vec::new(),
    };
    results.check_targets();
    let results_path = work.join("results.json");
    std::fs::write(&results_path, serde_json::to_string_pretty(&results)?)
        .with_context(|| format!("writing {}", results_path.display()))?;
    print!("{}", results.table());
    eprintln!("results: {}", results_path.display());
    Ok(())
}
