//! `GET /api/v1/trending?period=day|week|month`: the papers the community votes for now, each
//! with the numbers that made its score.

use axum::extract::State;
use axum::Json;
use paperhub_app::{Period, Why};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiQuery;
use crate::error::{ApiError, ErrorResponse};
use crate::links::paper_path;
use crate::state::AppState;

/// Which trending list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendingQuery {
    /// `day` (the default), `week` or `month`: the window whose votes count.
    #[param(value_type = Option<String>)]
    pub period: Option<Period>,
    /// 1 to 100 (default 20).
    pub limit: Option<usize>,
}

/// Why a paper ranks where it does.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhyResponse {
    /// The votes it got in the period.
    pub votes_in_period: u64,
    /// Its age in hours, when ranked.
    pub age_hours: f64,
    /// `listed` (from the day the hub lists it) or `published`.
    pub age_from: String,
    /// The formula's gravity.
    pub gravity: f64,
    /// The formula's offset, in hours.
    pub offset_hours: f64,
    /// `votes_in_period / (age_hours + offset_hours) ^ gravity`.
    pub formula: String,
}

impl From<&Why> for WhyResponse {
    fn from(why: &Why) -> Self {
        WhyResponse {
            votes_in_period: why.votes_in_period,
            age_hours: (why.age_hours * 100.0).round() / 100.0,
            age_from: why.age_from.to_owned(),
            gravity: why.gravity,
            offset_hours: why.offset_hours,
            formula: why.formula.to_owned(),
        }
    }
}

/// One trending paper.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendingResult {
    /// The hub id.
    pub id: String,
    /// Title (plain text).
    pub title: String,
    /// All its upvotes.
    pub votes: u64,
    /// Its shown comments.
    pub comment_count: u64,
    /// The display name of its first submitter; `null` when it came by ingest.
    pub submitted_by: Option<String>,
    /// Its trending score in the period.
    pub score: f64,
    /// The numbers that made the score.
    pub why: WhyResponse,
    /// The day the hub lists it on.
    pub listed_on: Option<chrono::NaiveDate>,
    /// The hub's page for it.
    pub url: String,
}

/// A trending list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendingResponse {
    /// `day`, `week` or `month`.
    pub period: String,
    /// Highest score first.
    pub results: Vec<TrendingResult>,
}

/// The papers trending over a day, a week or a month, and why.
#[utoipa::path(
    get,
    path = "/api/v1/trending",
    tag = "trending",
    params(TrendingQuery),
    responses(
        (status = 200, description = "Trending papers", body = TrendingResponse),
        (status = 400, description = "Bad parameters (`invalid_parameter`, `limit_out_of_range`)", body = ErrorResponse),
    )
)]
pub async fn get_trending(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TrendingQuery>,
) -> Result<Json<TrendingResponse>, ApiError> {
    let period = query.period.unwrap_or_default();
    let limit = query.limit.unwrap_or(20);
    let papers = state
        .hub(move |hub| hub.trending(period, limit, chrono::Utc::now()))
        .await?;
    Ok(Json(TrendingResponse {
        period: period.as_str().to_owned(),
        results: papers
            .iter()
            .map(|t| TrendingResult {
                id: t.paper.id.to_string(),
                title: t.paper.meta.title.clone(),
                votes: t.votes,
                comment_count: t.comments,
                submitted_by: t.submitted_by.clone(),
                score: t.score,
                why: WhyResponse::from(&t.why),
                listed_on: t.paper.listed_on,
                url: paper_path(t.paper.id.as_str()),
            })
            .collect(),
    }))
}
