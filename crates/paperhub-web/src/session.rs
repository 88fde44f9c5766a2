//! Who is browsing: server-side sessions in cookies, and the CSRF token of every form.
//!
//! - The session cookie (`paperhub_session`) holds a random secret the hub made at log-in; the
//!   store keeps only its SHA-256, with the account and an expiry (`server.session_days`). A
//!   secret the hub did not make signs nobody in, so a session cannot be fixed by planting a
//!   cookie, and every log-in makes a new one. The cookie is HttpOnly, SameSite=Lax, and
//!   Secure when the public URL is https.
//! - Every page visitor gets a CSRF cookie (`paperhub_csrf`, random, HttpOnly, SameSite=Lax);
//!   every form carries the same value in a hidden `csrf` field, and a state-changing POST
//!   whose field does not match is refused 403 (the double-submit pattern: another site can
//!   make a browser send the cookie, but cannot read it to fill the field). The token changes
//!   at log-in and log-out.
//! - The JSON API uses bearer tokens instead ([`crate::auth`]), which a browser never sends on
//!   its own, so it needs no CSRF token.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CACHE_CONTROL, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use cookie::{Cookie, SameSite};
use paperhub_app::Account;
use rand::RngCore as _;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "paperhub_session";
/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "paperhub_csrf";

/// The CSRF token of this request (the cookie's, or a new one the response sets).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// 32 random bytes in hex.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of cookie `name` in the request.
fn cookie_value(parts_headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    parts_headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// A cookie of the hub's: HttpOnly, SameSite=Lax, for the whole site, Secure over https.
fn cookie(state: &AppState, name: &'static str, value: String, max_age_secs: i64) -> HeaderValue {
    let cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("invariant: cookie values are hex")
}

/// The `Set-Cookie` that signs a browser in with session `secret`.
pub fn session_cookie(state: &AppState, secret: String) -> HeaderValue {
    cookie(
        state,
        SESSION_COOKIE,
        secret,
        state.session_lifetime.num_seconds(),
    )
}

/// The `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    cookie(state, SESSION_COOKIE, String::new(), 0)
}

/// The `Set-Cookie` of a fresh CSRF token (the token is returned too).
pub fn fresh_csrf_cookie(state: &AppState) -> (String, HeaderValue) {
    let token = random_token();
    // A year: the token is not a credential, only a value forms must echo.
    let header = cookie(state, CSRF_COOKIE, token.clone(), 365 * 86_400);
    (token, header)
}

/// Gives every page request a CSRF token (setting the cookie when the browser has none) and
/// marks pages as private to the browser: they show who is signed in, and the forms' token.
pub async fn csrf_cookie(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let page = !["/api/", "/static/", "/feeds/", "/healthz", "/metrics"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    if !page {
        return next.run(request).await;
    }
    let (token, set) = match cookie_value(request.headers(), CSRF_COOKIE) {
        Some(token) => (token, None),
        None => {
            let (token, header) = fresh_csrf_cookie(&state);
            (token, Some(header))
        }
    };
    request.extensions_mut().insert(CsrfToken(token));
    let mut response = next.run(request).await;
    if let Some(header) = set {
        // A handler that rotated the token (log-in, log-out) has set its own.
        let rotated = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .any(|v| v.as_bytes().starts_with(CSRF_COOKIE.as_bytes()));
        if !rotated {
            response.headers_mut().append(SET_COOKIE, header);
        }
    }
    response
        .headers_mut()
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-cache"));
    response
}

/// The visitor of a page: the signed-in account (if any), the session's secret and the CSRF
/// token the page's forms carry.
pub struct Visitor {
    pub account: Option<Account>,
    pub session: Option<String>,
    pub csrf: String,
}

impl Visitor {
    /// The signed-in member's display name, for the page header.
    pub fn name(&self) -> Option<String> {
        self.account.as_ref().map(|a| a.name.clone())
    }

    /// Refuses (403) a form whose CSRF field does not match this visitor's token.
    pub fn check_csrf(&self, field: &str) -> Result<(), ApiError> {
        let expected = self.csrf.as_bytes();
        let given = field.as_bytes();
        // Constant time over the token's length: the comparison tells nothing by its speed.
        let same = expected.len() == given.len()
            && expected
                .iter()
                .zip(given)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if expected.is_empty() || !same {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "this form's security token is missing or out of date (CSRF check): reload \
                 the page and send it again",
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let session = cookie_value(&parts.headers, SESSION_COOKIE);
        let account = match session.clone() {
            Some(secret) => {
                state
                    .hub(move |hub| hub.accounts().account_for_session(&secret))
                    .await?
            }
            None => None,
        };
        Ok(Visitor {
            session: account.as_ref().and(session),
            account,
            csrf,
        })
    }
}
