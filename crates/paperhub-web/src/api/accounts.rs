//! `POST /api/v1/accounts`: sign-up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::error::{ApiError, ErrorResponse};
use crate::state::AppState;

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// The login.
    pub email: String,
    /// At least 10 characters, not easy to guess.
    pub password: String,
}

/// The new account, and its first API token (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateAccountResponse {
    /// The login, as the hub spells it (lower case).
    pub email: String,
    /// `member`.
    pub role: String,
    /// An API token for `Authorization: Bearer TOKEN`; the hub keeps only its hash.
    pub token: String,
}

/// Signs up: a member account, and a first API token.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body = CreateAccountRequest,
    responses(
        (status = 201, description = "The account and its token", body = CreateAccountResponse),
        (status = 400, description = "A malformed email or a weak password (`invalid_parameter`)", body = ErrorResponse),
        (status = 409, description = "The email has an account (`conflict`)", body = ErrorResponse),
    )
)]
pub async fn create_account(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateAccountRequest>,
) -> Result<(StatusCode, Json<CreateAccountResponse>), ApiError> {
    let (account, token) = state
        .hub(move |hub| hub.accounts().sign_up(&request.email, &request.password))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateAccountResponse {
            email: account.email.to_string(),
            role: account.role.to_string(),
            token,
        }),
    ))
}
