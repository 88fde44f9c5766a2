//! `GET /api/v1/search`.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::SearchResult;
use super::ApiQuery;
use crate::error::{ApiError, ErrorResponse};
use paperhub_app::{SearchMode, SearchRequest};

use crate::state::AppState;

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchPapersQuery {
    /// Words, `"phrases"`, `+required`, `-excluded`, `title:word`, and the filters
    /// `author:`, `category:`, `date:FROM..UNTIL`.
    #[serde(default)]
    pub q: String,
    /// `keyword`, `semantic` or `hybrid` (default: hybrid when the embedding model is
    /// installed, else keyword).
    #[param(value_type = Option<String>)]
    pub mode: Option<SearchMode>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
    /// Only papers in this category (`cs.CV`).
    pub category: Option<String>,
    /// Only papers by this author.
    pub author: Option<String>,
    /// Results per page, 1 to 100 (default 10).
    pub limit: Option<usize>,
    /// Results to skip (default 0, at most 10000).
    pub offset: Option<usize>,
}

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPapersResponse {
    /// The query.
    pub query: String,
    /// The mode that ran (`keyword`, `semantic` or `hybrid`): a search of filters alone runs
    /// by keyword, whatever was asked.
    #[schema(value_type = String)]
    pub mode: SearchMode,
    /// Results, best first.
    pub results: Vec<SearchResult>,
    /// The page size.
    pub limit: usize,
    /// Results skipped.
    pub offset: usize,
    /// The offset of the next page, `null` on the last.
    pub next_offset: Option<usize>,
}

/// Searches papers by words, by meaning, or both.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    params(SearchPapersQuery),
    responses(
        (status = 200, description = "Results", body = SearchPapersResponse),
        (status = 400, description = "Bad parameters (`invalid_parameter`, `limit_out_of_range`, \
                                       `invalid_query`, `model_not_installed`)", body = ErrorResponse),
    )
)]
pub async fn search_papers(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchPapersQuery>,
) -> Result<Json<SearchPapersResponse>, ApiError> {
    let q = query.q.clone();
    let results = crate::search::run(&state, query.into()).await?;
    Ok(Json(SearchPapersResponse {
        query: q,
        mode: results.mode,
        next_offset: results
            .has_more
            .then_some(results.offset + results.hits.len()),
        results: SearchResult::of_hits(&state, &results.hits).await?,
        limit: results.limit,
        offset: results.offset,
    }))
}

impl From<SearchPapersQuery> for SearchRequest {
    fn from(query: SearchPapersQuery) -> Self {
        SearchRequest {
            q: query.q,
            mode: query.mode,
            author: query.author,
            category: query.category,
            from: query.from,
            until: query.until,
            limit: query.limit,
            offset: query.offset,
            snippets: true,
        }
    }
}
