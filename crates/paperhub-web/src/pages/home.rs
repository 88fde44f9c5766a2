//! `GET /`: the papers of a day (the latest by default), an ISO week or a month.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use paperhub_app::DayRange;
use serde::Deserialize;

use super::{long_day, render, Chrome, PageError, PaperCard};
use crate::error::{ApiError, ErrorCode};
use crate::session::Visitor;
use crate::state::AppState;

/// Papers per page.
const PER_PAGE: usize = 50;

/// The span asked for, as the date form and links send it.
#[derive(Debug, Deserialize)]
pub struct ListDayQuery {
    date: Option<String>,
    week: Option<String>,
    month: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// A link to another span or page.
pub struct NavLink {
    pub label: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    q: String,
    page_title: String,
    heading: String,
    /// The day in the date picker (`YYYY-MM-DD`).
    picker: String,
    previous: Option<NavLink>,
    next: Option<NavLink>,
    views: Vec<NavLink>,
    /// The two orders: label, link, and whether it is this page's.
    orders: Vec<(&'static str, String, bool)>,
    papers: Vec<PaperCard>,
    total: u64,
    first_rank: usize,
    newer_page: Option<String>,
    older_page: Option<String>,
    empty_hub: bool,
}

/// A positive page number.
pub fn parse_page(page: Option<&str>) -> Result<usize, ApiError> {
    match page.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|&n| (1..=200).contains(&n))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("page `{p}` is not a page number from 1 to 200"),
                )
            }),
    }
}

fn span_query(range: DayRange) -> String {
    match range {
        DayRange::Day(_) => format!("/?date={range}"),
        DayRange::Week { .. } => format!("/?week={range}"),
        DayRange::Month { .. } => format!("/?month={range}"),
    }
}

fn heading(range: DayRange) -> String {
    let (first, last) = range.bounds();
    match range {
        DayRange::Day(day) => long_day(day),
        DayRange::Week { year, week } => format!(
            "Week {week} of {year}, {} to {}",
            first.format("%B %-d"),
            last.format("%B %-d")
        ),
        DayRange::Month { .. } => first.format("%B %Y").to_string(),
    }
}

pub async fn list_day(
    State(state): State<AppState>,
    visitor: Visitor,
    uri: axum::http::Uri,
    Query(query): Query<ListDayQuery>,
) -> Result<Response, PageError> {
    // A visitor who is not signed in sees the same page as every other: it is kept until the
    // papers (the store's change number) or the community (votes, comments, submissions
    // through this node) change, and for at most the time a trending ranking is kept.
    let anonymous = visitor.account.is_none();
    let keep = std::time::Duration::from_secs(state.hub.trending_cache_secs());
    let key = uri.query().unwrap_or_default().to_owned();
    let read_at = std::time::Instant::now();
    let version = if anonymous && !keep.is_zero() {
        let community = state.hub.community_version();
        let seq = state.hub(|hub| Ok(hub.store().last_seq()?)).await?;
        // One number for both: a change of either gives another.
        let version = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ community;
        if let Some(html) = state.day_pages.get(&key, version, keep) {
            return Ok(super::kept(&html));
        }
        Some(version)
    } else {
        None
    };
    let page = parse_page(query.page.as_deref())?;
    let offset = (page - 1) * PER_PAGE;
    let listing = crate::days::listing(
        &state,
        query.date.as_deref(),
        query.week.as_deref(),
        query.month.as_deref(),
        query.sort.as_deref(),
        PER_PAGE,
        offset,
    )
    .await?;
    let Some(range) = listing.range else {
        return Ok(render(
            &HomePage {
                chrome: Chrome::from(&visitor),
                q: String::new(),
                page_title: "Daily papers".into(),
                heading: "No papers yet".into(),
                picker: String::new(),
                previous: None,
                next: None,
                views: Vec::new(),
                orders: Vec::new(),
                papers: Vec::new(),
                total: 0,
                first_rank: 1,
                newer_page: None,
                older_page: None,
                empty_hub: true,
            },
            StatusCode::OK,
        ));
    };
    let (first, _) = range.bounds();
    let nav = |r: DayRange, label: String| NavLink {
        href: span_query(r),
        label,
    };
    let (previous, next) = match range {
        DayRange::Day(_) => (
            listing
                .previous
                .map(|r| nav(r, format!("Previous day ({})", heading(r)))),
            listing
                .next
                .map(|r| nav(r, format!("Next day ({})", heading(r)))),
        ),
        DayRange::Week { .. } => (
            listing.previous.map(|r| nav(r, "Previous week".into())),
            listing.next.map(|r| nav(r, "Next week".into())),
        ),
        DayRange::Month { .. } => (
            listing.previous.map(|r| nav(r, "Previous month".into())),
            listing.next.map(|r| nav(r, "Next month".into())),
        ),
    };
    let mut views = vec![
        nav(DayRange::Day(first), "Day".into()),
        nav(DayRange::week_of(first), "Week".into()),
        nav(DayRange::month_of(first), "Month".into()),
    ];
    views.retain(|v| v.href != span_query(range));
    let order = paperhub_app::DayOrder::parse(query.sort.as_deref()).map_err(ApiError::from)?;
    let orders = [
        ("Listing order", paperhub_app::DayOrder::Listing),
        ("Most upvoted", paperhub_app::DayOrder::Votes),
    ]
    .into_iter()
    .map(|(label, o)| {
        let href = match o {
            paperhub_app::DayOrder::Listing => span_query(range),
            paperhub_app::DayOrder::Votes => format!("{}&sort=votes", span_query(range)),
        };
        (label, href, o == order)
    })
    .collect();
    let this = match order {
        paperhub_app::DayOrder::Listing => span_query(range),
        paperhub_app::DayOrder::Votes => format!("{}&sort=votes", span_query(range)),
    };
    let shown = offset + listing.papers.len();
    let page_title = match range {
        DayRange::Day(_) => format!("Papers of {}", heading(range)),
        _ => format!("Papers of {}", heading(range)),
    };
    let home = HomePage {
        chrome: Chrome::from(&visitor),
        q: String::new(),
        page_title,
        heading: heading(range),
        picker: first.format("%Y-%m-%d").to_string(),
        previous,
        next,
        views,
        orders,
        papers: super::cards(&state, &listing.papers).await?,
        total: listing.total,
        first_rank: offset + 1,
        newer_page: (page > 1).then(|| format!("{this}&page={}", page - 1)),
        older_page: ((shown as u64) < listing.total).then(|| format!("{this}&page={}", page + 1)),
        empty_hub: false,
    };
    if let (Some(version), Ok(html)) = (version, askama::Template::render(&home)) {
        let html: std::sync::Arc<str> = html.into();
        state.day_pages.put(key, version, read_at, html.clone());
        return Ok(super::kept(&html));
    }
    Ok(render(&home, StatusCode::OK))
}
