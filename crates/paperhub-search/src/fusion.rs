//! Combining the keyword and the semantic ranking of a hybrid search.
//!
//! - Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each ranking gives a
//!   paper `1 / (k + rank)`; a paper's fused score is the sum over the rankings it appears in.
//!   It needs no calibration between BM25 scores and cosines.
//! - A convex combination of the scores, each ranking's min-max normalised over its own
//!   candidates (Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
//!   Retrieval", TOIS 2023, found it ahead of RRF when its weight is tuned): it keeps how far
//!   apart the candidates are, which ranks throw away.
//!
//! Which one the hub uses, and its constant, is measured by `paperhub-bench fusion`.

use std::collections::HashMap;

/// The usual constant: it damps the weight of the very first ranks.
pub const RRF_K: f32 = 60.0;

/// Fuses rankings of keys (best first) into one, best first, with its fused scores.
pub fn reciprocal_rank_fusion(rankings: &[&[u64]], k: f32) -> Vec<(u64, f32)> {
    let mut scores: HashMap<u64, f32> = HashMap::new();
    let mut first_seen: HashMap<u64, usize> = HashMap::new();
    let mut order = 0;
    for ranking in rankings {
        for (rank, key) in ranking.iter().enumerate() {
            *scores.entry(*key).or_default() += 1.0 / (k + rank as f32 + 1.0);
            first_seen.entry(*key).or_insert_with(|| {
                order += 1;
                order
            });
        }
    }
    let mut fused: Vec<(u64, f32)> = scores.into_iter().collect();
    // Ties keep the order in which the rankings first named the papers.
    fused.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(first_seen[&a.0].cmp(&first_seen[&b.0]))
    });
    fused
}

/// How two rankings are fused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    /// Reciprocal rank fusion with this `k`.
    Rrf { k: f32 },
    /// `semantic_weight * semantic + (1 - semantic_weight) * keyword`, each ranking's scores
    /// min-max normalised to [0, 1] over its candidates; a paper missing from a ranking gets
    /// 0 from it.
    Convex { semantic_weight: f32 },
}

impl Fusion {
    /// Fuses a keyword and a semantic ranking of `(key, score)`, best first, into one, best
    /// first, with the fused scores. Ties keep the order in which the rankings (keyword
    /// first) first named the papers.
    pub fn fuse(&self, keyword: &[(u64, f32)], semantic: &[(u64, f32)]) -> Vec<(u64, f32)> {
        match *self {
            Fusion::Rrf { k } => {
                let keyword: Vec<u64> = keyword.iter().map(|h| h.0).collect();
                let semantic: Vec<u64> = semantic.iter().map(|h| h.0).collect();
                reciprocal_rank_fusion(&[&keyword, &semantic], k)
            }
            Fusion::Convex { semantic_weight } => convex_combination(&[
                (keyword, 1.0 - semantic_weight),
                (semantic, semantic_weight),
            ]),
        }
    }
}

/// Fuses rankings of `(key, score)` by the weighted sum of their min-max normalised scores
/// (a ranking whose scores are all equal gives each of its papers 1), best first.
pub fn convex_combination(rankings: &[(&[(u64, f32)], f32)]) -> Vec<(u64, f32)> {
    let mut scores: HashMap<u64, (f32, usize)> = HashMap::new();
    let mut order = 0;
    for (ranking, weight) in rankings {
        let (lo, hi) = ranking.iter().fold((f32::MAX, f32::MIN), |(lo, hi), h| {
            (lo.min(h.1), hi.max(h.1))
        });
        let span = hi - lo;
        for (key, score) in ranking.iter() {
            let normalised = if span > 0.0 { (score - lo) / span } else { 1.0 };
            let entry = scores.entry(*key).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            entry.0 += weight * normalised;
        }
    }
    let mut fused: Vec<(u64, f32, usize)> =
        scores.into_iter().map(|(k, (s, o))| (k, s, o)).collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(k, s, _)| (k, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_convex_combination_weighs_normalised_scores_and_keeps_how_far_apart_they_are() {
        // BM25 on its own scale, cosines on theirs.
        let keyword = [(1, 30.0), (2, 10.0), (3, 9.0)];
        let semantic = [(3, 0.9), (4, 0.5), (1, 0.1)];
        let fused = Fusion::Convex {
            semantic_weight: 0.4,
        }
        .fuse(&keyword, &semantic);
        let keys: Vec<u64> = fused.iter().map(|(k, _)| *k).collect();
        // 1: 0.6 * 1 + 0.4 * 0 = 0.6; 3: 0.6 * 0 + 0.4 * 1 = 0.4; 4: 0.4 * 0.5 = 0.2;
        // 2: 0.6 * (1 / 21) = 0.029.
        assert_eq!(keys, [1, 3, 4, 2]);
        assert!((fused[0].1 - 0.6).abs() < 1e-6);
        assert!((fused[2].1 - 0.2).abs() < 1e-6);
        // All weight on one side is that side's order, the other's papers after it.
        let semantic_only = Fusion::Convex {
            semantic_weight: 1.0,
        }
        .fuse(&keyword, &semantic);
        assert_eq!(
            semantic_only
                .iter()
                .map(|(k, _)| *k)
                .take(3)
                .collect::<Vec<_>>(),
            [3, 4, 1]
        );
    }

    #[test]
    fn rrf_through_fusion_is_reciprocal_rank_fusion() {
        let keyword = [(1, 5.0), (2, 4.0)];
        let semantic = [(2, 0.9), (3, 0.8)];
        let fused = Fusion::Rrf { k: 20.0 }.fuse(&keyword, &semantic);
        assert_eq!(fused, reciprocal_rank_fusion(&[&[1, 2], &[2, 3]], 20.0));
    }

    #[test]
    fn papers_both_rankings_agree_on_come_first() {
        let keyword = [1, 2, 3];
        let semantic = [3, 4, 1];
        let fused = reciprocal_rank_fusion(&[&keyword, &semantic], RRF_K);
        let keys: Vec<u64> = fused.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            &keys[..2],
            &[1, 3],
            "papers in both lists beat papers in one"
        );
        assert_eq!(keys.len(), 4);
        assert!((fused[0].1 - (1.0 / 61.0 + 1.0 / 63.0)).abs() < 1e-6);
    }

    #[test]
    fn one_ranking_keeps_its_order() {
        let fused = reciprocal_rank_fusion(&[&[5, 9, 2]], RRF_K);
        assert_eq!(
            fused.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            vec![5, 9, 2]
        );
    }
}
