//! `PUT` and `DELETE /api/v1/papers/{id}/vote`: a member's upvote, given and taken back.

use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Member;
use crate::error::{ApiError, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A paper's votes after the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResponse {
    /// The paper's hub id.
    pub id: String,
    /// Its votes now.
    pub votes: u64,
    /// Whether the caller's vote is on it.
    pub voted: bool,
}

async fn vote(
    state: AppState,
    member: Member,
    id: String,
    up: bool,
) -> Result<Json<VoteResponse>, ApiError> {
    let paper = crate::api::find_paper(&state, id).await?;
    let outcome = state
        .hub(move |hub| hub.vote(&member.0, paper.id.as_str(), up))
        .await?;
    Ok(Json(VoteResponse {
        id: outcome.id.to_string(),
        votes: outcome.votes,
        voted: outcome.voted,
    }))
}

/// Upvotes a paper (again: no change).
#[utoipa::path(
    put,
    path = "/api/v1/papers/{id}/vote",
    tag = "votes",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    responses(
        (status = 200, description = "The paper's votes", body = VoteResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 403, description = "A banned account (`forbidden`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`paper_not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn upvote_paper(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(id): Path<String>,
) -> Result<Json<VoteResponse>, ApiError> {
    state
        .limits
        .check(Action::Vote, address, Some(member.0.id))?;
    vote(state, member, id, true).await
}

/// Takes an upvote back (none given: no change).
#[utoipa::path(
    delete,
    path = "/api/v1/papers/{id}/vote",
    tag = "votes",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    responses(
        (status = 200, description = "The paper's votes", body = VoteResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 403, description = "A banned account (`forbidden`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`paper_not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn remove_vote(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(id): Path<String>,
) -> Result<Json<VoteResponse>, ApiError> {
    state
        .limits
        .check(Action::Vote, address, Some(member.0.id))?;
    vote(state, member, id, false).await
}
