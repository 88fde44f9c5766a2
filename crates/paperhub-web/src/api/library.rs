//! `/api/v1/library/…`: a member's tags, thumbs-down marks, notes and seen marks, the
//! recommendations of each tag with their reasons, and import and export of reference files.
//!
//! Everything answers for the bearer's own library only: another member's tag is
//! `404 not_found`, exactly as a tag that does not exist.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use paperhub_app::{Label, Recommendation, MAX_RECOMMENDATIONS};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::types::PaperResponse;
use super::{ApiJson, ApiQuery};
use crate::auth::Member;
use crate::error::{ApiError, ErrorCode, ErrorResponse};
use crate::limits::{Action, ClientAddr};
use crate::state::AppState;

/// A tag of the member's.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagResponse {
    /// Its name.
    pub name: String,
    /// Papers saved to it.
    pub saved: u64,
    /// Papers given a thumbs-down in it.
    pub rejected: u64,
    /// When it was made.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The member's tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagsResponse {
    /// By name.
    pub tags: Vec<TagResponse>,
}

/// A paper in a tag.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaggedPaperResponse {
    /// The paper.
    #[serde(flatten)]
    pub paper: PaperResponse,
    /// `saved` or `rejected` (a thumbs-down).
    pub label: String,
    /// When it was saved or rejected.
    pub added_at: String,
}

/// A tag's papers.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagPapersResponse {
    /// The tag.
    pub tag: String,
    /// Saved papers first, then rejected ones; oldest first within each.
    pub papers: Vec<TaggedPaperResponse>,
}

/// What a save, a thumbs-down or a removal did.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelResponse {
    /// The tag.
    pub tag: String,
    /// The paper's hub id.
    pub id: String,
    /// `saved`, `rejected` or `removed`.
    pub label: String,
    /// Whether it changed anything.
    pub changed: bool,
}

/// A saved paper a recommendation is near.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearResponse {
    /// Its hub id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Cosine similarity of the two papers' embeddings.
    pub similarity: f32,
}

/// Why a paper is recommended.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhyResponse {
    /// The saved papers it is nearest to, nearest first.
    pub nearest: Vec<NearResponse>,
    /// Words it shares with them.
    pub terms: Vec<String>,
    /// Both, in a sentence (plain text).
    pub summary: String,
}

/// One recommendation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationResponse {
    /// The paper.
    #[serde(flatten)]
    pub paper: PaperResponse,
    /// Its score (higher first).
    pub score: f32,
    /// Why it is recommended.
    pub why: WhyResponse,
    /// Whether the member has seen it.
    pub seen: bool,
}

/// Recommendations.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationsResponse {
    /// The tag (`null`: all of the member's tags together).
    pub tag: Option<String>,
    /// Best first; never a paper in the tag.
    pub results: Vec<RecommendationResponse>,
}

/// Parameters of a recommendations request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationsQuery {
    /// How many (1 to 100; 10 by default).
    pub limit: Option<usize>,
    /// Leave out the papers the member has seen (`false` by default).
    pub hide_seen: Option<bool>,
}

/// Parameters of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `bibtex`, `csl-json` or `ris`.
    pub format: String,
}

impl ExportQuery {
    /// The format asked for, or `invalid_parameter`.
    pub(super) fn format(&self) -> Result<paperhub_cite::Format, ApiError> {
        self.format
            .parse()
            .map_err(|e: String| ApiError::new(ErrorCode::InvalidParameter, e))
    }
}

/// A note.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// Markdown-free plain text, up to 20,000 characters; empty removes the note.
    pub body: String,
}

/// The member's note on a paper.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteResponse {
    /// The paper's hub id.
    pub id: String,
    /// The note (`null`: none).
    pub body: Option<String>,
}

/// Papers to mark seen.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeenBody {
    /// Hub ids (unknown ones are skipped), at most 1,000.
    pub ids: Vec<String>,
}

fn tagged(paper: paperhub_app::TaggedPaper) -> TaggedPaperResponse {
    TaggedPaperResponse {
        paper: PaperResponse::from(&paper.paper),
        label: paper.label.into(),
        added_at: paper.added_at,
    }
}

fn recommendation(r: Recommendation) -> RecommendationResponse {
    RecommendationResponse {
        paper: PaperResponse::from(&r.paper),
        score: r.score,
        seen: r.seen,
        why: WhyResponse {
            nearest: r
                .why
                .nearest
                .into_iter()
                .map(|n| NearResponse {
                    id: n.id.to_string(),
                    title: n.title,
                    similarity: n.similarity,
                })
                .collect(),
            terms: r.why.terms,
            summary: r.why.summary,
        },
    }
}

/// The member's tags.
#[utoipa::path(
    get,
    path = "/api/v1/library/tags",
    tag = "library",
    responses(
        (status = 200, description = "The tags, by name", body = TagsResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn list_tags(
    State(state): State<AppState>,
    member: Member,
) -> Result<Json<TagsResponse>, ApiError> {
    let tags = state.hub(move |hub| hub.library().tags(&member.0)).await?;
    Ok(Json(TagsResponse {
        tags: tags
            .into_iter()
            .map(|t| TagResponse {
                name: t.name,
                saved: t.saved,
                rejected: t.rejected,
                created_at: t.created_at,
            })
            .collect(),
    }))
}

/// A tag's papers.
#[utoipa::path(
    get,
    path = "/api/v1/library/tags/{tag}",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name")),
    responses(
        (status = 200, description = "The tag's papers", body = TagPapersResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn get_tag(
    State(state): State<AppState>,
    member: Member,
    Path(tag): Path<String>,
) -> Result<Json<TagPapersResponse>, ApiError> {
    let name = tag.clone();
    let papers = state
        .hub(move |hub| hub.library().papers(&member.0, &tag))
        .await?;
    Ok(Json(TagPapersResponse {
        tag: name,
        papers: papers.into_iter().map(tagged).collect(),
    }))
}

/// Deletes a tag and what it holds (the papers stay on the hub).
#[utoipa::path(
    delete,
    path = "/api/v1/library/tags/{tag}",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn delete_tag(
    State(state): State<AppState>,
    member: Member,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .hub(move |hub| hub.library().delete_tag(&member.0, &tag))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn label(
    state: AppState,
    address: std::net::IpAddr,
    member: Member,
    tag: String,
    id: String,
    label: Label,
) -> Result<Response, ApiError> {
    state
        .limits
        .check(Action::Library, address, Some(member.0.id))?;
    let outcome = state
        .hub(move |hub| hub.library().label(&member.0, &tag, &id, label))
        .await?;
    let status = if outcome.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(LabelResponse {
            tag: outcome.tag,
            id: outcome.id.to_string(),
            label: outcome.label.into(),
            changed: outcome.changed,
        }),
    )
        .into_response())
}

/// Saves a paper to a tag (making the tag if it is new; again: no change).
#[utoipa::path(
    put,
    path = "/api/v1/library/tags/{tag}/papers/{id}",
    tag = "library",
    params(
        ("tag" = String, Path, description = "The tag's name (1-64 characters, no `/`)"),
        ("id" = String, Path, description = "Hub id, arXiv id or source id"),
    ),
    responses(
        (status = 201, description = "Saved (or moved from rejected to saved)", body = LabelResponse),
        (status = 200, description = "It was saved already", body = LabelResponse),
        (status = 400, description = "A tag name that is not valid, or a tag full (`invalid_parameter`, `limit_out_of_range`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn save_paper(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path((tag, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    label(state, address, member, tag, id, Label::Saved).await
}

/// Takes a paper out of a tag, saved or rejected.
#[utoipa::path(
    delete,
    path = "/api/v1/library/tags/{tag}/papers/{id}",
    tag = "library",
    params(
        ("tag" = String, Path, description = "The tag's name"),
        ("id" = String, Path, description = "Hub id, arXiv id or source id"),
    ),
    responses(
        (status = 200, description = "Removed", body = LabelResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "No such paper, or not in the member's tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn remove_paper(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path((tag, id)): Path<(String, String)>,
) -> Result<Json<LabelResponse>, ApiError> {
    state
        .limits
        .check(Action::Library, address, Some(member.0.id))?;
    let name = tag.clone();
    let removed = state
        .hub(move |hub| hub.library().remove(&member.0, &tag, &id))
        .await?;
    Ok(Json(LabelResponse {
        tag: name,
        id: removed.to_string(),
        label: "removed".into(),
        changed: true,
    }))
}

/// A thumbs-down on a paper for a tag: a negative example for its recommendations, never
/// recommended for it again (until a reset). `DELETE …/papers/{id}` takes it back.
#[utoipa::path(
    put,
    path = "/api/v1/library/tags/{tag}/rejections/{id}",
    tag = "library",
    params(
        ("tag" = String, Path, description = "The tag's name"),
        ("id" = String, Path, description = "Hub id, arXiv id or source id"),
    ),
    responses(
        (status = 201, description = "Rejected", body = LabelResponse),
        (status = 200, description = "It was rejected already", body = LabelResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn reject_paper(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path((tag, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    label(state, address, member, tag, id, Label::Rejected).await
}

/// What a reset did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetResponse {
    /// The tag.
    pub tag: String,
    /// Thumbs-down marks forgotten.
    pub cleared: u64,
}

/// Forgets every thumbs-down of a tag: its recommendations learn from its saved papers only.
#[utoipa::path(
    post,
    path = "/api/v1/library/tags/{tag}/reset",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name")),
    responses(
        (status = 200, description = "Reset", body = ResetResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn reset_tag(
    State(state): State<AppState>,
    member: Member,
    Path(tag): Path<String>,
) -> Result<Json<ResetResponse>, ApiError> {
    let name = tag.clone();
    let cleared = state
        .hub(move |hub| hub.library().reset(&member.0, &tag))
        .await?;
    Ok(Json(ResetResponse { tag: name, cleared }))
}

async fn recommend(
    state: AppState,
    member: Member,
    tag: Option<String>,
    query: RecommendationsQuery,
) -> Result<Json<RecommendationsResponse>, ApiError> {
    let limit = query.limit.unwrap_or(10);
    if limit == 0 || limit > MAX_RECOMMENDATIONS {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            format!("limit must be 1 to {MAX_RECOMMENDATIONS}"),
        ));
    }
    let hide_seen = query.hide_seen.unwrap_or(false);
    let name = tag.clone();
    let found = state
        .search(move |hub| {
            hub.library()
                .recommendations(&member.0, tag.as_deref(), limit, hide_seen)
        })
        .await?;
    Ok(Json(RecommendationsResponse {
        tag: name,
        results: found.into_iter().map(recommendation).collect(),
    }))
}

/// Recommendations for a tag, each with why: the saved papers it is nearest to and the words
/// it shares with them. Never a paper in the tag; never one rejected in it.
#[utoipa::path(
    get,
    path = "/api/v1/library/tags/{tag}/recommendations",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name"), RecommendationsQuery),
    responses(
        (status = 200, description = "Best first", body = RecommendationsResponse),
        (status = 400, description = "A limit out of range, or no embedding model (`limit_out_of_range`, `model_not_installed`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn tag_recommendations(
    State(state): State<AppState>,
    member: Member,
    Path(tag): Path<String>,
    ApiQuery(query): ApiQuery<RecommendationsQuery>,
) -> Result<Json<RecommendationsResponse>, ApiError> {
    recommend(state, member, Some(tag), query).await
}

/// Recommendations for all of the member's tags together (the member's picks).
#[utoipa::path(
    get,
    path = "/api/v1/library/recommendations",
    tag = "library",
    params(RecommendationsQuery),
    responses(
        (status = 200, description = "Best first", body = RecommendationsResponse),
        (status = 400, description = "A limit out of range, or no embedding model (`limit_out_of_range`, `model_not_installed`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn all_recommendations(
    State(state): State<AppState>,
    member: Member,
    ApiQuery(query): ApiQuery<RecommendationsQuery>,
) -> Result<Json<RecommendationsResponse>, ApiError> {
    recommend(state, member, None, query).await
}

/// A tag's saved papers as a reference manager's file, with arXiv ids and URLs.
#[utoipa::path(
    get,
    path = "/api/v1/library/tags/{tag}/export",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name"), ExportQuery),
    responses(
        (status = 200, description = "The file (`application/x-bibtex`, CSL-JSON or RIS)", body = String),
        (status = 400, description = "An unknown format (`invalid_parameter`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "The member has no such tag (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn export_tag(
    State(state): State<AppState>,
    headers: HeaderMap,
    member: Member,
    Path(tag): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format()?;
    let base = state.base_url(&headers);
    let name = tag.clone();
    let text = state
        .hub(move |hub| hub.library().export(&member.0, &tag, format, &base))
        .await?;
    Ok(reference_file(&name, format, text))
}

/// A reference manager's file as a download named after `name`.
pub(crate) fn reference_file(name: &str, format: paperhub_cite::Format, text: String) -> Response {
    let file_name = format!(
        "{}.{}",
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            })
            .collect::<String>(),
        format.extension()
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response()
}

/// An entry of an imported file, matched to a hub paper.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchedResponse {
    /// Where it is in the file (`line 12`, `item 3`).
    pub at: String,
    /// Its citation key or id.
    pub key: Option<String>,
    /// The hub paper.
    pub id: String,
    /// `arxiv_id`, `doi` or `title`.
    pub by: String,
}

/// An entry of an imported file that was not imported.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedResponse {
    /// Where it is in the file (`line 12`, `item 3`).
    pub at: String,
    /// Its citation key or id, when it could be read.
    pub key: Option<String>,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// The tag.
    pub tag: String,
    /// Entries in the file.
    pub entries: usize,
    /// Papers newly saved to the tag.
    pub added: u64,
    /// The entries matched to hub papers, in file order.
    pub matched: Vec<MatchedResponse>,
    /// The entries not imported, in file order.
    pub unmatched: Vec<UnmatchedResponse>,
}

/// Imports a BibTeX or CSL-JSON file (the body, as Zotero and most reference managers export
/// it) into a tag: entries matched to hub papers by arXiv id, DOI or title are saved, all in
/// one transaction; the others are reported with their line (BibTeX) or index (CSL-JSON).
#[utoipa::path(
    post,
    path = "/api/v1/library/tags/{tag}/import",
    tag = "library",
    params(("tag" = String, Path, description = "The tag's name (made if new)")),
    request_body(content = String, description = "A BibTeX or CSL-JSON file, at most 4 MiB and 5,000 entries", content_type = "text/plain"),
    responses(
        (status = 200, description = "What was imported and what was not", body = ImportResponse),
        (status = 400, description = "Not BibTeX or CSL-JSON, or too many entries (`invalid_parameter`, `limit_out_of_range`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 413, description = "A file over 4 MiB (`payload_too_large`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn import_tag(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(tag): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ImportResponse>, ApiError> {
    state
        .limits
        .check(Action::Import, address, Some(member.0.id))?;
    let text = String::from_utf8(body.to_vec()).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "the file is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let report = state
        .hub(move |hub| hub.library().import(&member.0, &tag, &text))
        .await?;
    Ok(Json(ImportResponse {
        tag: report.tag,
        entries: report.entries,
        added: report.added,
        matched: report
            .matched
            .into_iter()
            .map(|m| MatchedResponse {
                at: m.at,
                key: m.key,
                id: m.id.to_string(),
                by: m.by.into(),
            })
            .collect(),
        unmatched: report
            .unmatched
            .into_iter()
            .map(|u| UnmatchedResponse {
                at: u.at,
                key: u.key,
                reason: u.reason,
            })
            .collect(),
    }))
}

/// The member's private note on a paper.
#[utoipa::path(
    get,
    path = "/api/v1/library/papers/{id}/note",
    tag = "library",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    responses(
        (status = 200, description = "The note (`body` null: none)", body = NoteResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`not_found`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn get_note(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
) -> Result<Json<NoteResponse>, ApiError> {
    let paper = crate::api::find_paper(&state, id).await?;
    let paper_id = paper.id.to_string();
    let body = state
        .hub(move |hub| hub.library().note(&member.0, paper.id.as_str()))
        .await?;
    Ok(Json(NoteResponse { id: paper_id, body }))
}

/// Sets the member's private note on a paper (an empty body removes it).
#[utoipa::path(
    put,
    path = "/api/v1/library/papers/{id}/note",
    tag = "library",
    params(("id" = String, Path, description = "Hub id, arXiv id or source id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The note now", body = NoteResponse),
        (status = 400, description = "A note too long (`invalid_parameter`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
        (status = 404, description = "No such paper (`not_found`)", body = ErrorResponse),
        (status = 429, description = "A rate limit was reached (`rate_limited`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn put_note(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    member: Member,
    Path(id): Path<String>,
    ApiJson(note): ApiJson<NoteBody>,
) -> Result<Json<NoteResponse>, ApiError> {
    state
        .limits
        .check(Action::Library, address, Some(member.0.id))?;
    let paper = crate::api::find_paper(&state, id).await?;
    let paper_id = paper.id.to_string();
    let body = state
        .hub(move |hub| {
            hub.library()
                .set_note(&member.0, paper.id.as_str(), &note.body)
        })
        .await?;
    Ok(Json(NoteResponse { id: paper_id, body }))
}

/// Marks papers seen (a list can then hide them: `hide_seen=true`).
#[utoipa::path(
    post,
    path = "/api/v1/library/seen",
    tag = "library",
    request_body = SeenBody,
    responses(
        (status = 204, description = "Marked"),
        (status = 400, description = "More than 1,000 ids (`limit_out_of_range`)", body = ErrorResponse),
        (status = 401, description = "No valid bearer token (`unauthorized`)", body = ErrorResponse),
    ),
    security(("bearer" = []))
)]
pub async fn mark_seen(
    State(state): State<AppState>,
    member: Member,
    ApiJson(seen): ApiJson<SeenBody>,
) -> Result<StatusCode, ApiError> {
    if seen.ids.len() > 1_000 {
        return Err(ApiError::new(
            ErrorCode::LimitOutOfRange,
            "at most 1,000 ids at a time",
        ));
    }
    state
        .hub(move |hub| {
            let ids: Vec<paperhub_core::PaperId> = seen
                .ids
                .iter()
                .filter_map(|id| paperhub_core::PaperId::parse(id))
                .collect();
            let refs: Vec<&paperhub_core::PaperId> = ids.iter().collect();
            hub.library().mark_seen(&member.0, &refs)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
