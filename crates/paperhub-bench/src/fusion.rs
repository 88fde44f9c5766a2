//! `paperhub-bench fusion`: how hybrid search should fuse its two rankings, chosen on one half
//! of the judged queries and measured on the other.
//!
//! On the hub `paperhub-bench quality` builds (SciFact by default), every judged query is run
//! once by keyword and once by meaning, `--depth` hits each with their scores (BM25, cosine).
//! Fusions are then computed here from those lists, with no further search:
//! - reciprocal rank fusion (`1 / (k + rank)`, summed; the hub's default, k = 20) for several
//!   k and depths;
//! - a convex combination `alpha * semantic + (1 - alpha) * keyword` of each list's scores,
//!   min-max normalised over the list (a paper missing from a list gets 0 from it), for alpha
//!   0 to 1 by 0.05 and several depths;
//! - the same with z-scores (a missing paper gets the list's lowest).
//!
//! The queries are split by their position in `queries.jsonl`: even positions choose (the best
//! nDCG@10 of each family on them), odd ones measure what was chosen, so that no number
//! reported as held out was used for any choice.

use std::collections::HashMap;

use anyhow::Context as _;
use clap::Args;
use paperhub_app::{Hub, HubError, SearchMode, SearchRequest, MAX_LIMIT};
use paperhub_search::fusion::reciprocal_rank_fusion;

use crate::quality::{corpus_hub, recall_at_100, CorpusArgs};
use crate::relevance::{ndcg_at_10, read_qrels, read_queries, Qrels, Query, Run};

/// Arguments of `paperhub-bench fusion`.
#[derive(Debug, Args)]
pub struct FusionArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Hits of each ranking fetched (the deepest fusion considered).
    #[arg(long, default_value_t = 300)]
    depth: usize,
}

/// A ranking with its scores, best first: (document id, score).
type Scored = Vec<(String, f32)>;

/// A way to fuse.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fusion {
    Rrf { k: f32, depth: usize },
    MinMax { alpha: f32, depth: usize },
    ZScore { alpha: f32, depth: usize },
}

impl std::fmt::Display for Fusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fusion::Rrf { k, depth } => write!(f, "RRF k={k} depth={depth}"),
            Fusion::MinMax { alpha, depth } => {
                write!(f, "convex min-max alpha={alpha:.2} depth={depth}")
            }
            Fusion::ZScore { alpha, depth } => {
                write!(f, "convex z-score alpha={alpha:.2} depth={depth}")
            }
        }
    }
}

/// The `depth` hits of one mode, in pages of [`MAX_LIMIT`].
fn ranking(hub: &Hub, text: &str, mode: SearchMode, depth: usize) -> anyhow::Result<Scored> {
    let mut out = Vec::with_capacity(depth);
    while out.len() < depth {
        let mut request = SearchRequest::new(text)
            .mode(mode)
            .limit(MAX_LIMIT.min(depth - out.len()));
        request.offset = Some(out.len());
        let found = match hub.search(&request) {
            Err(HubError::InvalidQuery(_)) => break,
            found => found.with_context(|| format!("searching {text:?} ({mode:?})"))?,
        };
        let more = found.has_more;
        out.extend(
            found
                .hits
                .into_iter()
                .filter_map(|h| Some((h.paper.meta.source_id?, h.score))),
        );
        if !more {
            break;
        }
    }
    Ok(out)
}

/// Scores normalised over the list: min-max to [0, 1], or z-scores; and what a paper missing
/// from the list gets.
fn normalised(list: &[(String, f32)], z: bool) -> (HashMap<&str, f32>, f32) {
    if list.is_empty() {
        return (HashMap::new(), 0.0);
    }
    let scores: Vec<f32> = list.iter().map(|(_, s)| *s).collect();
    let (lo, hi) = scores
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
    let map = |f: &dyn Fn(f32) -> f32| -> HashMap<&str, f32> {
        list.iter().map(|(id, s)| (id.as_str(), f(*s))).collect()
    };
    if z {
        let mean = scores.iter().sum::<f32>() / scores.len() as f32;
        let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / scores.len() as f32;
        let sd = var.sqrt().max(1e-6);
        (map(&|s| (s - mean) / sd), (lo - mean) / sd)
    } else {
        let span = (hi - lo).max(1e-6);
        (map(&|s| (s - lo) / span), 0.0)
    }
}

/// The fused top 100 of one query.
fn fuse(keyword: &[(String, f32)], semantic: &[(String, f32)], how: Fusion) -> Vec<String> {
    let cut = |list: &[(String, f32)], depth: usize| list[..list.len().min(depth)].to_vec();
    let (alpha, depth, z) = match how {
        Fusion::Rrf { k, depth } => {
            // Through the product's own fusion, over keys standing for the ids.
            let (keyword, semantic) = (cut(keyword, depth), cut(semantic, depth));
            let mut ids: Vec<String> = Vec::new();
            let mut key_of: HashMap<String, u64> = HashMap::new();
            let mut keys = |list: &[(String, f32)]| -> Vec<u64> {
                list.iter()
                    .map(|(id, _)| {
                        *key_of.entry(id.clone()).or_insert_with(|| {
                            ids.push(id.clone());
                            ids.len() as u64 - 1
                        })
                    })
                    .collect()
            };
            let (k_keys, s_keys) = (keys(&keyword), keys(&semantic));
            let fused = reciprocal_rank_fusion(&[&k_keys, &s_keys], k);
            return fused
                .into_iter()
                .take(100)
                .map(|(key, _)| ids[key as usize].clone())
                .collect();
        }
        Fusion::MinMax { alpha, depth } => (alpha, depth, false),
        Fusion::ZScore { alpha, depth } => (alpha, depth, true),
    };
    let (keyword, semantic) = (cut(keyword, depth), cut(semantic, depth));
    let (k_norm, k_missing) = normalised(&keyword, z);
    let (s_norm, s_missing) = normalised(&semantic, z);
    let mut fused: Vec<(&str, f32)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, _) in keyword.iter().chain(&semantic) {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let k = k_norm.get(id.as_str()).copied().unwrap_or(k_missing);
        let s = s_norm.get(id.as_str()).copied().unwrap_or(s_missing);
        fused.push((id.as_str(), alpha * s + (1.0 - alpha) * k));
    }
    fused.sort_by(|a, b| b.1.total_cmp(&a.1));
    fused
        .into_iter()
        .take(100)
        .map(|(id, _)| id.to_owned())
        .collect()
}

struct Lists {
    keyword: Scored,
    semantic: Scored,
}

fn evaluate(lists: &HashMap<String, Lists>, qrels: &Qrels, how: Fusion) -> (f64, f64) {
    let run: Run = qrels
        .keys()
        .filter_map(|q| {
            let l = lists.get(q)?;
            Some((q.clone(), fuse(&l.keyword, &l.semantic, how)))
        })
        .collect();
    (ndcg_at_10(&run, qrels), recall_at_100(&run, qrels))
}

/// Runs `paperhub-bench fusion`.
pub fn run(args: &FusionArgs) -> anyhow::Result<()> {
    let corpus = args.corpus.dataset.join("corpus.jsonl");
    let queries = read_queries(&args.corpus.dataset.join("queries.jsonl"))?;
    let qrels = read_qrels(
        &args
            .corpus
            .dataset
            .join("qrels")
            .join(format!("{}.tsv", args.corpus.split)),
    )?;
    let queries: Vec<Query> = queries
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    std::fs::create_dir_all(&args.corpus.work_dir)?;
    let hub = corpus_hub(
        &args.corpus.work_dir.join("data"),
        &args.corpus.model_dir,
        &corpus,
    )?
    .hub;

    eprintln!(
        "fusion: {} queries, {} hits by keyword and by meaning each",
        queries.len(),
        args.depth
    );
    let mut lists = HashMap::new();
    for (i, query) in queries.iter().enumerate() {
        let keyword = ranking(&hub, &query.text, SearchMode::Keyword, args.depth)?;
        let semantic = ranking(&hub, &query.text, SearchMode::Semantic, args.depth)?;
        lists.insert(query.id.clone(), Lists { keyword, semantic });
        if (i + 1) % 100 == 0 || i + 1 == queries.len() {
            eprintln!("fusion: {}/{} queries searched", i + 1, queries.len());
        }
    }
    let half = |parity: usize| -> Qrels {
        queries
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .filter_map(|(_, q)| Some((q.id.clone(), qrels.get(&q.id)?.clone())))
            .collect()
    };
    let depths: Vec<usize> = [50, 100, 200, 300]
        .into_iter()
        .filter(|d| *d <= args.depth)
        .collect();
    let alphas: Vec<f32> = (0..=20).map(|i| i as f32 * 0.05).collect();
    let convex = |z: bool| -> Vec<Fusion> {
        let mut all = Vec::new();
        for &depth in &depths {
            for &alpha in &alphas {
                all.push(if z {
                    Fusion::ZScore { alpha, depth }
                } else {
                    Fusion::MinMax { alpha, depth }
                });
            }
        }
        all
    };
    let families: Vec<(&str, Vec<Fusion>)> = vec![
        (
            "RRF",
            depths
                .iter()
                .flat_map(|&depth| [5.0, 10.0, 20.0, 40.0, 60.0].map(|k| Fusion::Rrf { k, depth }))
                .collect(),
        ),
        ("convex, min-max", convex(false)),
        ("convex, z-score", convex(true)),
    ];
    let product = paperhub_app::HYBRID_FUSION;
    let as_bench = |fusion: paperhub_search::fusion::Fusion, depth: usize| match fusion {
        paperhub_search::fusion::Fusion::Rrf { k } => Fusion::Rrf { k, depth },
        paperhub_search::fusion::Fusion::Convex { semantic_weight } => Fusion::MinMax {
            alpha: semantic_weight,
            depth,
        },
    };
    println!(
        "paperhub-bench fusion: {} judged queries, two folds (even / odd positions), depth up \
         to {}; each fold chooses on one half and is measured on the other",
        queries.len(),
        args.depth
    );
    let halves = [half(0), half(1)];
    for fold in 0..2 {
        let (choose, held_out) = (&halves[fold], &halves[1 - fold]);
        println!(
            "\nfold {}: choose on {} queries, held out {}",
            fold + 1,
            choose.len(),
            held_out.len()
        );
        println!(
            "{:<52} {:>14} {:>14} {:>16}",
            "fusion", "nDCG@10 choose", "nDCG@10 held", "recall@100 held"
        );
        let line = |label: &str, how: Fusion| {
            let (c, _) = evaluate(&lists, choose, how);
            let (h, r) = evaluate(&lists, held_out, how);
            println!(
                "{:<52} {c:>14.4} {h:>14.4} {r:>16.4}",
                format!("{label}: {how}")
            );
            h
        };
        let base = line("the hub's fusion, top 100", as_bench(product, 300));
        line("the hub's fusion, a page of 10", as_bench(product, 100));
        for (family, candidates) in &families {
            let best = candidates
                .iter()
                .map(|how| (evaluate(&lists, choose, *how).0, *how))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .expect("invariant: every family has candidates")
                .1;
            let held = line(&format!("best {family}"), best);
            println!(
                "  held out against the hub's fusion: {:+.4} nDCG@10",
                held - base
            );
        }
        line(
            "RRF k=20 (the fusion until 2026-12-08)",
            Fusion::Rrf {
                k: 20.0,
                depth: 300,
            },
        );
        line(
            "keyword alone",
            Fusion::MinMax {
                alpha: 0.0,
                depth: args.depth,
            },
        );
        line(
            "semantic alone",
            Fusion::MinMax {
                alpha: 1.0,
                depth: args.depth,
            },
        );
    }
    Ok(())
}
