//! `paperhub-bench recommend`: the quality of a tag's recommendations, offline.
//!
//! Tags are made of arXiv categories: the real arXiv samples in `../shared/data/arxiv` (Atom,
//! OAI-PMH, the metadata snapshot's JSON lines), one paper per arXiv id. For every category
//! with at least `--min-papers` papers (by primary category), each of its papers is held out
//! in turn: the tag is up to `--tag-size` of the category's *other* papers (a deterministic
//! sample), and a recommendation is relevant when it lists the category among its own.
//! precision@10 and nDCG@10 (binary gains) are averaged over every held-out paper.
//!
//! Side by side in one run, scored by the same code here: paperhub's recommender over the
//! MiniLM vectors (`paperhub_search::recommend`, its default and two variants), and
//! `bench/recommend_baseline.py`: arxiv-sanity-lite's tf-idf + linear SVM (scikit-learn,
//! its settings) and the same linear SVM over paperhub's vectors.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use paperhub_ingest::{expand_paths, read_file, ReadOptions};
use paperhub_search::recommend::{recommend, RecommendParams};
use paperhub_search::{FlatIndex, VectorIndex};
use serde::{Deserialize, Serialize};

/// Arguments of `paperhub-bench recommend`.
#[derive(Debug, Args)]
pub struct RecommendArgs {
    /// Where the baseline's input and output and the results are written.
    #[arg(long, default_value = "../bench-recommend")]
    work_dir: PathBuf,
    /// The embedding model (as installed by `paperhub model install`).
    #[arg(long, env = "PAPERHUB_MODEL_DIR")]
    model_dir: PathBuf,
    /// The arXiv metadata samples.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/arxiv"))]
    data: PathBuf,
    /// Categories with fewer papers (by primary category) make no tag.
    #[arg(long, default_value_t = 8)]
    min_papers: usize,
    /// The most papers a tag holds.
    #[arg(long, default_value_t = 20)]
    tag_size: usize,
    /// Python with scikit-learn and numpy (`bench/requirements-recommend.txt`).
    #[arg(long, default_value = "python3")]
    python: String,
    /// Leave out the Python baselines.
    #[arg(long)]
    skip_baseline: bool,
}

/// One evaluated tag: its papers, and which papers are relevant to it.
#[derive(Debug, Clone, Serialize)]
struct Task {
    category: String,
    held_out: usize,
    tag: Vec<usize>,
}

#[derive(Debug, Serialize)]
struct BaselineInput<'a> {
    texts: &'a [String],
    vectors: &'a [Vec<f32>],
    tasks: &'a [Task],
}

#[derive(Debug, Deserialize)]
struct BaselineOutput {
    /// Method name → the top 10 paper indexes of each task.
    rankings: BTreeMap<String, Vec<Vec<usize>>>,
    seconds: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Scores {
    precision_at_10: f64,
    ndcg_at_10: f64,
}

/// precision@10 and nDCG@10 of `ranking` for a task whose relevant papers are `relevant`.
fn score(ranking: &[usize], relevant: &HashSet<usize>) -> (f64, f64) {
    let top = &ranking[..ranking.len().min(10)];
    let hits: Vec<bool> = top.iter().map(|i| relevant.contains(i)).collect();
    let precision = hits.iter().filter(|h| **h).count() as f64 / 10.0;
    let dcg: f64 = hits
        .iter()
        .enumerate()
        .filter(|(_, h)| **h)
        .map(|(rank, _)| 1.0 / ((rank + 2) as f64).log2())
        .sum();
    let ideal: f64 = (0..relevant.len().min(10))
        .map(|rank| 1.0 / ((rank + 2) as f64).log2())
        .sum();
    (precision, if ideal > 0.0 { dcg / ideal } else { 0.0 })
}

fn mean_scores(rankings: &[Vec<usize>], tasks: &[Task], categories: &[Vec<String>]) -> Scores {
    let (mut p, mut n) = (0.0, 0.0);
    for (ranking, task) in rankings.iter().zip(tasks) {
        let tag: HashSet<usize> = task.tag.iter().copied().collect();
        let relevant: HashSet<usize> = (0..categories.len())
            .filter(|i| !tag.contains(i) && categories[*i].contains(&task.category))
            .collect();
        let (precision, ndcg) = score(ranking, &relevant);
        p += precision;
        n += ndcg;
    }
    let count = tasks.len().max(1) as f64;
    Scores {
        precision_at_10: p / count,
        ndcg_at_10: n / count,
    }
}

/// A small deterministic shuffle (splitmix64), so every run makes the same tags.
fn shuffled(mut items: Vec<usize>, seed: u64) -> Vec<usize> {
    let mut state = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    for i in (1..items.len()).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        items.swap(i, (z % (i as u64 + 1)) as usize);
    }
    items
}

pub fn run(args: RecommendArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("creating {}", args.work_dir.display()))?;
    // The papers: one per arXiv id, with categories.
    let mut seen = HashSet::new();
    let (mut texts, mut categories) = (Vec::new(), Vec::new());
    for path in expand_paths(std::slice::from_ref(&args.data))? {
        let Ok(records) = read_file(&path, &ReadOptions::default()) else {
            continue;
        };
        for meta in records.flatten() {
            let Some(id) = meta
                .arxiv_id
                .as_ref()
                .map(|a| a.unversioned().as_str().to_owned())
            else {
                continue;
            };
            if meta.categories.is_empty() || meta.abstract_text.is_empty() || !seen.insert(id) {
                continue;
            }
            texts.push(format!("{}. {}", meta.title, meta.abstract_text));
            categories.push(meta.categories.clone());
        }
    }
    eprintln!("papers: {} with categories", texts.len());
    let mut by_primary: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, cats) in categories.iter().enumerate() {
        by_primary.entry(cats[0].clone()).or_default().push(i);
    }
    let mut tasks = Vec::new();
    for (category, members) in &by_primary {
        if members.len() < args.min_papers {
            continue;
        }
        for &held_out in members {
            let others: Vec<usize> = members.iter().copied().filter(|&m| m != held_out).collect();
            let mut tag = shuffled(others, held_out as u64);
            tag.truncate(args.tag_size);
            tasks.push(Task {
                category: category.clone(),
                held_out,
                tag,
            });
        }
    }
    let tag_categories: Vec<&String> = by_primary
        .iter()
        .filter(|(_, m)| m.len() >= args.min_papers)
        .map(|(c, _)| c)
        .collect();
    eprintln!(
        "tags: {} held-out tasks over categories {tag_categories:?}",
        tasks.len()
    );
    anyhow::ensure!(
        !tasks.is_empty(),
        "no category has {} papers",
        args.min_papers
    );

    let started = Instant::now();
    let model = paperhub_embed::Embedder::load(&args.model_dir)
        .with_context(|| format!("loading the model from {}", args.model_dir.display()))?;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors: Vec<Vec<f32>> = refs
        .chunks(64)
        .map(|chunk| model.embed(chunk))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    eprintln!(
        "embedded {} papers in {:.1}s",
        vectors.len(),
        started.elapsed().as_secs_f64()
    );
    let index = FlatIndex::new(vectors[0].len());
    let items: Vec<(u64, Vec<f32>)> = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64, v.clone()))
        .collect();
    index.upsert(&items)?;

    let variants = [
        (
            "paperhub (mean of 3 nearest saved)",
            RecommendParams::default(),
        ),
        (
            "paperhub, nearest saved only",
            RecommendParams {
                top_k: 1,
                ..Default::default()
            },
        ),
        (
            "paperhub, similarity to the tag's mean",
            RecommendParams {
                top_k: usize::MAX,
                ..Default::default()
            },
        ),
    ];
    let mut results: Vec<(String, Scores, f64)> = Vec::new();
    for (name, params) in variants {
        let started = Instant::now();
        let rankings: Vec<Vec<usize>> = tasks
            .iter()
            .map(|task| {
                let saved: Vec<(u64, Vec<f32>)> = task
                    .tag
                    .iter()
                    .map(|&i| (i as u64, vectors[i].clone()))
                    .collect();
                recommend(&index, &saved, &[], &HashSet::new(), 10, &params)
                    .map(|found| found.into_iter().map(|r| r.key as usize).collect())
            })
            .collect::<Result<_, _>>()?;
        let seconds = started.elapsed().as_secs_f64();
        results.push((
            name.to_owned(),
            mean_scores(&rankings, &tasks, &categories),
            seconds,
        ));
    }

    if !args.skip_baseline {
        let input = args.work_dir.join("recommend_input.json");
        let output = args.work_dir.join("recommend_baseline.json");
        std::fs::write(
            &input,
            serde_json::to_vec(&BaselineInput {
                texts: &texts,
                vectors: &vectors,
                tasks: &tasks,
            })?,
        )?;
        let script = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/recommend_baseline.py"
        ));
        let status = Command::new(&args.python)
            .arg(&script)
            .arg("--input")
            .arg(&input)
            .arg("--out")
            .arg(&output)
            .status()
            .with_context(|| format!("running {} {}", args.python, script.display()))?;
        anyhow::ensure!(status.success(), "{} failed ({status})", script.display());
        let baseline: BaselineOutput = serde_json::from_slice(&std::fs::read(&output)?)
            .with_context(|| format!("parsing {}", output.display()))?;
        for (name, rankings) in &baseline.rankings {
            let seconds = baseline.seconds.get(name).copied().unwrap_or(0.0);
            results.push((
                name.clone(),
                mean_scores(rankings, &tasks, &categories),
                seconds,
            ));
        }
    }

    let reference = results
        .iter()
        .find(|(name, _, _)| name.starts_with("arxiv-sanity-lite"))
        .map(|(_, s, _)| *s);
    println!(
        "recommendations: {} papers, {} held-out tags of up to {} papers, {} categories",
        texts.len(),
        tasks.len(),
        args.tag_size,
        tag_categories.len()
    );
    println!(
        "{:<48} {:>8} {:>8} {:>10} {:>9}",
        "method", "P@10", "nDCG@10", "vs sanity", "seconds"
    );
    let mut report = HashMap::new();
    for (name, scores, seconds) in &results {
        let ratio = reference
            .map(|r| format!("{:.3}x", scores.ndcg_at_10 / r.ndcg_at_10.max(1e-9)))
            .unwrap_or_else(|| "-".into());
        println!(
            "{name:<48} {:>8.4} {:>8.4} {ratio:>10} {seconds:>9.2}",
            scores.precision_at_10, scores.ndcg_at_10
        );
        report.insert(name.clone(), scores);
    }
    let out = args.work_dir.join("recommend_results.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&report)?)?;
    eprintln!("results in {}", out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_count_relevant_papers_in_the_first_ten() {
        let relevant: HashSet<usize> = [1, 2].into_iter().collect();
        let (p, n) = score(&[1, 2, 3], &relevant);
        assert!((p - 0.2).abs() < 1e-9 && (n - 1.0).abs() < 1e-9);
        let (p, n) = score(&[3, 1], &relevant);
        assert!((p - 0.1).abs() < 1e-9 && n > 0.0 && n < 1.0);
        assert_eq!(score(&[3], &HashSet::new()), (0.0, 0.0));
    }

    #[test]
    fn tags_are_the_same_every_run() {
        assert_eq!(
            shuffled((0..10).collect(), 7),
            shuffled((0..10).collect(), 7)
        );
        assert_ne!(
            shuffled((0..10).collect(), 7),
            shuffled((0..10).collect(), 8)
        );
    }
}
