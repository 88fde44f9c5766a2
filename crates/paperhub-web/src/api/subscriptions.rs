//! `POST /api/v1/subscriptions`: ask for the trending papers by email (double opt-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use paperhub_core::Frequency;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::error::{ApiError, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A subscription request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRequest {
    /// Where the digests go.
    pub email: String,
    /// `daily` (default) or `weekly`.
    #[serde(default)]
    #[schema(value_type = String, example = "daily")]
    pub frequency: Frequency,
    /// Search queries whose new papers the digest adds (at most 10, each at most 200
    /// characters, no `;`).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub topics: Vec<String>,
}

/// The answer: the same for every address.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionAccepted {
    /// `confirmation_sent`.
    pub status: &'static str,
    /// What happens next.
    pub message: &'static str,
}

/// Asks for digests at an address. Nothing is mailed there but a confirmation mail, whose
/// link opens a page with a button that confirms; an address subscribed already is not
/// changed (its mails carry a preferences link). The answer is the same whatever the address.
#[utoipa::path(
    post,
    path = "/api/v1/subscriptions",
    tag = "subscriptions",
    request_body = SubscriptionRequest,
    responses(
        (status = 202, description = "A confirmation mail is on its way (unless the address is confirmed already)", body = SubscriptionAccepted),
        (status = 400, description = "A malformed address, frequency or topic (`invalid_parameter`); nothing was stored", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    )
)]
pub async fn subscribe(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<SubscriptionRequest>,
) -> Result<(StatusCode, Json<SubscriptionAccepted>), ApiError> {
    state.limits.check(Action::Subscribe, address, None)?;
    state
        .hub(move |hub| {
            hub.subscriptions().request(
                &request.email,
                request.frequency,
                &request.topics,
                chrono::Utc::now(),
            )
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ACCEPTED)))
}

/// What every accepted request answers.
pub const ACCEPTED: SubscriptionAccepted = SubscriptionAccepted {
    status: "confirmation_sent",
    message: "if this address is not subscribed yet, a mail with a confirmation link is on its way; the link works for 48 hours",
};
