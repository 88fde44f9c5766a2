//! Searching on behalf of a request: parameters as the API and the search page take them,
//! checked and turned into a hub search.

use chrono::NaiveDate;
use paperhub_hub::{SearchHit, SearchMode, SearchRequest};
use paperhub_search::KeywordQuery;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// How to search, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// BM25 over title, abstract and authors.
    Keyword,
    /// Nearest in meaning (needs the embedding model).
    Semantic,
    /// Both rankings fused by reciprocal rank (needs the embedding model).
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
            Mode::Hybrid => "hybrid",
        }
    }

    /// Parses a mode from a form; empty means the default.
    pub fn parse(text: &str) -> Result<Option<Self>, ApiError> {
        match text.trim() {
            "" => Ok(None),
            "keyword" => Ok(Some(Mode::Keyword)),
            "semantic" => Ok(Some(Mode::Semantic)),
            "hybrid" => Ok(Some(Mode::Hybrid)),
            other => Err(ApiError::new(
                ErrorCode::InvalidParameter,
                format!("mode `{other}` is not one of keyword, semantic, hybrid"),
            )),
        }
    }
}

impl From<Mode> for SearchMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Keyword => SearchMode::Keyword,
            Mode::Semantic => SearchMode::Semantic,
            Mode::Hybrid => SearchMode::Hybrid,
        }
    }
}

/// Largest page of results.
pub const MAX_LIMIT: usize = 100;
/// Deepest offset: ranking more than this many results costs more than anyone reads.
pub const MAX_OFFSET: usize = 10_000;

/// Checks `limit` (1 to [`MAX_LIMIT`]) and `offset` (up to [`MAX_OFFSET`]).
pub fn check_page(
    limit: Option<usize>,
    offset: Option<usize>,
    default: usize,
) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(default);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            format!("limit must be from 1 to {MAX_LIMIT}, not {limit}"),
        ));
    }
    if offset > MAX_OFFSET {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            format!("offset must be at most {MAX_OFFSET}, not {offset}"),
        ));
    }
    Ok((limit, offset))
}

/// A search as a request asks for it.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    pub q: String,
    pub mode: Option<Mode>,
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub category: Option<String>,
    pub author: Option<String>,
    pub limit: usize,
    pub offset: usize,
    pub snippets: bool,
}

/// What a search found.
pub struct SearchOutcome {
    /// The mode that ran.
    pub mode: Mode,
    /// The hits of the page asked for.
    pub hits: Vec<SearchHit>,
    /// Whether more results follow.
    pub has_more: bool,
}

/// The mode a search runs in when none is asked: hybrid with the model, else keyword.
pub fn default_mode(state: &AppState) -> Mode {
    if state.hub.has_semantic() {
        Mode::Hybrid
    } else {
        Mode::Keyword
    }
}

/// Runs a search on the hub.
pub async fn run(state: &AppState, params: SearchParams) -> Result<SearchOutcome, ApiError> {
    let mode = params.mode.unwrap_or_else(|| default_mode(state));
    let mut query = KeywordQuery::parse(&params.q)
        .map_err(|message| ApiError::new(ErrorCode::InvalidQuery, message))?;
    // One more than asked, to know whether a next page exists.
    query.limit = params.limit + 1;
    query.offset = params.offset;
    let filters = &mut query.filters;
    filters.author = params
        .author
        .filter(|a| !a.trim().is_empty())
        .or(filters.author.take());
    filters.category = params
        .category
        .filter(|c| !c.trim().is_empty())
        .or(filters.category.take());
    filters.from = params.from.or(filters.from);
    filters.until = params.until.or(filters.until);
    let request = SearchRequest {
        query,
        mode: mode.into(),
        snippets: params.snippets,
    };
    let mut hits = state.search(move |hub| hub.search(&request)).await?;
    let has_more = hits.len() > params.limit;
    hits.truncate(params.limit);
    Ok(SearchOutcome {
        mode,
        hits,
        has_more,
    })
}

/// Parses an optional `YYYY-MM-DD` parameter named `name`.
pub fn parse_day(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("{name} `{v}` is not a day: expected YYYY-MM-DD"),
                )
            }),
    }
}

/// How similar papers were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimilarBy {
    /// Nearest in meaning (the embedding model).
    Semantic,
    /// Sharing the most words with the paper's title (no model installed).
    Keyword,
}

/// Papers like `paper`: nearest in meaning when the hub has the model, else those sharing
/// the most words with its title.
pub async fn similar(
    state: &AppState,
    paper: &paperhub_core::Paper,
    limit: usize,
) -> Result<(SimilarBy, Vec<SearchHit>), ApiError> {
    let id = paper.id.clone();
    if state.hub.has_semantic() {
        let hits = state
            .search(move |hub| hub.similar(id.as_str(), limit))
            .await?
            .map(|(_, hits)| hits)
            .unwrap_or_default();
        return Ok((SimilarBy::Semantic, hits));
    }
    // Only the title's words: no query syntax from paper data reaches the parser.
    let words: String = paper
        .meta
        .title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut query = KeywordQuery::parse(&words)
        .map_err(|message| ApiError::new(ErrorCode::InvalidQuery, message))?;
    query.limit = limit + 1;
    let request = SearchRequest {
        query,
        mode: SearchMode::Keyword,
        snippets: false,
    };
    let mut hits = state.search(move |hub| hub.search(&request)).await?;
    hits.retain(|h| h.paper.id != paper.id);
    hits.truncate(limit);
    Ok((SimilarBy::Keyword, hits))
}
