//! Recommendations for a tag, or for all of a member's tags together, each with its reasons:
//! the saved papers it is nearest to and the words it shares with them.

use std::collections::{HashMap, HashSet};

use paperhub_core::{Paper, PaperId};
use paperhub_search::recommend::{recommend, shared_terms, RecommendParams};
use paperhub_store::{Account, Label, TagEntry};
use serde::Serialize;

use super::{check_tag, Library};
use crate::semantic::document_text;
use crate::{HubError, Result};

/// The most recommendations one request returns.
pub const MAX_RECOMMENDATIONS: usize = 100;
/// How many shared words a reason names.
const TERMS: usize = 5;

/// A saved paper a recommendation is near.
#[derive(Debug, Clone, Serialize)]
pub struct NearPaper {
    /// Its hub id.
    pub id: PaperId,
    /// Its title.
    pub title: String,
    /// The cosine similarity of the two papers' embeddings.
    pub similarity: f32,
}

/// Why a paper is recommended.
#[derive(Debug, Clone, Serialize)]
pub struct RecommendationWhy {
    /// The saved papers it is nearest to, nearest first.
    pub nearest: Vec<NearPaper>,
    /// Words it shares with them (as it writes them).
    pub terms: Vec<String>,
    /// The two in a sentence.
    pub summary: String,
}

/// One recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// The paper.
    pub paper: Paper,
    /// Its score: its similarity to its nearest saved papers, less its similarity to the
    /// nearest rejected one (higher first).
    pub score: f32,
    /// Why.
    pub why: RecommendationWhy,
    /// Whether the member has seen it.
    pub seen: bool,
}

fn summary(nearest: &[NearPaper], terms: &[String]) -> String {
    let near: Vec<String> = nearest
        .iter()
        .map(|n| format!("“{}” ({:.2})", n.title, n.similarity))
        .collect();
    let mut text = match near.as_slice() {
        [] => String::from("Near your saved papers"),
        [one] => format!("Near {one}"),
        [rest @ .., last] => format!("Near {} and {last}", rest.join(", ")),
    };
    if !terms.is_empty() {
        text.push_str(&format!("; shares: {}", terms.join(", ")));
    }
    text
}

impl Library<'_> {
    /// What the recommendations of a tag (or, with `None`, of every tag) learn from: the
    /// saved papers and the rejected ones (a paper saved anywhere counts as saved).
    fn examples(&self, account: &Account, tag: Option<&str>) -> Result<Vec<TagEntry>> {
        match tag {
            Some(tag) => self.entries(account, &check_tag(tag)?),
            None => {
                let mut all: HashMap<u64, TagEntry> = HashMap::new();
                for summary in self.store().tags(account.id)? {
                    for entry in self
                        .store()
                        .tag_entries(account.id, &summary.name)?
                        .unwrap_or_default()
                    {
                        match all.get(&entry.paper_key) {
                            Some(held) if held.label == Label::Saved => {}
                            _ => {
                                all.insert(entry.paper_key, entry);
                            }
                        }
                    }
                }
                let mut entries: Vec<TagEntry> = all.into_values().collect();
                entries.sort_by(|a, b| {
                    a.added_at
                        .cmp(&b.added_at)
                        .then(a.paper_key.cmp(&b.paper_key))
                });
                Ok(entries)
            }
        }
    }

    /// Up to `limit` recommendations for the member's tag `tag` (all tags with `None`), never
    /// a paper in it (saved or rejected), nor, with `hide_seen`, one the member has seen.
    /// Needs the embedding model ([`HubError::ModelMissing`]).
    pub fn recommendations(
        &self,
        account: &Account,
        tag: Option<&str>,
        limit: usize,
        hide_seen: bool,
    ) -> Result<Vec<Recommendation>> {
        if limit == 0 || limit > MAX_RECOMMENDATIONS {
            return Err(HubError::OutOfRange(format!(
                "limit must be 1 to {MAX_RECOMMENDATIONS}"
            )));
        }
        let semantic = self.hub.semantic()?;
        let entries = self.examples(account, tag)?;
        let keys: Vec<u64> = entries.iter().map(|e| e.paper_key).collect();
        let papers: HashMap<u64, Paper> = self
            .store()
            .get_by_keys(&keys)?
            .into_iter()
            .map(|p| (p.key, p.paper))
            .collect();
        // A paper gathered but not embedded yet is embedded now (it is not stored: the
        // embedding run does that).
        let missing: Vec<u64> = keys
            .iter()
            .copied()
            .filter(|k| semantic.vectors.get(*k).is_none() && papers.contains_key(k))
            .collect();
        let mut fresh: HashMap<u64, Vec<f32>> = HashMap::new();
        if !missing.is_empty() {
            let texts: Vec<String> = missing.iter().map(|k| document_text(&papers[k])).collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vectors = semantic
                .embedder
                .embed(&refs)
                .map_err(|e| HubError::Embedding(format!("embedding saved papers: {e}")))?;
            fresh = missing.into_iter().zip(vectors).collect();
        }
        let vector_of = |key: u64| {
            semantic
                .vectors
                .get(key)
                .or_else(|| fresh.get(&key).cloned())
        };
        let (mut saved, mut rejected) = (Vec::new(), Vec::new());
        for entry in &entries {
            if let Some(vector) = vector_of(entry.paper_key) {
                match entry.label {
                    Label::Saved => saved.push((entry.paper_key, vector)),
                    Label::Rejected => rejected.push((entry.paper_key, vector)),
                }
            }
        }
        let exclude: HashSet<u64> = keys.iter().copied().collect();
        let asked = if hide_seen { limit * 3 } else { limit };
        let mut found = recommend(
            semantic.vectors.as_ref(),
            &saved,
            &rejected,
            &exclude,
            asked,
            &RecommendParams::default(),
        )?;
        let found_keys: Vec<u64> = found.iter().map(|r| r.key).collect();
        let seen: HashMap<u64, bool> = found_keys
            .iter()
            .copied()
            .zip(self.store().seen(account.id, &found_keys)?)
            .collect();
        if hide_seen {
            found.retain(|r| !seen[&r.key]);
        }
        found.truncate(limit);
        let shown_keys: Vec<u64> = found.iter().map(|r| r.key).collect();
        let shown: HashMap<u64, Paper> = self
            .store()
            .get_by_keys(&shown_keys)?
            .into_iter()
            .map(|p| (p.key, p.paper))
            .collect();
        Ok(found
            .into_iter()
            .filter_map(|r| {
                let paper = shown.get(&r.key)?.clone();
                let nearest: Vec<NearPaper> = r
                    .nearest
                    .iter()
                    .filter_map(|(key, similarity)| {
                        let near = papers.get(key)?;
                        Some(NearPaper {
                            id: near.id.clone(),
                            title: near.meta.title.clone(),
                            similarity: *similarity,
                        })
                    })
                    .collect();
                let neighbour_texts: Vec<String> = r
                    .nearest
                    .iter()
                    .filter_map(|(key, _)| papers.get(key).map(document_text))
                    .collect();
                let neighbour_refs: Vec<&str> =
                    neighbour_texts.iter().map(String::as_str).collect();
                let terms = shared_terms(&document_text(&paper), &neighbour_refs, TERMS);
                Some(Recommendation {
                    score: r.score,
                    seen: seen.get(&r.key).copied().unwrap_or(false),
                    why: RecommendationWhy {
                        summary: summary(&nearest, &terms),
                        nearest,
                        terms,
                    },
                    paper,
                })
            })
            .collect())
    }
}
