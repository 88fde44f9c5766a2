//! Who is asking: the JSON API's bearer tokens (`Authorization: Bearer TOKEN`). Tokens are
//! issued by sign-up and by `paperhub user token EMAIL`, and checked by the hub against their
//! stored hash. No cookie is involved, so the API needs no CSRF token.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use paperhub_app::Account;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The account a request's bearer token acts for; a request without a valid one is refused
/// `401 unauthorized`.
pub struct Member(pub Account);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "this needs an account: send `Authorization: Bearer TOKEN` (a token comes \
                     with sign-up, POST /api/v1/accounts)",
                )
            })?;
        state
            .hub(move |hub| hub.accounts().account_for_token(&token))
            .await?
            .map(Member)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "the bearer token is not valid (revoked, or never issued)",
                )
            })
    }
}
