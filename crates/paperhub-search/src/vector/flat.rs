//! Exact nearest-neighbour search over f32 vectors held in memory.

use std::collections::HashMap;
use std::sync::RwLock;

use super::{KeySet, VectorHit, VectorIndex};
use crate::{Result, SearchError};

#[derive(Default)]
struct Flat {
    keys: Vec<u64>,
    /// `keys.len() * dimensions` floats, row by row.
    vectors: Vec<f32>,
    rows: HashMap<u64, usize>,
}

/// Exact nearest-neighbour search over vectors held in memory.
pub struct FlatIndex {
    dimensions: usize,
    inner: RwLock<Flat>,
}

impl FlatIndex {
    /// An empty index of `dimensions`-long vectors.
    pub fn new(dimensions: usize) -> Self {
        Self {
            dimensions,
            inner: RwLock::new(Flat::default()),
        }
    }
}

pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four accumulators let the compiler vectorise without reordering one long sum.
    let mut acc = [0.0f32; 4];
    let chunks = a.len() / 4 * 4;
    for i in (0..chunks).step_by(4) {
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let tail: f32 = a[chunks..]
        .iter()
        .zip(&b[chunks..])
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

impl VectorIndex for FlatIndex {
    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn upsert(&self, items: &[(u64, Vec<f32>)]) -> Result<()> {
        let mut flat = self
            .inner
            .write()
            .map_err(|_| SearchError::Corrupt("vector index lock poisoned".into()))?;
        for (key, vector) in items {
            if vector.len() != self.dimensions {
                return Err(SearchError::InvalidQuery(format!(
                    "vector for paper {key} has {} dimensions, the index {}",
                    vector.len(),
                    self.dimensions
                )));
            }
            match flat.rows.get(key).copied() {
                Some(row) => {
                    let start = row * self.dimensions;
                    flat.vectors[start..start + self.dimensions].copy_from_slice(vector);
                }
                None => {
                    let row = flat.keys.len();
                    flat.keys.push(*key);
                    flat.vectors.extend_from_slice(vector);
                    flat.rows.insert(*key, row);
                }
            }
        }
        Ok(())
    }

    fn search(
        &self,
        query: &[f32],
        limit: usize,
        allow: Option<&KeySet>,
    ) -> Result<Vec<VectorHit>> {
        super::check_dimensions(query, self.dimensions)?;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let flat = self
            .inner
            .read()
            .map_err(|_| SearchError::Corrupt("vector index lock poisoned".into()))?;
        // A bounded min-heap of the best `limit` hits.
        let mut best: std::collections::BinaryHeap<std::cmp::Reverse<Scored>> =
            std::collections::BinaryHeap::with_capacity(limit + 1);
        for (row, key) in flat.keys.iter().enumerate() {
            if allow.is_some_and(|keep| !keep.contains(key)) {
                continue;
            }
            let start = row * self.dimensions;
            let score = dot(query, &flat.vectors[start..start + self.dimensions]);
            if best.len() < limit {
                best.push(std::cmp::Reverse(Scored(score, *key)));
            } else if best.peek().is_some_and(|worst| score > worst.0 .0) {
                best.pop();
                best.push(std::cmp::Reverse(Scored(score, *key)));
            }
        }
        let mut hits: Vec<VectorHit> = best
            .into_iter()
            .map(|std::cmp::Reverse(Scored(score, key))| VectorHit { key, score })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
        Ok(hits)
    }

    fn get(&self, key: u64) -> Option<Vec<f32>> {
        let flat = self.inner.read().ok()?;
        let row = *flat.rows.get(&key)?;
        let start = row * self.dimensions;
        Some(flat.vectors[start..start + self.dimensions].to_vec())
    }

    fn len(&self) -> usize {
        self.inner.read().map(|f| f.keys.len()).unwrap_or(0)
    }
}

/// A score and key ordered by score (then key), for the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Scored(pub(super) f32, pub(super) u64);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn finds_the_nearest_vectors_first_and_honours_the_filter() {
        let index = FlatIndex::new(3);
        index
            .upsert(&[
                (1, unit(&[1.0, 0.0, 0.0])),
                (2, unit(&[0.9, 0.1, 0.0])),
                (3, unit(&[0.0, 1.0, 0.0])),
            ])
            .unwrap();
        let hits = index.search(&unit(&[1.0, 0.05, 0.0]), 2, None).unwrap();
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![1, 2]);
        assert!(hits[0].score > hits[1].score);
        let odd: KeySet = [1, 3].into_iter().collect();
        let hits = index
            .search(&unit(&[1.0, 0.05, 0.0]), 2, Some(&odd))
            .unwrap();
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn upserting_a_key_again_replaces_its_vector() {
        let index = FlatIndex::new(2);
        index.upsert(&[(7, unit(&[1.0, 0.0]))]).unwrap();
        index.upsert(&[(7, unit(&[0.0, 1.0]))]).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.get(7).unwrap(), vec![0.0, 1.0]);
    }

    #[test]
    fn vectors_of_the_wrong_length_are_refused() {
        let index = FlatIndex::new(2);
        assert!(index.upsert(&[(1, vec![1.0, 0.0, 0.0])]).is_err());
        assert!(index.search(&[1.0], 1, None).is_err());
    }
}
