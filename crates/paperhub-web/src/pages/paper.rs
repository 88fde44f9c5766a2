//! `GET /papers/{id}`: one paper, whole, with papers like it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{authors_line, long_day, paper_links, render, LinkView, PageError, PaperCard};
use paperhub_app::SimilarBy;

use crate::search::similar;
use crate::state::AppState;

/// Similar papers shown.
const SIMILAR: usize = 5;

#[derive(Template)]
#[template(path = "paper.html")]
struct PaperPage {
    q: String,
    page_title: String,
    id: String,
    title: String,
    authors: String,
    abstract_text: String,
    categories: Vec<String>,
    listed_on: String,
    published: String,
    updated: String,
    comments: String,
    journal_ref: String,
    links: Vec<LinkView>,
    similar_by_meaning: bool,
    similar: Vec<PaperCard>,
}

pub async fn show_paper(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let paper = crate::api::find_paper(&state, id).await?;
    let similar = similar(&state, &paper, SIMILAR).await?;
    let meta = &paper.meta;
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| long_day(t.date_naive())).unwrap_or_default()
    };
    let page = PaperPage {
        q: String::new(),
        page_title: meta.title.clone(),
        id: paper.id.to_string(),
        title: meta.title.clone(),
        authors: authors_line(&meta.authors, usize::MAX),
        abstract_text: meta.abstract_text.clone(),
        categories: meta.categories.clone(),
        listed_on: paper.listed_on.map(long_day).unwrap_or_default(),
        published: day(meta.published),
        updated: day(meta.updated),
        comments: meta.comments.clone().unwrap_or_default(),
        journal_ref: meta.journal_ref.clone().unwrap_or_default(),
        links: paper_links(&paper),
        similar_by_meaning: similar.by == SimilarBy::Semantic,
        similar: similar
            .hits
            .iter()
            .map(|h| PaperCard::new(&h.paper))
            .collect(),
    };
    Ok(render(&page, StatusCode::OK))
}
