//! The JSON API under `/api/v1`, and its OpenAPI 3.1 document, generated from the handlers
//! (each route is registered together with its description, so none can be missing).

mod accounts;
mod alerts;
mod comments;
mod library;
mod papers;
mod search;
mod stats;
mod submissions;
mod subscriptions;
mod trending;
mod types;
mod votes;

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::Router;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorCode, ErrorResponse};
use crate::state::AppState;

pub(crate) use library::reference_file;
pub(crate) use papers::find as find_paper;
pub(crate) use types::{community, snippet_parts, SnippetPart};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "paperhub API",
        description = "Daily research papers, search by words and by meaning, similar papers. \
                       Errors are `{\"error\": {\"code\", \"message\"}}` with stable codes."
    ),
    components(schemas(ErrorResponse)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// The `bearer` security scheme the member routes name: `Authorization: Bearer TOKEN`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and its OpenAPI document.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(papers::list_papers))
        .routes(routes!(papers::get_paper))
        .routes(routes!(papers::similar_papers))
        .routes(routes!(search::search_papers))
        .routes(routes!(stats::get_stats))
        .routes(routes!(accounts::create_account))
        .routes(routes!(
            accounts::get_account,
            accounts::update_account,
            accounts::delete_account
        ))
        .routes(routes!(submissions::submit_paper))
        .routes(routes!(subscriptions::subscribe))
        .routes(routes!(trending::get_trending))
        .routes(routes!(comments::list_comments, comments::create_comment))
        .routes(routes!(comments::edit_comment, comments::delete_comment))
        .routes(routes!(comments::hide_comment, comments::restore_comment))
        .routes(routes!(votes::upvote_paper, votes::remove_vote))
        .routes(routes!(library::list_tags))
        .routes(routes!(library::get_tag, library::delete_tag))
        .routes(routes!(library::save_paper, library::remove_paper))
        .routes(routes!(library::reject_paper))
        .routes(routes!(library::reset_tag))
        .routes(routes!(library::tag_recommendations))
        .routes(routes!(library::all_recommendations))
        .routes(routes!(library::export_tag))
        .routes(routes!(library::import_tag))
        .routes(routes!(library::get_note, library::put_note))
        .routes(routes!(library::mark_seen))
        .routes(routes!(alerts::list_searches))
        .routes(routes!(alerts::save_search, alerts::delete_search))
        .routes(routes!(alerts::search_results))
        .routes(routes!(alerts::export_search))
        .routes(routes!(alerts::picks))
        .routes(routes!(
            alerts::feed_token_status,
            alerts::new_feed_token,
            alerts::revoke_feed_token
        ))
        .split_for_parts()
}

/// Query parameters whose parse errors become `invalid_parameter` API errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::new(ErrorCode::InvalidParameter, rejection.body_text()))
    }
}

/// A JSON body whose parse errors become `invalid_parameter` API errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(|rejection| ApiError::new(ErrorCode::InvalidParameter, rejection.body_text()))
    }
}
