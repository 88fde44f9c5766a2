//! Atom 1.0 and RSS 2.0 feeds of the daily list and of any search. The XML is written by
//! the `atom_syndication` and `rss` crates, which escape every text they are given.

use std::collections::HashMap;

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Person, Text};
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveTime, Utc};
use paperhub_core::Paper;

use crate::error::ApiError;
use crate::links::{paper_path, safe_url};
use paperhub_app::SearchRequest;

use crate::search::parse_mode;
use crate::state::AppState;

/// Papers in a feed.
const FEED_PAPERS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feeds/daily.atom", get(daily_atom))
        .route("/feeds/daily.rss", get(daily_rss))
        .route("/feeds/search.atom", get(search_atom))
        .route("/feeds/search.rss", get(search_rss))
        .route("/feeds/trending.atom", get(trending_atom))
        .route("/feeds/trending.rss", get(trending_rss))
        .route("/feeds/private/{token}/picks.atom", get(picks_atom))
        .route("/feeds/private/{token}/picks.rss", get(picks_rss))
        .route("/feeds/private/{token}/tags/{file}", get(tag_feed))
        .route("/feeds/private/{token}/searches/{file}", get(search_feed))
}

/// What a feed is about, before it is written as Atom or RSS.
struct FeedContent {
    title: String,
    description: String,
    /// The page the feed mirrors (absolute).
    alternate: String,
    /// The feed itself (absolute).
    self_url: String,
    papers: Vec<Paper>,
    base: String,
}

async fn daily(state: &AppState, headers: &HeaderMap, ext: &str) -> Result<FeedContent, ApiError> {
    let listing = crate::days::listing(state, None, None, None, None, FEED_PAPERS, 0).await?;
    let base = state.base_url(headers);
    let day = listing.range.map(|r| r.to_string());
    Ok(FeedContent {
        title: match &day {
            Some(day) => format!("paperhub: papers of {day}"),
            None => "paperhub: daily papers".into(),
        },
        description: "The papers of the latest day on this paperhub.".into(),
        alternate: match &day {
            Some(day) => format!("{base}/?date={day}"),
            None => format!("{base}/"),
        },
        self_url: format!("{base}/feeds/daily.{ext}"),
        papers: listing.papers,
        base,
    })
}

async fn search(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    ext: &str,
) -> Result<FeedContent, ApiError> {
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let q = get("q").to_owned();
    let request = SearchRequest {
        q: q.clone(),
        mode: parse_mode(get("mode"))?,
        category: Some(get("category").to_owned()),
        author: Some(get("author").to_owned()),
        limit: Some(FEED_PAPERS),
        ..SearchRequest::default()
    };
    let outcome = crate::search::run(state, request).await?;
    let base = state.base_url(headers);
    let encoded: String = crate::links::query_value(&q);
    Ok(FeedContent {
        title: format!("paperhub: search for {q}"),
        description: format!("Papers matching `{q}` on this paperhub."),
        alternate: format!("{base}/search?q={encoded}"),
        self_url: format!("{base}/feeds/search.{ext}?q={encoded}"),
        papers: outcome.hits.into_iter().map(|h| h.paper).collect(),
        base,
    })
}

/// `text` as HTML that shows it literally.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// When a paper last changed, as far as a feed can tell.
fn paper_updated(paper: &Paper) -> Option<DateTime<Utc>> {
    paper.meta.updated.or(paper.meta.published).or_else(|| {
        paper
            .listed_on
            .map(|d| d.and_time(NaiveTime::MIN).and_utc())
    })
}

fn fixed(time: DateTime<Utc>) -> FixedDateTime {
    time.fixed_offset()
}

fn atom(content: FeedContent) -> Response {
    let updated = content
        .papers
        .iter()
        .filter_map(paper_updated)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let mut feed = Feed::default();
    feed.set_id(content.self_url.clone());
    feed.set_title(Text::plain(content.title));
    feed.set_subtitle(Some(Text::plain(content.description)));
    feed.set_updated(fixed(updated));
    let mut author = Person::default();
    author.set_name("paperhub");
    author.set_uri(Some(format!("{}/", content.base)));
    feed.set_authors(vec![author]);
    let link = |href: String, rel: &str, mime: &str| {
        let mut link = Link::default();
        link.set_href(href);
        link.set_rel(rel);
        link.set_mime_type(Some(mime.to_owned()));
        link
    };
    feed.set_links(vec![
        link(content.alternate, "alternate", "text/html"),
        link(content.self_url, "self", "application/atom+xml"),
    ]);
    let entries = content
        .papers
        .iter()
        .map(|paper| {
            let page = format!("{}{}", content.base, paper_path(paper.id.as_str()));
            let mut entry = Entry::default();
            entry.set_id(page.clone());
            entry.set_title(Text::plain(paper.meta.title.clone()));
            entry.set_updated(fixed(paper_updated(paper).unwrap_or(updated)));
            entry.set_published(paper.meta.published.map(fixed));
            entry.set_summary(Some(Text::plain(paper.meta.abstract_text.clone())));
            entry.set_authors(
                paper
                    .meta
                    .authors
                    .iter()
                    .map(|name| {
                        let mut person = Person::default();
                        person.set_name(name.clone());
                        person
                    })
                    .collect::<Vec<_>>(),
            );
            let mut links = vec![link(page, "alternate", "text/html")];
            if let Some(pdf) = paper.meta.links.pdf.as_deref().and_then(safe_url) {
                links.push(link(pdf.to_owned(), "related", "application/pdf"));
            }
            entry.set_links(links);
            entry
        })
        .collect::<Vec<_>>();
    feed.set_entries(entries);
    (
        [(CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response()
}

fn rss(content: FeedContent) -> Response {
    let mut channel = rss::Channel::default();
    channel.set_title(content.title);
    channel.set_link(content.alternate);
    channel.set_description(content.description);
    channel.set_generator(Some("paperhub".to_owned()));
    let items = content
        .papers
        .iter()
        .map(|paper| {
            let page = format!("{}{}", content.base, paper_path(paper.id.as_str()));
            let mut item = rss::Item::default();
            item.set_title(Some(paper.meta.title.clone()));
            item.set_link(Some(page.clone()));
            item.set_guid(Some(rss::Guid {
                value: page,
                permalink: true,
            }));
            // Feed readers render an RSS description as HTML: the abstract goes in as text.
            item.set_description(Some(escape_html(&paper.meta.abstract_text)));
            item.set_pub_date(paper_updated(paper).map(|t| t.to_rfc2822()));
            if !paper.meta.authors.is_empty() {
                // RSS's <author> wants an email address; Dublin Core's creator is the usual
                // place for names, but a plain list in the description's stead would repeat it.
                let mut dc = rss::extension::dublincore::DublinCoreExtension::default();
                dc.set_creators(paper.meta.authors.clone());
                item.set_dublin_core_ext(Some(dc));
            }
            item
        })
        .collect::<Vec<_>>();
    channel.set_items(items);
    (
        [(CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        channel.to_string(),
    )
        .into_response()
}

/// The papers trending over `period` (`day` unless the query names another).
async fn trending(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    ext: &str,
) -> Result<FeedContent, ApiError> {
    let period = match params.get("period").map(String::as_str) {
        None | Some("") => paperhub_app::Period::Day,
        Some(text) => text.parse()?,
    };
    let papers = state
        .hub(move |hub| hub.trending(period, FEED_PAPERS, Utc::now()))
        .await?;
    let base = state.base_url(headers);
    let name = period.as_str();
    Ok(FeedContent {
        title: format!("paperhub: trending this {name}"),
        description: format!(
            "The papers this paperhub's community voted for over the last {name}."
        ),
        alternate: format!("{base}/trending?period={name}"),
        self_url: format!("{base}/feeds/trending.{ext}?period={name}"),
        papers: papers.into_iter().map(|t| t.paper).collect(),
        base,
    })
}

async fn trending_atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(atom(trending(&state, &headers, &params, "atom").await?))
}

async fn trending_rss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(rss(trending(&state, &headers, &params, "rss").await?))
}

async fn daily_atom(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(atom(daily(&state, &headers, "atom").await?))
}

async fn daily_rss(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(rss(daily(&state, &headers, "rss").await?))
}

async fn search_atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(atom(search(&state, &headers, &params, "atom").await?))
}

async fn search_rss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(rss(search(&state, &headers, &params, "rss").await?))
}

/// A private feed: the member's picks, a tag's recommendations or a saved search's finds.
enum Private {
    Picks,
    Tag(String),
    Search(String),
}

/// `name.atom` or `name.rss`, split; `None` for any other file.
fn feed_file(file: &str) -> Option<(String, &'static str)> {
    if let Some(name) = file.strip_suffix(".atom") {
        Some((name.to_owned(), "atom"))
    } else {
        file.strip_suffix(".rss")
            .map(|name| (name.to_owned(), "rss"))
    }
}

/// The feed `which` of the member whose private feed token is `token` (another member's
/// tag or search, or a token unknown or revoked, is `404`). What it shows is marked seen.
async fn private(
    state: &AppState,
    headers: &HeaderMap,
    token: String,
    which: Private,
    ext: &str,
) -> Result<Response, ApiError> {
    let base = state.base_url(headers);
    let self_url = {
        let path = match &which {
            Private::Picks => "picks".to_owned(),
            Private::Tag(tag) => format!("tags/{}", crate::links::query_value(tag)),
            Private::Search(name) => format!("searches/{}", crate::links::query_value(name)),
        };
        format!(
            "{base}/feeds/private/{}/{path}.{ext}",
            crate::links::query_value(&token)
        )
    };
    let (title, description, alternate, papers) = state
        .search(move |hub| {
            let library = hub.library();
            let member = library.feed_owner(&token)?;
            let found = match which {
                Private::Picks => {
                    let papers = library
                        .picks(&member, FEED_PAPERS, false)?
                        .into_iter()
                        .map(|p| p.paper)
                        .collect::<Vec<_>>();
                    (
                        "paperhub: your picks".to_owned(),
                        "Recommendations of your tags and the finds of your saved searches."
                            .to_owned(),
                        "/library".to_owned(),
                        papers,
                    )
                }
                Private::Tag(tag) => {
                    let papers = library
                        .recommendations(&member, Some(&tag), FEED_PAPERS, false)?
                        .into_iter()
                        .map(|r| r.paper)
                        .collect::<Vec<_>>();
                    (
                        format!("paperhub: recommended for {tag}"),
                        format!("Papers near those you saved to {tag}."),
                        crate::links::tag_path(&tag),
                        papers,
                    )
                }
                Private::Search(name) => {
                    let papers = library
                        .run_saved_search(&member, &name, FEED_PAPERS, false)?
                        .papers
                        .into_iter()
                        .map(|p| p.paper)
                        .collect::<Vec<_>>();
                    (
                        format!("paperhub: your saved search {name}"),
                        format!("What your saved search {name} finds."),
                        "/library".to_owned(),
                        papers,
                    )
                }
            };
            let ids: Vec<&paperhub_core::PaperId> = found.3.iter().map(|p| &p.id).collect();
            library.mark_seen(&member, &ids)?;
            Ok(found)
        })
        .await?;
    let content = FeedContent {
        title,
        description,
        alternate: format!("{base}{alternate}"),
        self_url,
        papers,
        base,
    };
    let mut response = if ext == "atom" {
        atom(content)
    } else {
        rss(content)
    };
    // A private feed is the member's own: no shared cache keeps it, no link leaks its URL.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

async fn picks_atom(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    private(&state, &headers, token, Private::Picks, "atom").await
}

async fn picks_rss(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    private(&state, &headers, token, Private::Picks, "rss").await
}

fn no_feed() -> ApiError {
    ApiError::new(
        crate::error::ErrorCode::NotFound,
        "no such feed: its name ends in .atom or .rss",
    )
}

async fn tag_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (tag, ext) = feed_file(&file).ok_or_else(no_feed)?;
    private(&state, &headers, token, Private::Tag(tag), ext).await
}

async fn search_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (name, ext) = feed_file(&file).ok_or_else(no_feed)?;
    private(&state, &headers, token, Private::Search(name), ext).await
}
