//! `/api/v1/library/searches/…`, `/api/v1/library/picks` and `/api/v1/library/feed-token`:
//! a member's saved searches (alerts), the picks of all tags and searches together, and the
//! secret of the member's private feeds (`/feeds/private/{token}/…`).
//!
//! As in the rest of the library, another member's saved search is `404 not_found`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use paperhub_app::SavedSearch;
use paperhub_app::{SearchRequest, MAX_LIMIT};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::library::{reference_file, ExportQuery};
use super::types::PaperResponse;
use super::{ApiJson, ApiQuery};
use crate::auth::Member;
use crate::error::{ApiError, ErrorCode, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::search::parse_mode;
use crate::state::AppState;

/// A search to save: its words, mode and filters, as `/api/v1/search` takes them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchBody {
    /// The query text (the search syntax: `"phrases"`, `+required`, `-excluded`,
    /// `author:`, `category:`, `date:FROM..UNTIL`), at most 1,000 characters.
    #[serde(default)]
    pub q: String,
    /// `keyword`, `semantic` or `hybrid` (absent: the hub's default).
    pub mode: Option<String>,
    /// Only papers with this author.
    pub author: Option<String>,
    /// Only papers in this category.
    pub category: Option<String>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
}

/// A saved search.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchResponse {
    /// Its name.
    pub name: String,
    /// The query text.
    pub q: String,
    /// Its mode (`null`: the hub's default).
    pub mode: Option<String>,
    /// Only papers with this author.
    pub author: Option<String>,
    /// Only papers in this category.
    pub category: Option<String>,
    /// Only papers listed on or after this day.
    pub from: Option<NaiveDate>,
    /// Only papers listed on or before this day.
    pub until: Option<NaiveDate>,
    /// When it was first saved.
    pub created_at: DateTime<Utc>,
}

impl From<SavedSearch> for SavedSearchResponse {
    fn from(s: SavedSearch) -> Self {
        SavedSearchResponse {
            name: s.name,
            q: s.q,
            mode: s.mode,
            author: s.author,
            category: s.category,
            from: s.from,
            until: s.until,
            created_at: s.created_at,
        }
    }
}

/// The member's saved searches.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedSearchesResponse {
    /// By name.
    pub searches: Vec<SavedSearchResponse>,
}

/// A paper a saved search finds.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertPaperResponse {
    /// The paper.
    #[serde(flatten)]
    pub paper: PaperResponse,
    /// Whether the member has seen it.
    pub seen: bool,
}

/// What a saved search finds now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertResultsResponse {
    /// The search.
    pub search: SavedSearchResponse,
    /// The mode it ran in.
    pub mode: String,
    /// Best first.
    pub results: Vec<AlertPaperResponse>,
}

/// One of the member's picks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PickResponse {
    /// The paper.
    #[serde(flatten)]
    pub paper: PaperResponse,
    /// Why it is picked (plain text).
    pub why: String,
    /// Whether the member has seen it.
    pub seen: bool,
}

/// The member's picks.
#[derive(Debug, Serialize, ToSchema)]
pub struct PicksResponse {
    /// Recommendations of all tags and the finds of each saved search, taken in turn.
    pub results: Vec<PickResponse>,
}

/// Parameters of a list of papers for the member.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PicksQuery {
    /// How many (1 to 100; 10 by default).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Leave out the papers the member has seen (`false` by default).
    pub hide_seen: Option<bool>,
}

impl PicksQuery {
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit.unwrap_or(10) {
            limit @ 1..=MAX_LIMIT => Ok(limit),
            _ => Err(ApiError::new(
                ErrorCode::LimitOutOfRange,
                format!("limit must be 1 to {MAX_LIMIT}"),
            )),
        }
    }
}

/// A new private feed token and the feeds it opens.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenResponse {
    /// The secret: shown this once, kept by the hub only as its hash. A new one revokes it.
    pub token: String,
    /// The member's picks as Atom.
    pub picks_atom: String,
    /// The member's picks as RSS.
    pub picks_rss: String,
    /// A tag's recommendations: put the tag's name (URL-encoded) for `{tag}`; `.rss` for RSS.
    pub tag_atom: String,
    /// A saved search's finds: put its name (URL-encoded) for `{name}`; `.rss` for RSS.
    pub search_atom: String,
}

/// Whether the member has a private feed token.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedTokenStatus {
    /// When the current token was made (`null`: none; feeds are closed).
    pub made_at: Option<DateTime<Utc>>,
}

/// The member's saved searches.
#[utoipa::path(
    get,
    path = "/api/v1/library/searches",
    tag = "library",
    responses(
        (status = 200, description = "By name", body = SavedSearchesResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn list_searches(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<SavedSearchesResponse>, ApiError> {
    let searches = state
        .hub(move |hub| hub.library().saved_searches(&member.0))
        .await?;
    Ok(Json(SavedSearchesResponse {
        searches: searches.into_iter().map(Into::into).collect(),
    }))
}

/// Saves a search by name (replacing one of that name): an alert whose new papers go into
/// the member's digest and its own private feed.
#[utoipa::path(
    put,
    path = "/api/v1/library/searches/{name}",
    tag = "library",
    params(("name" = String, Path, description = "The search's name (1-64 characters, no `/`)")),
    request_body = SavedSearchBody,
    responses(
        (status = 200, description = "Saved", body = SavedSearchResponse),
        (status = 400, description = "A name, query, mode or filter that is not valid, too many saved searches, or no model for a search by meaning (`invalid_parameter`, `invalid_query`, `limit_out_of_range`, `model_not_installed`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn save_search(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<SavedSearchBody>,
) -> Result<Json<SavedSearchResponse>, ApiError> {
    state
        .limits
        .check(Action::Library, address, Some(member.0.id))?;
    let request = SearchRequest {
        q: body.q,
        mode: parse_mode(body.mode.as_deref().unwrap_or(""))?,
        author: body.author,
        category: body.category,
        from: body.from,
        until: body.until,
        ..SearchRequest::default()
    };
    let saved = state
        .hub(move |hub| hub.library().save_search(&member.0, &name, &request))
        .await?;
    Ok(Json(saved.into()))
}

/// Deletes a saved search.
#[utoipa::path(
    delete,
    path = "/api/v1/library/searches/{name}",
    tag = "library",
    params(("name" = String, Path, description = "The search's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such saved search (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn delete_search(
    State(state): State<AppState>,
    member: Member,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.library().delete_saved_search(&member.0, &name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a saved search finds now, best first.
#[utoipa::path(
    get,
    path = "/api/v1/library/searches/{name}/results",
    tag = "library",
    params(("name" = String, Path, description = "The search's name"), PicksQuery),
    responses(
        (status = 200, description = "Best first", body = AlertResultsResponse),
        (status = 400, description = "A limit out of range (`limit_out_of_range`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such saved search (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn search_results(
    State(state): State<AppState>,
    member: Member,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<PicksQuery>,
) -> Result<Json<AlertResultsResponse>, ApiError> {
    let limit = query.limit()?;
    let hide_seen = query.hide_seen.unwrap_or(false);
    let found = state
        .search(move |hub| {
            hub.library()
                .run_saved_search(&member.0, &name, limit, hide_seen)
        })
        .await?;
    Ok(Json(AlertResultsResponse {
        search: found.search.into(),
        mode: found.mode.as_str().into(),
        results: found
            .papers
            .into_iter()
            .map(|p| AlertPaperResponse {
                paper: PaperResponse::from(&p.paper),
                seen: p.seen,
            })
            .collect(),
    }))
}

/// What a saved search finds now (its best 100) as a reference manager's file.
#[utoipa::path(
    get,
    path = "/api/v1/library/searches/{name}/export",
    tag = "library",
    params(("name" = String, Path, description = "The search's name"), ExportQuery),
    responses(
        (status = 200, description = "The file (`application/x-bibtex`, CSL-JSON or RIS)", body = String),
        (status = 400, description = "An unknown format (`invalid_parameter`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such saved search (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn export_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format()?;
    let base = state.base_url(&headers);
    let file = name.clone();
    let text = state
        .search(move |hub| hub.library().export_search(&member.0, &name, format, &base))
        .await?;
    Ok(reference_file(&file, format, text))
}

/// The member's picks: the recommendations of all tags and the finds of each saved search,
/// taken in turn, each with why.
#[utoipa::path(
    get,
    path = "/api/v1/library/picks",
    tag = "library",
    params(PicksQuery),
    responses(
        (status = 200, description = "The picks", body = PicksResponse),
        (status = 400, description = "A limit out of range (`limit_out_of_range`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn picks(
    State(state): State<AppState>,
    member: Member,
    ApiQuery(query): ApiQuery<PicksQuery>,
) -> Result<Json<PicksResponse>, ApiError> {
    let limit = query.limit()?;
    let hide_seen = query.hide_seen.unwrap_or(false);
    let found = state
        .search(move |hub| hub.library().picks(&member.0, limit, hide_seen))
        .await?;
    Ok(Json(PicksResponse {
        results: found
            .into_iter()
            .map(|p| PickResponse {
                paper: PaperResponse::from(&p.paper),
                why: p.why,
                seen: p.seen,
            })
            .collect(),
    }))
}

/// Whether the member's private feeds are open, and since when.
#[utoipa::path(
    get,
    path = "/api/v1/library/feed-token",
    tag = "library",
    responses(
        (status = 200, description = "When the token was made", body = FeedTokenStatus),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn feed_token_status(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<FeedTokenStatus>, ApiError> {
    let made_at = state
        .hub(move |hub| hub.library().feed_token_made(&member.0))
        .await?;
    Ok(Json(FeedTokenStatus { made_at }))
}

/// Makes a new private feed token (the one before stops working at once) and answers the
/// feed URLs it opens. The token is shown this once.
#[utoipa::path(
    post,
    path = "/api/v1/library/feed-token",
    tag = "library",
    responses(
        (status = 201, description = "The token and its feeds", body = FeedTokenResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn new_feed_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientAddr(address): ClientAddr,
    member: Member,
) -> Result<Response, ApiError> {
    state
        .limits
        .check(Action::Library, address, Some(member.0.id))?;
    let token = state
        .hub(move |hub| hub.library().new_feed_token(&member.0))
        .await?;
    let base = format!("{}/feeds/private/{token}", state.base_url(&headers));
    Ok((
        StatusCode::CREATED,
        Json(FeedTokenResponse {
            picks_atom: format!("{base}/picks.atom"),
            picks_rss: format!("{base}/picks.rss"),
            tag_atom: format!("{base}/tags/{{tag}}.atom"),
            search_atom: format!("{base}/searches/{{name}}.atom"),
            token,
        }),
    )
        .into_response())
}

/// Revokes the member's private feed token: every private feed URL answers 404.
#[utoipa::path(
    delete,
    path = "/api/v1/library/feed-token",
    tag = "library",
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_feed_token(
    State(state): State<AppState>,
    member: Member,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.library().revoke_feed_token(&member.0))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
