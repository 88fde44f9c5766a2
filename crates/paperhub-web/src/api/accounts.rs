//! `POST /api/v1/accounts`: sign-up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Member;
use crate::error::{ApiError, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// The login.
    pub email: String,
    /// At least 10 characters, not easy to guess.
    pub password: String,
    /// The name shown beside your comments and submissions, 1 to 40 characters (default: the
    /// part of the email before `@`). The email itself is never shown.
    pub name: Option<String>,
}

/// The new account, and its first API token (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateAccountResponse {
    /// The login, as the hub spells it (lower case).
    pub email: String,
    /// The display name.
    pub name: String,
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
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    )
)]
pub async fn create_account(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<CreateAccountRequest>,
) -> Result<(StatusCode, Json<CreateAccountResponse>), ApiError> {
    state.limits.check(Action::SignUp, address, None)?;
    let (account, token) = state
        .hub(move |hub| {
            hub.accounts()
                .sign_up(&request.email, &request.password, request.name.as_deref())
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreateAccountResponse {
            email: account.email.to_string(),
            name: account.name,
            role: account.role.to_string(),
            token,
        }),
    ))
}

/// The calling account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountResponse {
    /// The login (shown only to its owner).
    pub email: String,
    /// The display name.
    pub name: String,
    /// `member`, `moderator` or `admin`.
    pub role: String,
    /// A banned account may read and do nothing else.
    pub banned: bool,
}

impl From<&paperhub_app::Account> for AccountResponse {
    fn from(account: &paperhub_app::Account) -> Self {
        AccountResponse {
            email: account.email.to_string(),
            name: account.name.clone(),
            role: account.role.to_string(),
            banned: account.banned,
        }
    }
}

/// The account the bearer token acts for.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/me",
    tag = "accounts",
    responses(
        (status = 200, description = "The account", body = AccountResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn get_account(member: Member) -> Json<AccountResponse> {
    Json(AccountResponse::from(&member.0))
}

/// A change of display name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    /// The new display name, 1 to 40 characters.
    pub name: String,
}

/// Changes the calling account's display name.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/me",
    tag = "accounts",
    request_body = UpdateAccountRequest,
    responses(
        (status = 200, description = "The account", body = AccountResponse),
        (status = 400, description = "A name out of bounds (`invalid_parameter`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn update_account(
    State(state): State<AppState>,
    member: Member,
    ApiJson(request): ApiJson<UpdateAccountRequest>,
) -> Result<Json<AccountResponse>, ApiError> {
    let account = state
        .hub(move |hub| hub.accounts().rename(&member.0, &request.name))
        .await?;
    Ok(Json(AccountResponse::from(&account)))
}

/// The confirmation of an account's deletion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's password.
    pub password: String,
}

/// Deletes the calling account: its votes, tokens and comments go; its submissions stay,
/// shown as from a deleted account.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/me",
    tag = "accounts",
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 403, description = "Not the account's password (`forbidden`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn delete_account(
    State(state): State<AppState>,
    member: Member,
    ApiJson(request): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.accounts().delete_account(&member.0, &request.password))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
