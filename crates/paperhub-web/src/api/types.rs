//! What the API returns.

use chrono::{DateTime, NaiveDate, Utc};
use paperhub_app::{Community, SearchHit};
use paperhub_core::Paper;
use paperhub_search::Snippet;
use serde::Serialize;
use utoipa::ToSchema;

use crate::links::{paper_path, safe_url};

/// A paper.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaperResponse {
    /// The hub's stable id.
    pub id: String,
    /// The id its source gave it, when not an arXiv id.
    pub source_id: Option<String>,
    /// Its arXiv id, with version when known.
    pub arxiv_id: Option<String>,
    /// Title (plain text).
    pub title: String,
    /// Authors, in order.
    pub authors: Vec<String>,
    /// Abstract (plain text).
    #[serde(rename = "abstract")]
    pub abstract_text: String,
    /// arXiv categories, primary first.
    pub categories: Vec<String>,
    /// The day the hub lists it on.
    pub listed_on: Option<NaiveDate>,
    /// When its first version appeared.
    pub published: Option<DateTime<Utc>>,
    /// When its latest version appeared.
    pub updated: Option<DateTime<Utc>>,
    /// The authors' comments.
    pub comments: Option<String>,
    /// Where it was published, if elsewhere.
    pub journal_ref: Option<String>,
    /// Its DOI.
    pub doi: Option<String>,
    /// Where to read it (http and https links only).
    pub links: LinksResponse,
    /// The hub's page for it (a path).
    pub url: String,
    /// Its upvotes.
    pub votes: u64,
    /// How many comments the community wrote on it (shown ones); `comments` is the authors'.
    pub comment_count: u64,
    /// The display name of the member who submitted it (`null`: it came by ingest).
    pub submitted_by: Option<String>,
}

impl PaperResponse {
    /// The same paper with what the community did with it.
    pub fn with_community(mut self, community: Community) -> Self {
        self.votes = community.votes;
        self.comment_count = community.comments;
        self.submitted_by = community.submitted_by;
        self
    }
}

/// Links of a paper; only absolute http(s) URLs are ever given.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinksResponse {
    /// The abstract page.
    pub abs: Option<String>,
    /// The PDF.
    pub pdf: Option<String>,
    /// `https://doi.org/…`.
    pub doi: Option<String>,
    /// Code repositories.
    pub code: Vec<String>,
}

impl From<&Paper> for PaperResponse {
    fn from(paper: &Paper) -> Self {
        let meta = &paper.meta;
        let link = |l: &Option<String>| l.as_deref().and_then(safe_url).map(str::to_owned);
        PaperResponse {
            id: paper.id.to_string(),
            source_id: meta.source_id.clone(),
            arxiv_id: meta.arxiv_id.as_ref().map(|a| a.to_string()),
            title: meta.title.clone(),
            authors: meta.authors.clone(),
            abstract_text: meta.abstract_text.clone(),
            categories: meta.categories.clone(),
            listed_on: paper.listed_on,
            published: meta.published,
            updated: meta.updated,
            comments: meta.comments.clone(),
            journal_ref: meta.journal_ref.clone(),
            doi: meta.doi.clone(),
            links: LinksResponse {
                abs: link(&meta.links.abs),
                pdf: link(&meta.links.pdf),
                doi: link(&meta.links.doi),
                code: meta
                    .links
                    .code
                    .iter()
                    .filter_map(|c| safe_url(c))
                    .map(str::to_owned)
                    .collect(),
            },
            url: paper_path(paper.id.as_str()),
            // Filled in by the handlers, which count them in one query per page.
            votes: 0,
            comment_count: 0,
            submitted_by: None,
        }
    }
}

/// A piece of a snippet: plain text, highlighted where it matched the query.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SnippetPart {
    /// The text (plain, never markup).
    pub text: String,
    /// Whether it matched the query.
    pub highlight: bool,
}

/// A snippet cut into plain and highlighted parts.
pub fn snippet_parts(snippet: &Snippet) -> Vec<SnippetPart> {
    let mut parts = Vec::with_capacity(snippet.highlights.len() * 2 + 1);
    let mut at = 0;
    let text = &snippet.fragment;
    for range in &snippet.highlights {
        let (start, end) = (range.start.min(text.len()), range.end.min(text.len()));
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            parts.push(SnippetPart {
                text: text[at..start].to_owned(),
                highlight: false,
            });
        }
        parts.push(SnippetPart {
            text: text[start..end].to_owned(),
            highlight: true,
        });
        at = end;
    }
    if at < text.len() {
        parts.push(SnippetPart {
            text: text[at..].to_owned(),
            highlight: false,
        });
    }
    parts
}

/// One search result.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// The hub's stable id.
    pub id: String,
    /// The id its source gave it, when not an arXiv id.
    pub source_id: Option<String>,
    /// Its arXiv id.
    pub arxiv_id: Option<String>,
    /// Title.
    pub title: String,
    /// Authors.
    pub authors: Vec<String>,
    /// The day the hub lists it on.
    pub listed_on: Option<NaiveDate>,
    /// Categories.
    pub categories: Vec<String>,
    /// Score in this search (higher is better; comparable only within one search).
    pub score: f32,
    /// The part of the abstract that matched, when the search cut one.
    pub snippet: Option<Vec<SnippetPart>>,
    /// The hub's page for it (a path).
    pub url: String,
    /// Its upvotes.
    pub votes: u64,
    /// How many comments the community wrote on it.
    pub comment_count: u64,
    /// The display name of the member who submitted it (`null`: it came by ingest).
    pub submitted_by: Option<String>,
}

impl SearchResult {
    /// The same result with what the community did with its paper.
    pub fn with_community(mut self, community: Community) -> Self {
        self.votes = community.votes;
        self.comment_count = community.comments;
        self.submitted_by = community.submitted_by;
        self
    }

    /// The results of `hits`, each with its paper's votes, comments and submitter.
    pub async fn of_hits(
        state: &crate::state::AppState,
        hits: &[SearchHit],
    ) -> Result<Vec<SearchResult>, crate::error::ApiError> {
        let ids: Vec<paperhub_core::PaperId> = hits.iter().map(|h| h.paper.id.clone()).collect();
        let community = community(state, ids).await?;
        Ok(hits
            .iter()
            .zip(community)
            .map(|(hit, c)| SearchResult::from(hit).with_community(c))
            .collect())
    }
}

/// What the community did with each of these papers, in one call to the hub.
pub async fn community(
    state: &crate::state::AppState,
    ids: Vec<paperhub_core::PaperId>,
) -> Result<Vec<Community>, crate::error::ApiError> {
    state
        .hub(move |hub| hub.community(&ids.iter().collect::<Vec<_>>()))
        .await
}

impl From<&SearchHit> for SearchResult {
    fn from(hit: &SearchHit) -> Self {
        let meta = &hit.paper.meta;
        SearchResult {
            id: hit.paper.id.to_string(),
            source_id: meta.source_id.clone(),
            arxiv_id: meta.arxiv_id.as_ref().map(|a| a.to_string()),
            title: meta.title.clone(),
            authors: meta.authors.clone(),
            listed_on: hit.paper.listed_on,
            categories: meta.categories.clone(),
            score: hit.score,
            snippet: hit.snippet.as_ref().map(snippet_parts),
            url: paper_path(hit.paper.id.as_str()),
            votes: 0,
            comment_count: 0,
            submitted_by: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_into_plain_and_highlighted_parts() {
        let snippet = Snippet {
            fragment: "a <b>gradient</b> trick".into(),
            highlights: vec![std::ops::Range { start: 5, end: 13 }],
        };
        let parts = snippet_parts(&snippet);
        let texts: Vec<(&str, bool)> = parts
            .iter()
            .map(|p| (p.text.as_str(), p.highlight))
            .collect();
        assert_eq!(
            texts,
            [("a <b>", false), ("gradient", true), ("</b> trick", false)]
        );
    }
}
