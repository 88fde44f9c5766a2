//! The member's library as pages: `/library` (the tags, and picks across them) and
//! `/library/tags/{tag}` (a tag's papers, its recommendations with their reasons, thumbs-down
//! and reset, import of a reference manager's file and export to one).
//!
//! Every change is a form POST carrying the CSRF token ([`crate::session`]) and counting
//! against the library rate limits ([`crate::limits`]); the rules themselves (names, limits,
//! what a thumbs-down does) are the use-case layer's ([`paperhub_app::Library`]). A visitor
//! who is not signed in is sent to the log-in page.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use paperhub_app::{Account, ImportReport, Label, Recommendation, TagSummary};
use serde::Deserialize;

use super::account::see_other;
use super::{error_page, form_member, render, with_error, Chrome, PageError, PaperCard};
use crate::error::{ApiError, ErrorCode};
use crate::limits::{Action, ClientAddr};
use crate::links::{paper_path, tag_path};
use crate::session::Visitor;
use crate::state::AppState;

/// Recommendations a page shows.
const SHOWN: usize = 10;

/// A tag in the list of the member's tags.
pub struct TagItem {
    pub name: String,
    pub url: String,
    pub saved: u64,
    pub rejected: u64,
}

impl From<TagSummary> for TagItem {
    fn from(tag: TagSummary) -> Self {
        TagItem {
            url: tag_path(&tag.name),
            name: tag.name,
            saved: tag.saved,
            rejected: tag.rejected,
        }
    }
}

/// A saved paper a recommendation is near, as a link.
pub struct NearItem {
    pub title: String,
    pub url: String,
    pub similarity: String,
}

/// A recommended paper with why.
pub struct RecommendationItem {
    pub card: PaperCard,
    /// Its hub id (the forms' `id`).
    pub id: String,
    pub nearest: Vec<NearItem>,
    pub terms: Vec<String>,
    pub seen: bool,
}

/// A paper in a tag.
pub struct TaggedItem {
    pub card: PaperCard,
    pub id: String,
    pub added: String,
}

/// What an import did, as the page reports it.
pub struct ImportItem {
    pub entries: usize,
    pub added: u64,
    pub matched: usize,
    pub unmatched: Vec<(String, String)>,
}

impl From<ImportReport> for ImportItem {
    fn from(report: ImportReport) -> Self {
        ImportItem {
            entries: report.entries,
            added: report.added,
            matched: report.matched.len(),
            unmatched: report
                .unmatched
                .into_iter()
                .map(|u| {
                    let at = match u.key {
                        Some(key) => format!("{} ({key})", u.at),
                        None => u.at,
                    };
                    (at, u.reason)
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "library.html")]
struct LibraryPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    tags: Vec<TagItem>,
    picks: Vec<RecommendationItem>,
    /// Why there are no recommendations (no model), if so.
    picks_note: String,
    error: String,
}

#[derive(Template)]
#[template(path = "library_tag.html")]
struct TagPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    tag: String,
    url: String,
    saved: Vec<TaggedItem>,
    rejected: Vec<TaggedItem>,
    recommendations: Vec<RecommendationItem>,
    recommendations_note: String,
    imported: Option<ImportItem>,
    error: String,
}

/// Recommendations as the page lists them: a hub without the embedding model answers a note
/// instead of an error, so the rest of the page still works.
async fn recommendations(
    state: &AppState,
    account: &Account,
    tag: Option<String>,
) -> Result<(Vec<RecommendationItem>, String), ApiError> {
    let account = account.clone();
    let found = state
        .search(move |hub| {
            hub.library()
                .recommendations(&account, tag.as_deref(), SHOWN, false)
        })
        .await;
    let found: Vec<Recommendation> = match found {
        Ok(found) => found,
        Err(error) if error.code() == ErrorCode::ModelNotInstalled => {
            return Ok((
                Vec::new(),
                "Recommendations need the embedding model, which this hub has not installed \
                 (paperhub model install)."
                    .into(),
            ))
        }
        Err(error) => return Err(error),
    };
    let cards = super::cards(state, found.iter().map(|r| &r.paper)).await?;
    Ok((
        found
            .into_iter()
            .zip(cards)
            .map(|(r, card)| RecommendationItem {
                card,
                id: r.paper.id.to_string(),
                nearest: r
                    .why
                    .nearest
                    .into_iter()
                    .map(|n| NearItem {
                        url: paper_path(n.id.as_str()),
                        title: n.title,
                        similarity: format!("{:.2}", n.similarity),
                    })
                    .collect(),
                terms: r.why.terms,
                seen: r.seen,
            })
            .collect(),
        String::new(),
    ))
}

pub async fn show_library(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, PageError> {
    let Some(account) = visitor.account.clone() else {
        return Ok(see_other("/login", Vec::new()));
    };
    let page = library_page(&state, &visitor, &account, String::new()).await?;
    Ok(render(&page, StatusCode::OK))
}

async fn library_page(
    state: &AppState,
    visitor: &Visitor,
    account: &Account,
    error: String,
) -> Result<LibraryPage, ApiError> {
    let member = account.clone();
    let tags = state.hub(move |hub| hub.library().tags(&member)).await?;
    let (picks, picks_note) = if tags.iter().any(|t| t.saved > 0) {
        recommendations(state, account, None).await?
    } else {
        (Vec::new(), String::new())
    };
    Ok(LibraryPage {
        chrome: Chrome::from(visitor),
        q: String::new(),
        page_title: "Your library".into(),
        tags: tags.into_iter().map(TagItem::from).collect(),
        picks,
        picks_note,
        error,
    })
}

pub async fn show_tag(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(tag): Path<String>,
) -> Result<Response, PageError> {
    let Some(account) = visitor.account.clone() else {
        return Ok(see_other("/login", Vec::new()));
    };
    let page = tag_page(&state, &visitor, &account, tag, None, String::new()).await?;
    Ok(render(&page, StatusCode::OK))
}

async fn tag_page(
    state: &AppState,
    visitor: &Visitor,
    account: &Account,
    tag: String,
    imported: Option<ImportItem>,
    error: String,
) -> Result<TagPage, ApiError> {
    let (member, name) = (account.clone(), tag.clone());
    let papers = state
        .hub(move |hub| hub.library().papers(&member, &name))
        .await?;
    let cards = super::cards(state, papers.iter().map(|p| &p.paper)).await?;
    let (mut saved, mut rejected) = (Vec::new(), Vec::new());
    for (paper, card) in papers.into_iter().zip(cards) {
        let item = TaggedItem {
            card,
            id: paper.paper.id.to_string(),
            added: paper.added_at.get(..10).unwrap_or_default().to_owned(),
        };
        match paper.label {
            "rejected" => rejected.push(item),
            _ => saved.push(item),
        }
    }
    let (recommendations, recommendations_note) = if saved.is_empty() {
        (Vec::new(), String::new())
    } else {
        recommendations(state, account, Some(tag.clone())).await?
    };
    Ok(TagPage {
        chrome: Chrome::from(visitor),
        q: String::new(),
        page_title: format!("Tag: {tag}"),
        url: tag_path(&tag),
        tag,
        saved,
        rejected,
        recommendations,
        recommendations_note,
        imported,
        error,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LabelForm {
    csrf: String,
    /// The tag (made when a paper is saved to a new one).
    tag: String,
    /// The paper: hub id, arXiv id or source id.
    id: String,
    /// `save`, `reject` (a thumbs-down) or `remove`.
    action: String,
    /// Where to go after: `paper` (the paper's page) or the tag's page (anything else).
    back: String,
}

/// Saves a paper to a tag, gives it a thumbs-down there, or takes it out.
pub async fn label(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<LabelForm>,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Library, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let (tag, id) = (form.tag.clone(), form.id.clone());
    let done = match form.action.as_str() {
        "save" | "reject" => {
            let label = if form.action == "save" {
                Label::Saved
            } else {
                Label::Rejected
            };
            state
                .hub(move |hub| hub.library().label(&account, &tag, &id, label))
                .await
                .map(|done| (done.tag, done.id))
        }
        "remove" => {
            state
                .hub(move |hub| {
                    let id = hub.library().remove(&account, &tag, &id)?;
                    Ok((tag.trim().to_owned(), id))
                })
                .await
        }
        other => Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!("action `{other}` is not save, reject or remove"),
        )),
    };
    match done {
        Ok((_, id)) if form.back == "paper" => {
            see_other(&format!("{}#library", paper_path(id.as_str())), Vec::new())
        }
        Ok((tag, _)) => see_other(&tag_path(&tag), Vec::new()),
        Err(error) => error_page(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// Forgets a tag's thumbs-down marks.
pub async fn reset(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path(tag): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Library, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let name = tag.clone();
    match state
        .hub(move |hub| hub.library().reset(&account, &name))
        .await
    {
        Ok(_) => see_other(&tag_path(&tag), Vec::new()),
        Err(error) => error_page(error),
    }
}

/// Deletes a tag and what it holds (the papers stay on the hub).
pub async fn delete(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path(tag): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Library, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    match state
        .hub(move |hub| hub.library().delete_tag(&account, &tag))
        .await
    {
        Ok(()) => see_other("/library", Vec::new()),
        Err(error) => error_page(error),
    }
}

/// The fields of the import form (`multipart/form-data`).
#[derive(Default)]
struct ImportForm {
    csrf: String,
    tag: String,
    file: Option<Vec<u8>>,
}

async fn read_import(mut multipart: Multipart) -> Result<ImportForm, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        // A body over the import limit surfaces here, while reading it.
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, e.body_text())
        } else {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("the import form: {}", e.body_text()),
            )
        }
    };
    let mut form = ImportForm::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => form.csrf = field.text().await.map_err(bad)?,
            Some("tag") => form.tag = field.text().await.map_err(bad)?,
            Some("file") => form.file = Some(field.bytes().await.map_err(bad)?.to_vec()),
            _ => {}
        }
    }
    Ok(form)
}

/// Imports a BibTeX or CSL-JSON file into a tag, and shows the tag with what was imported
/// and what was not (each entry not imported with its line or index and why).
pub async fn import(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    multipart: Multipart,
) -> Response {
    let form = match read_import(multipart).await {
        Ok(form) => form,
        Err(error) => return error_page(error),
    };
    let account = match form_member(&state, &visitor, &form.csrf, Action::Import, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let file = form.file.unwrap_or_default();
    let imported = match String::from_utf8(file) {
        Ok(text) if text.trim().is_empty() => Err(ApiError::new(
            ErrorCode::InvalidParameter,
            "choose a BibTeX or CSL-JSON file to import",
        )),
        Ok(text) => {
            let (member, tag) = (account.clone(), form.tag.clone());
            state
                .hub(move |hub| hub.library().import(&member, &tag, &text))
                .await
        }
        Err(e) => Err(ApiError::new(
            ErrorCode::InvalidParameter,
            format!(
                "the file is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )),
    };
    match imported {
        Ok(report) => {
            let tag = report.tag.clone();
            match tag_page(
                &state,
                &visitor,
                &account,
                tag,
                Some(report.into()),
                String::new(),
            )
            .await
            {
                Ok(page) => render(&page, StatusCode::OK),
                Err(error) => error_page(error),
            }
        }
        // The file was refused and nothing was imported: the library's import form again,
        // saying why.
        Err(error) => {
            match library_page(&state, &visitor, &account, error.public_message()).await {
                Ok(page) => with_error(&page, &error),
                Err(error) => error_page(error),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    format: String,
}

/// A tag's saved papers as a reference manager's file (a download).
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    visitor: Visitor,
    Path(tag): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let Some(account) = visitor.account.clone() else {
        return see_other("/login", Vec::new());
    };
    let format: paperhub_cite::Format = match query.format.parse() {
        Ok(format) => format,
        Err(message) => return error_page(ApiError::new(ErrorCode::InvalidParameter, message)),
    };
    let base = state.base_url(&headers);
    let name = tag.clone();
    match state
        .hub(move |hub| hub.library().export(&account, &name, format, &base))
        .await
    {
        Ok(text) => crate::api::reference_file(&tag, format, text),
        Err(error) => error_page(error),
    }
}
