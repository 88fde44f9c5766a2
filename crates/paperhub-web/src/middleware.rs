//! The layers around every route, outermost first: request logs, metrics, the request
//! timeout, security headers, compression, ETags and the body-size limit.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{Method, StatusCode};
use std::time::Duration;

use axum::extract::State;
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sha2::{Digest, Sha256};
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::ServerConfig;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// No inline script or style, nothing from elsewhere, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Largest response an ETag is computed for; larger ones are sent without.
const ETAG_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The span of a request: its method and path, never its query (subscription links carry
/// their token there) and never a private feed's token.
fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %logged_path(request.uri().path()),
        version = ?request.version(),
    )
}

/// `path` with the secret of a private feed URL (`/feeds/private/{token}/…`) left out.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    const PRIVATE: &str = "/feeds/private/";
    match path.strip_prefix(PRIVATE) {
        Some(rest) => {
            let after = rest.find('/').map_or("", |at| &rest[at..]);
            format!("{PRIVATE}…{after}").into()
        }
        None => path.into(),
    }
}

/// Wraps every route of `router` in the layers.
pub fn apply(router: Router, state: AppState, config: &ServerConfig) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(from_fn_with_state(state, crate::metrics::track))
            .layer(from_fn_with_state(config.request_timeout, timeout))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(CompressionLayer::new())
            .layer(from_fn(etag))
            // The limits are `body_limit`'s, per route: axum's own default (2 MB, applied by
            // its body extractors) would refuse imports the hub takes (up to 4 MiB).
            .layer(axum::extract::DefaultBodyLimit::disable())
            .layer(from_fn_with_state(
                BodyLimits {
                    default: config.max_body_bytes,
                    import: paperhub_app::MAX_IMPORT_BYTES + 64 * 1024,
                },
                body_limit,
            )),
    )
}

/// The largest request bodies taken: one for every route, a larger one for imports of a
/// reference manager's file.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Every route but imports (`server.max_body_bytes`).
    pub default: usize,
    /// `POST /api/v1/library/tags/{tag}/import` and the import form (`POST /library/import`).
    pub import: usize,
}

/// Whether `path` takes a reference manager's file.
fn is_import(path: &str) -> bool {
    path == "/library/import"
        || (path.starts_with("/api/v1/library/tags/") && path.ends_with("/import"))
}

/// Refuses a body over the route's limit with 413 `payload_too_large`: at once when its
/// `Content-Length` says so, when the limit is reached while reading it otherwise.
pub async fn body_limit(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let limit = if is_import(request.uri().path()) {
        limits.import
    } else {
        limits.default
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than this route's limit of {limit} bytes"),
        )
        .into_response();
    }
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Answers 408 `request_timeout` (the error object under `/api/`, a page elsewhere) when a
/// request takes longer than `limit`. Work already handed to the blocking pool runs to its
/// end; only its answer is dropped.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let error = ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "the request took longer than the server's limit of {} s",
                    limit.as_secs_f64()
                ),
            );
            tracing::warn!(limit_s = limit.as_secs_f64(), "request timed out");
            if api {
                error.into_response()
            } else {
                crate::pages::error_page(error)
            }
        }
    }
}

/// Gives successful GET responses a weak ETag (a hash of the uncompressed body) and answers
/// 304 Not Modified when the request's `If-None-Match` holds it.
pub async fn etag(request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let skip = matches!(request.uri().path(), "/metrics" | "/healthz");
    let response = next.run(request).await;
    if skip || response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, ETAG_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "reading a response body for its ETag");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let digest = Sha256::digest(&bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let tag = format!("W/\"{hex}\"");
    let tag_value = HeaderValue::from_str(&tag).expect("invariant: hex is a valid header");
    let matches = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                let t = t.trim();
                t == "*" || t.trim_start_matches("W/") == tag.trim_start_matches("W/")
            })
        });
    parts.headers.insert(header::ETAG, tag_value);
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::{logged_path, timeout};

    #[test]
    fn a_private_feeds_token_is_never_logged() {
        assert_eq!(
            logged_path("/feeds/private/pf_secret/tags/vision.atom"),
            "/feeds/private/…/tags/vision.atom"
        );
        assert_eq!(logged_path("/feeds/private/pf_secret"), "/feeds/private/…");
        assert_eq!(logged_path("/papers/2506.00001"), "/papers/2506.00001");
    }

    /// A route that never answers, behind the timeout of `limit`.
    fn never_answers(limit: Duration) -> Router {
        Router::new()
            .route("/api/v1/slow", get(std::future::pending::<&'static str>))
            .route("/slow", get(std::future::pending::<&'static str>))
            .route("/fast", get(|| async { "done" }))
            .layer(from_fn_with_state(limit, timeout))
    }

    async fn get_path(router: Router, path: &str) -> (StatusCode, String) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_request_past_the_limit_is_answered_408_with_the_error_object() {
        let router = never_answers(Duration::from_millis(50));
        let (status, body) = get_path(router.clone(), "/api/v1/slow").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "request_timeout", "{body}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("0.05 s"),
            "{body}"
        );

        let (status, page) = get_path(router.clone(), "/slow").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
        assert!(
            page.contains("<html") && page.contains("limit of 0.05 s"),
            "{page}"
        );

        let (status, body) = get_path(router, "/fast").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "done"));
    }
}
