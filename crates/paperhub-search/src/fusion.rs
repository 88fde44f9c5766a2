//! Combining rankings: reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009).
//!
//! Each ranking gives a paper `1 / (k + rank)`; a paper's fused score is the sum over the
//! rankings it appears in. It needs no calibration between BM25 scores and cosines, which
//! live on unrelated scales.

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

#[cfg(test)]
mod tests {
    use super::*;

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
