//! `GET /api/v1/papers`, `/api/v1/papers/{id}` and `/api/v1/papers/{id}/similar`.

use axum::extract::{Path, State};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::{PaperResponse, SearchResult};
use super::ApiQuery;
use crate::error::{ApiError, ErrorCode, ErrorResponse};
use paperhub_app::SimilarBy;

use crate::search::{check_page, similar};
use crate::state::AppState;

/// Which papers to list: one of `date`, `week` or `month` (none: the latest day).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListPapersQuery {
    /// A day, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// An ISO week, `YYYY-Www`.
    pub week: Option<String>,
    /// A month, `YYYY-MM`.
    pub month: Option<String>,
    /// `listing` (default: latest day first, each day in its listing's order) or `votes`
    /// (most upvoted first).
    #[param(pattern = "^(listing|votes)$")]
    pub sort: Option<String>,
    /// Papers per page, 1 to 100 (default 50).
    pub limit: Option<usize>,
    /// Papers to skip (default 0, at most 10000).
    pub offset: Option<usize>,
}

/// One page of the papers listed in a span of days.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListPapersResponse {
    /// The span, as asked: `2025-06-05`, `2025-W23` or `2025-06`; `null` when the hub is empty.
    pub span: Option<String>,
    /// Its first day.
    pub from: Option<NaiveDate>,
    /// Its last day.
    pub until: Option<NaiveDate>,
    /// The nearest earlier span with papers (for a day) or the previous week or month.
    pub previous: Option<String>,
    /// The nearest later span with papers (for a day) or the next week or month.
    pub next: Option<String>,
    /// The papers, latest day first (or most upvoted first, with `sort=votes`).
    pub papers: Vec<PaperResponse>,
    /// How many papers the span holds.
    pub total: u64,
    /// The page size.
    pub limit: usize,
    /// Papers skipped.
    pub offset: usize,
    /// The offset of the next page, `null` on the last.
    pub next_offset: Option<usize>,
}

/// Papers of a day, an ISO week or a month.
#[utoipa::path(
    get,
    path = "/api/v1/papers",
    tag = "papers",
    params(ListPapersQuery),
    responses(
        (status = 200, description = "One page of the span's papers", body = ListPapersResponse),
        (status = 400, description = "A malformed span, or limit/offset out of range", body = ErrorResponse),
    )
)]
pub async fn list_papers(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListPapersQuery>,
) -> Result<Json<ListPapersResponse>, ApiError> {
    let (limit, offset) = check_page(query.limit, query.offset, 50)?;
    let listing = crate::days::listing(
        &state,
        query.date.as_deref(),
        query.week.as_deref(),
        query.month.as_deref(),
        query.sort.as_deref(),
        limit,
        offset,
    )
    .await?;
    let ids: Vec<paperhub_core::PaperId> = listing.papers.iter().map(|p| p.id.clone()).collect();
    let community = super::types::community(&state, ids).await?;
    let shown = offset + listing.papers.len();
    Ok(Json(ListPapersResponse {
        span: listing.range.map(|r| r.to_string()),
        from: listing.range.map(|r| r.bounds().0),
        until: listing.range.map(|r| r.bounds().1),
        previous: listing.previous.map(|r| r.to_string()),
        next: listing.next.map(|r| r.to_string()),
        papers: listing
            .papers
            .iter()
            .zip(community)
            .map(|(paper, community)| PaperResponse::from(paper).with_community(community))
            .collect(),
        total: listing.total,
        limit,
        offset,
        next_offset: ((shown as u64) < listing.total).then_some(shown),
    }))
}

/// One paper by hub id, arXiv id (any spelling) or source id.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}",
    tag = "papers",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id (a `/` as %2F)")),
    responses(
        (status = 200, description = "The paper", body = PaperResponse),
        (status = 404, description = "No such paper (`paper_not_found`)", body = ErrorResponse),
    )
)]
pub async fn get_paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PaperResponse>, ApiError> {
    let paper = find(&state, id).await?;
    let community = super::types::community(&state, vec![paper.id.clone()]).await?;
    let response = PaperResponse::from(&paper)
        .with_community(community.into_iter().next().unwrap_or_default());
    Ok(Json(response))
}

pub async fn find(state: &AppState, id: String) -> Result<paperhub_core::Paper, ApiError> {
    let shown = id.clone();
    state
        .hub(move |hub| hub.find_paper(&id))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PaperNotFound, format!("no paper `{shown}`")))
}

/// How many similar papers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarPapersQuery {
    /// 1 to 100 (default 10).
    pub limit: Option<usize>,
}

/// Papers like one paper.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarPapersResponse {
    /// The paper's hub id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `semantic`: nearest in meaning (the embedding model is installed); `keyword`: sharing
    /// the most words with its title (no model: a weaker stand-in).
    #[schema(value_type = String)]
    pub method: SimilarBy,
    /// The papers, most similar first.
    pub results: Vec<SearchResult>,
}

/// Papers similar to one paper: nearest in meaning with the embedding model, else by words.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}/similar",
    tag = "papers",
    params(
        ("id" = String, Path, description = "Hub id, arXiv id or source id"),
        SimilarPapersQuery
    ),
    responses(
        (status = 200, description = "Similar papers", body = SimilarPapersResponse),
        (status = 404, description = "No such paper (`paper_not_found`)", body = ErrorResponse),
        (status = 400, description = "limit out of range", body = ErrorResponse),
    )
)]
pub async fn similar_papers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<SimilarPapersQuery>,
) -> Result<Json<SimilarPapersResponse>, ApiError> {
    let paper = find(&state, id).await?;
    let similar = similar(&state, &paper, query.limit.unwrap_or(10)).await?;
    Ok(Json(SimilarPapersResponse {
        id: paper.id.to_string(),
        title: paper.meta.title.clone(),
        method: similar.by,
        results: SearchResult::of_hits(&state, &similar.hits).await?,
    }))
}
