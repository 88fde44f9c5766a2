//! `POST /api/v1/submissions`: a member submits a paper by arXiv id or arXiv URL.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use super::types::PaperResponse;
use super::ApiJson;
use crate::auth::Member;
use crate::error::{ApiError, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A submission.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionRequest {
    /// An arXiv id (`2402.13616`, `arXiv:2402.13616v2`, `hep-th/9901001`) or an arxiv.org abs,
    /// pdf or html URL. Only the id is used: the hub asks its configured arXiv API for it and
    /// never fetches the text given.
    pub arxiv_id: String,
}

/// Submits a paper: looked up in the arXiv API when the hub does not hold it (then listed on
/// today's page), recorded on it when it does. Answers the paper.
#[utoipa::path(
    post,
    path = "/api/v1/submissions",
    tag = "submissions",
    request_body = SubmissionRequest,
    responses(
        (status = 201, description = "The paper, new to the hub", body = PaperResponse),
        (status = 200, description = "The paper, which the hub already held", body = PaperResponse),
        (status = 400, description = "Not an arXiv id, a paper too old, or an id arXiv refuses (`invalid_parameter`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 403, description = "A banned account (`forbidden`)", body = ErrorResponse),
        (status = 404, description = "arXiv has no such paper (`not_found`)", body = ErrorResponse),
        (status = 502, description = "The arXiv API failed or answered garbage (`upstream_failed`); nothing was stored", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn submit_paper(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    ApiJson(request): ApiJson<SubmissionRequest>,
) -> Result<(StatusCode, Json<PaperResponse>), ApiError> {
    state
        .limits
        .check(Action::Submit, address, Some(member.0.id))?;
    let submitted = state
        .hub(move |hub| hub.submit(&member.0, &request.arxiv_id))
        .await?;
    let community = super::types::community(&state, vec![submitted.paper.id.clone()]).await?;
    let response = PaperResponse::from(&submitted.paper)
        .with_community(community.into_iter().next().unwrap_or_default());
    let status = if submitted.added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(response)))
}
