//! Errors at the HTTP edge.
//!
//! Policy: handlers return [`ApiError`]. Each variant has one stable snake_case [`ErrorCode`]
//! and one status, both from [`ApiError::code`], so clients and tests can match on
//! `"code": "paper_not_found"`. API responses carry `{"error": {"code", "message"}}`; pages
//! render the same error as HTML. A 5xx logs its cause chain and tells the client only that
//! something failed. Errors from the hub are mapped here and nowhere else.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use paperhub_app::HubError;
use serde::Serialize;
use utoipa::ToSchema;

/// Stable error codes, one per kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No paper has that id.
    PaperNotFound,
    /// No such route.
    RouteNotFound,
    /// What the request names (an account, a token) does not exist.
    NotFound,
    /// A query parameter is malformed.
    InvalidParameter,
    /// `limit` or `offset` is out of range.
    LimitOutOfRange,
    /// The search query cannot be run.
    InvalidQuery,
    /// Search by meaning was asked for, but the embedding model is not installed.
    ModelNotInstalled,
    /// The request took longer than the server's request timeout.
    RequestTimeout,
    /// A write clashed with what is stored.
    Conflict,
    /// The request needs a valid `Authorization: Bearer TOKEN`.
    Unauthorized,
    /// The account may not do this (banned, or not its own).
    Forbidden,
    /// The database cannot be reached now; try again.
    Unavailable,
    /// A service the hub asked (the arXiv API) failed, was too slow or answered garbage.
    UpstreamFailed,
    /// Too many requests of one kind from one address or account: wait `Retry-After` seconds.
    RateLimited,
    /// The request's body is larger than the route takes.
    PayloadTooLarge,
    /// The server failed.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        self.table().0
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        self.table().1
    }

    /// The one table of codes and statuses.
    fn table(self) -> (&'static str, StatusCode) {
        match self {
            ErrorCode::PaperNotFound => ("paper_not_found", StatusCode::NOT_FOUND),
            ErrorCode::RouteNotFound => ("route_not_found", StatusCode::NOT_FOUND),
            ErrorCode::NotFound => ("not_found", StatusCode::NOT_FOUND),
            ErrorCode::InvalidParameter => ("invalid_parameter", StatusCode::BAD_REQUEST),
            ErrorCode::LimitOutOfRange => ("limit_out_of_range", StatusCode::BAD_REQUEST),
            ErrorCode::InvalidQuery => ("invalid_query", StatusCode::BAD_REQUEST),
            ErrorCode::ModelNotInstalled => ("model_not_installed", StatusCode::BAD_REQUEST),
            ErrorCode::RequestTimeout => ("request_timeout", StatusCode::REQUEST_TIMEOUT),
            ErrorCode::Conflict => ("conflict", StatusCode::CONFLICT),
            ErrorCode::Unauthorized => ("unauthorized", StatusCode::UNAUTHORIZED),
            ErrorCode::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
            ErrorCode::Unavailable => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            ErrorCode::UpstreamFailed => ("upstream_failed", StatusCode::BAD_GATEWAY),
            ErrorCode::RateLimited => ("rate_limited", StatusCode::TOO_MANY_REQUESTS),
            ErrorCode::PayloadTooLarge => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            ErrorCode::Internal => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A client error with its code and a message for the client.
    #[error("{message}")]
    Client {
        /// The code.
        code: ErrorCode,
        /// What went wrong, for a person.
        message: String,
    },
    /// A rate limit was reached ([`crate::limits`]).
    #[error("{message}")]
    Limited {
        /// What was limited, and how long to wait.
        message: String,
        /// The `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// The server failed; the cause is logged, not shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A client error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Client {
            code,
            message: message.into(),
        }
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Client { code, .. } => *code,
            ApiError::Limited { .. } => ErrorCode::RateLimited,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The `Retry-After` header a refusal carries, if any.
    pub fn retry_after(&self) -> Option<(axum::http::HeaderName, axum::http::HeaderValue)> {
        match self {
            ApiError::Limited {
                retry_after_secs, ..
            } => Some((
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_secs),
            )),
            _ => None,
        }
    }

    /// What the client is told.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Client { message, .. } | ApiError::Limited { message, .. } => message.clone(),
            ApiError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
                "the server failed to answer; the cause is in its log".into()
            }
        }
    }
}

impl From<HubError> for ApiError {
    fn from(error: HubError) -> Self {
        match error {
            HubError::ModelMissing => ApiError::new(
                ErrorCode::ModelNotInstalled,
                "search by meaning needs the embedding model, which this hub has not installed \
                 (`paperhub model install`); keyword search works: mode=keyword",
            ),
            HubError::Invalid(message) => ApiError::new(ErrorCode::InvalidParameter, message),
            HubError::InvalidQuery(message) => ApiError::new(ErrorCode::InvalidQuery, message),
            HubError::OutOfRange(message) => ApiError::new(ErrorCode::LimitOutOfRange, message),
            HubError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            HubError::NotFound(message) => ApiError::new(ErrorCode::NotFound, message),
            HubError::Unauthorized(message) => ApiError::new(ErrorCode::Unauthorized, message),
            HubError::Forbidden(message) => ApiError::new(ErrorCode::Forbidden, message),
            // The arXiv API's address is the operator's setting, not a secret: the member is
            // told what failed, and that nothing was stored.
            HubError::Upstream(message) => ApiError::new(
                ErrorCode::UpstreamFailed,
                format!("{message}; nothing was stored, try again later"),
            ),
            // The cause (the database's address) is logged, not shown.
            error @ HubError::Unavailable(_) => {
                tracing::error!(error = %error, "the database is unavailable");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the hub's database cannot be reached now; try again shortly",
                )
            }
            HubError::Search(paperhub_search::SearchError::InvalidQuery(message)) => {
                ApiError::new(ErrorCode::InvalidQuery, message)
            }
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// The JSON body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code.
    pub code: ErrorCode,
    /// Explanation for a person; its wording may change.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let retry_after = self.retry_after();
        let body = ErrorResponse {
            error: ErrorBody {
                code,
                message: self.public_message(),
            },
        };
        let mut response = (code.status(), Json(body)).into_response();
        if let Some((name, value)) = retry_after {
            response.headers_mut().insert(name, value);
        }
        if code == ErrorCode::Unauthorized {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"paperhub\""),
            );
        }
        response
    }
}

/// The answer for a route that does not exist: JSON under `/api/`, a page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    let error = ApiError::new(ErrorCode::RouteNotFound, format!("no route {}", uri.path()));
    if uri.path().starts_with("/api/") {
        error.into_response()
    } else {
        crate::pages::error_page(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_errors_map_to_codes_by_their_kind_and_a_failed_embedding_is_the_servers_fault() {
        assert_eq!(
            ApiError::from(HubError::ModelMissing).code(),
            ErrorCode::ModelNotInstalled
        );
        assert_eq!(
            ApiError::from(HubError::Embedding(
                "embedding the query: out of memory".into()
            ))
            .code(),
            ErrorCode::Internal
        );
        assert_eq!(
            ApiError::from(HubError::Invalid("bad".into())).code(),
            ErrorCode::InvalidParameter
        );
        assert_eq!(
            ApiError::from(HubError::from(paperhub_store::StoreError::Unavailable(
                "connection refused at postgres://db".into()
            )))
            .code()
            .status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ApiError::from(HubError::from(paperhub_store::StoreError::Conflict(
                "taken".into()
            )))
            .code(),
            ErrorCode::Conflict
        );
        assert_eq!(
            ApiError::from(HubError::OutOfRange("limit".into())).code(),
            ErrorCode::LimitOutOfRange
        );
        // A message that merely reads like the missing model is not taken for it.
        assert_eq!(
            ApiError::from(HubError::Invalid(paperhub_app::MODEL_MISSING.into())).code(),
            ErrorCode::InvalidParameter
        );
    }
}
