//! Recommendations for a member's tag: the papers nearest in meaning to the tag's saved
//! papers, kept away from the ones it rejected, each with its reasons.
//!
//! The score of a candidate is the mean of its `top_k` highest cosine similarities to the
//! saved papers (1: its single nearest saved paper; the default, all of them: its similarity
//! to the tag's mean, which measured best), less `reject_weight` times its highest similarity
//! to a rejected paper. Candidates
//! come from the vector index: the neighbours of the tag's mean and of up to `seeds` saved
//! papers, so that a tag of several topics finds papers near each of them. The offline
//! benchmark (`paperhub-bench recommend`) measured this against nearest-neighbour variants, a
//! linear SVM over the same vectors and arxiv-sanity-lite's tf-idf SVM; BENCHMARKS.md says how
//! each did.

use std::collections::{HashMap, HashSet};

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};

use crate::stem::MemoStemmer;
use crate::{Result, VectorIndex};

/// How recommendations are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendParams {
    /// How many highest similarities to the saved papers are averaged (all by default: on the
    /// arXiv samples the tag's mean beat the mean of the 3 nearest and the nearest alone).
    pub top_k: usize,
    /// How much the highest similarity to a rejected paper takes off.
    pub reject_weight: f32,
    /// How many saved papers (the latest) seed candidates of their own.
    pub seeds: usize,
    /// Candidates taken from around each seed, per recommendation asked for.
    pub per_seed: usize,
}

impl Default for RecommendParams {
    fn default() -> Self {
        Self {
            top_k: usize::MAX,
            reject_weight: 0.5,
            seeds: 24,
            per_seed: 2,
        }
    }
}

/// One recommended paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommended {
    /// Its key.
    pub key: u64,
    /// Its score (higher first).
    pub score: f32,
    /// The saved papers it is nearest to, nearest first, with their similarity (up to 3).
    pub nearest: Vec<(u64, f32)>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The tag's mean direction, normalised (`None` for no vectors).
fn centroid(vectors: &[(u64, Vec<f32>)]) -> Option<Vec<f32>> {
    let first = vectors.first()?;
    let mut sum = vec![0.0f32; first.1.len()];
    for (_, v) in vectors {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
    }
    let norm = dot(&sum, &sum).sqrt();
    if norm == 0.0 {
        return None;
    }
    sum.iter_mut().for_each(|s| *s /= norm);
    Some(sum)
}

/// Scores `candidate` against the saved and rejected papers; also returns its nearest saved.
pub fn score(
    candidate: &[f32],
    saved: &[(u64, Vec<f32>)],
    rejected: &[(u64, Vec<f32>)],
    params: &RecommendParams,
) -> (f32, Vec<(u64, f32)>) {
    let mut sims: Vec<(u64, f32)> = saved.iter().map(|(k, v)| (*k, dot(candidate, v))).collect();
    sims.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let k = params.top_k.clamp(1, sims.len().max(1));
    let positive = sims.iter().take(k).map(|s| s.1).sum::<f32>() / k as f32;
    let negative = rejected
        .iter()
        .map(|(_, v)| dot(candidate, v))
        .fold(0.0f32, f32::max);
    sims.truncate(3);
    (positive - params.reject_weight * negative, sims)
}

/// Up to `limit` recommendations for a tag with these `saved` and `rejected` papers' vectors,
/// never one of `exclude` (the tag's own papers, what the member has hidden).
pub fn recommend(
    index: &dyn VectorIndex,
    saved: &[(u64, Vec<f32>)],
    rejected: &[(u64, Vec<f32>)],
    exclude: &HashSet<u64>,
    limit: usize,
    params: &RecommendParams,
) -> Result<Vec<Recommended>> {
    let Some(mean) = centroid(saved) else {
        return Ok(Vec::new());
    };
    let skip = exclude.len() + saved.len() + rejected.len();
    let mut candidates: HashSet<u64> = HashSet::new();
    let wide = (limit * 4).max(40) + skip;
    for hit in index.search(&mean, wide, None)? {
        candidates.insert(hit.key);
    }
    let per_seed = (limit * params.per_seed).max(10) + skip.min(limit * 4);
    for (_, vector) in saved.iter().rev().take(params.seeds) {
        for hit in index.search(vector, per_seed, None)? {
            candidates.insert(hit.key);
        }
    }
    let own: HashSet<u64> = saved.iter().chain(rejected).map(|(k, _)| *k).collect();
    let mut scored: Vec<Recommended> = candidates
        .into_iter()
        .filter(|k| !exclude.contains(k) && !own.contains(k))
        .filter_map(|key| {
            let vector = index.get(key)?;
            let (score, nearest) = score(&vector, saved, rejected, params);
            Some(Recommended {
                key,
                score,
                nearest,
            })
        })
        .collect();
    scored.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    scored.truncate(limit);
    Ok(scored)
}

/// The words a recommended paper shares with the saved papers it is nearest to: stop words
/// left out, words compared by their stems, those shared with the most neighbours first (then
/// the longer), as written in the recommended paper, at most `limit`.
pub fn shared_terms(text: &str, neighbours: &[&str], limit: usize) -> Vec<String> {
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(MemoStemmer)
        .build();
    let mut stems_of = |text: &str| -> HashMap<String, String> {
        let mut stems = HashMap::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            let surface = text[token.offset_from..token.offset_to].to_lowercase();
            if surface.chars().count() < 3 || surface.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            stems.entry(token.text.clone()).or_insert(surface);
        }
        stems
    };
    let own = stems_of(text);
    let neighbour_stems: Vec<HashSet<String>> = neighbours
        .iter()
        .map(|n| stems_of(n).into_keys().collect())
        .collect();
    let mut shared: Vec<(usize, String)> = own
        .into_iter()
        .filter_map(|(stem, surface)| {
            let count = neighbour_stems.iter().filter(|n| n.contains(&stem)).count();
            (count > 0).then_some((count, surface))
        })
        .collect();
    shared.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.len().cmp(&a.1.len()))
            .then(a.1.cmp(&b.1))
    });
    shared.into_iter().take(limit).map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlatIndex;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = dot(v, v).sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn recommendations_are_near_the_saved_far_from_the_rejected_and_never_the_tags_own() {
        let index = FlatIndex::new(3);
        let vectors = [
            (1, unit(&[1.0, 0.0, 0.0])),
            (2, unit(&[0.9, 0.1, 0.0])),
            (3, unit(&[0.8, 0.2, 0.0])),
            (4, unit(&[0.0, 1.0, 0.0])),
            (5, unit(&[0.85, 0.0, 0.15])),
            (6, unit(&[0.0, 0.0, 1.0])),
        ];
        index.upsert(&vectors).unwrap();
        let saved = vec![vectors[0].clone()];
        let params = RecommendParams::default();
        let got = recommend(&index, &saved, &[], &HashSet::new(), 3, &params).unwrap();
        let keys: Vec<u64> = got.iter().map(|r| r.key).collect();
        assert_eq!(
            keys,
            [2, 5, 3],
            "nearest first, the saved paper itself left out"
        );
        assert_eq!(got[0].nearest[0].0, 1, "the reason names the saved paper");
        let rejected = vec![vectors[4].clone()];
        let got = recommend(&index, &saved, &rejected, &HashSet::from([2]), 3, &params).unwrap();
        let keys: Vec<u64> = got.iter().map(|r| r.key).collect();
        assert!(
            !keys.contains(&5),
            "a rejected paper is never recommended: {keys:?}"
        );
        assert!(!keys.contains(&2), "an excluded paper is never recommended");
        assert_eq!(keys[0], 3);
        assert!(recommend(&index, &[], &[], &HashSet::new(), 3, &params)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn shared_terms_are_compared_by_stem_and_shown_as_written() {
        let terms = shared_terms(
            "Training transformers from scratch with continual learning",
            &[
                "We train a transformer",
                "Continual learning of transformers",
            ],
            3,
        );
        assert_eq!(terms, ["transformers", "continual", "learning"]);
        assert!(shared_terms("nothing here", &["else entirely"], 5).is_empty());
    }
}
