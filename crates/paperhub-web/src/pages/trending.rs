//! `GET /trending?period=day|week|month`: the papers the community votes for now, each with
//! the numbers that put it where it is.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use paperhub_app::{Period, FORMULA};

use super::{error_page, render, Chrome, PaperCard};
use crate::session::Visitor;
use crate::state::AppState;

/// Papers a trending page shows.
const SHOWN: usize = 30;

#[derive(Template)]
#[template(path = "trending.html")]
struct TrendingPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    period: &'static str,
    /// Every period, and whether it is this page's.
    periods: Vec<(&'static str, bool)>,
    formula: &'static str,
    /// Each paper's card, all its votes, and the numbers of its score.
    entries: Vec<(PaperCard, u64, String)>,
}

pub async fn show_trending(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let period = match params.get("period").map(String::as_str) {
        None | Some("") => Ok(Period::Day),
        Some(text) => text.parse::<Period>(),
    };
    let period = match period {
        Ok(period) => period,
        Err(error) => return error_page(error.into()),
    };
    // A visitor who is not signed in sees the same page as every other: it is rendered once
    // per ranking (the ranking's own cache time, and no community change since).
    let anonymous = visitor.account.is_none();
    let version = state.hub.community_version();
    let keep = std::time::Duration::from_secs(state.hub.trending_cache_secs());
    if anonymous && !keep.is_zero() {
        if let Some(html) = state.trending_pages.get(&period, version, keep) {
            return super::kept(&html);
        }
    }
    let rendered_at = std::time::Instant::now();
    let found = state
        .hub(move |hub| hub.trending(period, SHOWN, chrono::Utc::now()))
        .await;
    let papers = match found {
        Ok(papers) => papers,
        Err(error) => return error_page(error),
    };
    let entries = papers
        .iter()
        .map(|t| {
            let w = &t.why;
            // The ranking carries the numbers a card shows (counted when it was ranked).
            let mut card = PaperCard::new(&t.paper);
            card.votes = t.votes;
            card.comments = t.comments;
            card.submitted_by.clone_from(&t.submitted_by);
            (
                card,
                t.votes,
                format!(
                    "{} votes this {} / ({:.1} h old + {}) ^ {} = {:.6}",
                    w.votes_in_period,
                    period.as_str(),
                    w.age_hours,
                    w.offset_hours,
                    w.gravity,
                    t.score
                ),
            )
        })
        .collect();
    let page = TrendingPage {
        chrome: Chrome::from(&visitor),
        q: String::new(),
        page_title: format!("Trending this {}", period.as_str()),
        period: period.as_str(),
        periods: Period::ALL
            .iter()
            .map(|p| (p.as_str(), *p == period))
            .collect(),
        formula: FORMULA,
        entries,
    };
    if !anonymous || keep.is_zero() {
        return render(&page, StatusCode::OK);
    }
    match page.render() {
        Ok(html) => {
            let html: std::sync::Arc<str> = html.into();
            state
                .trending_pages
                .put(period, version, rendered_at, html.clone());
            super::kept(&html)
        }
        Err(_) => render(&page, StatusCode::OK),
    }
}
