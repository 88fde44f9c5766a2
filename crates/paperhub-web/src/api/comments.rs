//! Comments: `GET`, `POST /api/v1/papers/{id}/comments`; `PATCH`, `DELETE
//! /api/v1/comments/{id}`; `PUT`, `DELETE /api/v1/comments/{id}/hidden` (moderators).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use paperhub_app::CommentView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::auth::Member;
use crate::error::{ApiError, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentRequest {
    /// Markdown (a subset: emphasis, code, lists, quotes, http(s) links); raw HTML shows as text.
    pub body: String,
    /// The comment it answers, on the same paper.
    pub parent_id: Option<u64>,
}

/// A comment's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCommentRequest {
    /// Markdown.
    pub body: String,
}

/// A comment as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    /// Its number.
    pub id: u64,
    /// The comment it answers.
    pub parent_id: Option<u64>,
    /// Its author's display name, `null` once the account is gone.
    pub author: Option<String>,
    /// Its Markdown, `null` when hidden or deleted.
    pub body: Option<String>,
    /// Its Markdown as sanitised HTML, `null` when hidden or deleted.
    pub body_html: Option<String>,
    /// Hidden by a moderator.
    pub hidden: bool,
    /// Deleted by its author.
    pub deleted: bool,
    /// When it was written.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it was last edited.
    pub edited_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&CommentView> for CommentResponse {
    fn from(view: &CommentView) -> Self {
        let c = &view.comment;
        CommentResponse {
            id: c.id,
            parent_id: c.parent_id,
            author: c.author.clone(),
            body_html: view.body.as_deref().map(crate::markdown::render),
            body: view.body.clone(),
            hidden: c.hidden,
            deleted: c.deleted,
            created_at: c.created_at,
            edited_at: c.edited_at,
        }
    }
}

/// A paper's comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListCommentsResponse {
    /// Oldest first; a reply names its parent.
    pub comments: Vec<CommentResponse>,
}

/// The comments on a paper.
#[utoipa::path(
    get,
    path = "/api/v1/papers/{id}/comments",
    tag = "comments",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    responses(
        (status = 200, description = "The comments", body = ListCommentsResponse),
        (status = 404, description = "No such paper (`paper_not_found`)", body = ErrorResponse),
    )
)]
pub async fn list_comments(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ListCommentsResponse>, ApiError> {
    let paper = crate::api::find_paper(&state, id).await?;
    let views = state
        .hub(move |hub| hub.comments(paper.id.as_str()))
        .await?;
    Ok(Json(ListCommentsResponse {
        comments: views.iter().map(CommentResponse::from).collect(),
    }))
}

/// Comments on a paper (or answers a comment on it).
#[utoipa::path(
    post,
    path = "/api/v1/papers/{id}/comments",
    tag = "comments",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    request_body = CreateCommentRequest,
    responses(
        (status = 201, description = "The comment", body = CommentResponse),
        (status = 400, description = "Empty, too long, or a parent not on this paper", body = ErrorResponse),
        (status = 401, description = "No valid bearer token", body = ErrorResponse),
        (status = 403, description = "A banned account", body = ErrorResponse),
        (status = 404, description = "No such paper", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn create_comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CreateCommentRequest>,
) -> Result<(StatusCode, Json<CommentResponse>), ApiError> {
    state
        .limits
        .check(Action::Comment, address, Some(member.0.id))?;
    let paper = crate::api::find_paper(&state, id).await?;
    let comment = state
        .hub(move |hub| {
            hub.add_comment(
                &member.0,
                paper.id.as_str(),
                request.parent_id,
                &request.body,
            )
        })
        .await?;
    let view = CommentView {
        body: Some(comment.body.clone()),
        comment,
    };
    Ok((StatusCode::CREATED, Json(CommentResponse::from(&view))))
}

/// Edits one's own comment.
#[utoipa::path(
    patch,
    path = "/api/v1/comments/{id}",
    tag = "comments",
    params(("id" = u64, Path, description = "The comment's number")),
    request_body = EditCommentRequest,
    responses(
        (status = 200, description = "The comment", body = CommentResponse),
        (status = 403, description = "Not one's own (`forbidden`)", body = ErrorResponse),
        (status = 404, description = "No such comment (`not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`); `Retry-After` says when to try again", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn edit_comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(id): Path<u64>,
    ApiJson(request): ApiJson<EditCommentRequest>,
) -> Result<Json<CommentResponse>, ApiError> {
    state
        .limits
        .check(Action::Comment, address, Some(member.0.id))?;
    let comment = state
        .hub(move |hub| hub.edit_comment(&member.0, id, &request.body))
        .await?;
    let view = CommentView {
        body: Some(comment.body.clone()),
        comment,
    };
    Ok(Json(CommentResponse::from(&view)))
}

/// Deletes one's own comment.
#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}",
    tag = "comments",
    params(("id" = u64, Path, description = "The comment's number")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not one's own (`forbidden`)", body = ErrorResponse),
        (status = 404, description = "No such comment (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn delete_comment(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.delete_comment(&member.0, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hides a comment (moderators).
#[utoipa::path(
    put,
    path = "/api/v1/comments/{id}/hidden",
    tag = "comments",
    params(("id" = u64, Path, description = "The comment's number")),
    responses(
        (status = 204, description = "Hidden"),
        (status = 403, description = "Not a moderator (`forbidden`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn hide_comment(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.hide_comment(&member.0, id, true))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restores a hidden comment (moderators).
#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}/hidden",
    tag = "comments",
    params(("id" = u64, Path, description = "The comment's number")),
    responses(
        (status = 204, description = "Shown again"),
        (status = 403, description = "Not a moderator (`forbidden`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn restore_comment(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.hide_comment(&member.0, id, false))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
