//! `GET /search`: results with highlighted snippets, the mode and filters, and pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::home::parse_page;
use super::{render, Chrome, PaperCard};
use crate::api::snippet_parts;
use crate::error::ApiError;
use crate::session::Visitor;
use paperhub_app::SearchRequest;

use crate::search::{parse_day, parse_mode};
use crate::state::AppState;

/// Results per page.
const PER_PAGE: usize = 20;

/// The search form's fields; all text, so an empty field is no filter.
#[derive(Debug, Default, Deserialize)]
pub struct SearchPageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    author: String,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    mode: String,
    from: String,
    until: String,
    category: String,
    author: String,
    has_model: bool,
    searched: bool,
    error: String,
    results: Vec<PaperCard>,
    first_rank: usize,
    previous_page: Option<String>,
    next_page: Option<String>,
    feed: String,
}

pub async fn search_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<SearchPageQuery>,
) -> Response {
    let mut page = SearchPage {
        chrome: Chrome::from(&visitor),
        page_title: if query.q.trim().is_empty() {
            "Search".into()
        } else {
            format!("Search: {}", query.q)
        },
        q: query.q.clone(),
        mode: query.mode.clone(),
        from: query.from.clone(),
        until: query.until.clone(),
        category: query.category.clone(),
        author: query.author.clone(),
        has_model: state.hub.has_semantic(),
        searched: false,
        error: String::new(),
        results: Vec::new(),
        first_rank: 1,
        previous_page: None,
        next_page: None,
        feed: format!(
            "/feeds/search.atom?q={}",
            crate::links::query_value(&query.q)
        ),
    };
    let any_filter = [&query.from, &query.until, &query.category, &query.author]
        .iter()
        .any(|f| !f.trim().is_empty());
    if query.q.trim().is_empty() && !any_filter {
        return render(&page, StatusCode::OK);
    }
    match run(&state, &query, &mut page).await {
        Ok(()) => render(&page, StatusCode::OK),
        Err(error) => {
            let status = error.code().status();
            page.error = error.public_message();
            render(&page, status)
        }
    }
}

async fn run(
    state: &AppState,
    query: &SearchPageQuery,
    page: &mut SearchPage,
) -> Result<(), ApiError> {
    let number = parse_page(query.page.as_deref())?;
    let offset = (number - 1) * PER_PAGE;
    let request = SearchRequest {
        q: query.q.clone(),
        mode: parse_mode(&query.mode)?,
        from: parse_day("from", Some(&query.from))?,
        until: parse_day("until", Some(&query.until))?,
        category: Some(query.category.clone()),
        author: Some(query.author.clone()),
        limit: Some(PER_PAGE),
        offset: Some(offset),
        snippets: true,
    };
    let outcome = crate::search::run(state, request).await?;
    page.searched = true;
    page.mode = outcome.mode.as_str().to_owned();
    page.first_rank = offset + 1;
    page.results = super::cards(state, outcome.hits.iter().map(|hit| &hit.paper)).await?;
    for (card, hit) in page.results.iter_mut().zip(&outcome.hits) {
        if let Some(snippet) = &hit.snippet {
            card.snippet = snippet_parts(snippet);
        }
    }
    let link = |n: usize| {
        format!(
            "/search?q={}&mode={}&from={}&until={}&category={}&author={}&page={n}",
            crate::links::query_value(&query.q),
            crate::links::query_value(&page.mode),
            crate::links::query_value(&query.from),
            crate::links::query_value(&query.until),
            crate::links::query_value(&query.category),
            crate::links::query_value(&query.author)
        )
    };
    page.previous_page = (number > 1).then(|| link(number - 1));
    page.next_page = outcome.has_more.then(|| link(number + 1));
    Ok(())
}
