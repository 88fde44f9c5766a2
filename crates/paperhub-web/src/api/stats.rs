//! `GET /api/v1/stats`.

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorResponse};
use crate::state::AppState;

/// What the hub holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsResponse {
    /// Papers.
    pub papers: u64,
    /// Papers with an arXiv id.
    pub with_arxiv_id: u64,
    /// Days with papers.
    pub days: u64,
    /// The earliest day with papers.
    pub first_day: Option<NaiveDate>,
    /// The latest day with papers.
    pub last_day: Option<NaiveDate>,
    /// Whether search by meaning is available (the embedding model is installed).
    pub search_by_meaning: bool,
    /// Papers with a vector from the model (`null` without the model).
    pub embedded: Option<u64>,
}

/// Counts of what the hub holds.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "hub",
    responses(
        (status = 200, description = "Counts", body = StatsResponse),
        (status = 500, description = "The store failed", body = ErrorResponse),
    )
)]
pub async fn get_stats(State(state): State<AppState>) -> Result<Json<StatsResponse>, ApiError> {
    let search_by_meaning = state.hub.has_semantic();
    let stats = state.hub(|hub| hub.stats()).await?;
    Ok(Json(StatsResponse {
        papers: stats.store.papers,
        with_arxiv_id: stats.store.with_arxiv_id,
        days: stats.store.days,
        first_day: stats.store.first_day,
        last_day: stats.store.last_day,
        search_by_meaning,
        embedded: stats.embedded,
    }))
}
