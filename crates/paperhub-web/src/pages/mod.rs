//! Server-rendered pages: they work without JavaScript. Templates live in `templates/` and
//! escape everything they print (askama's default for `.html`). The one text marked safe is a
//! comment's HTML, which [`crate::markdown`] made and ammonia sanitised.

mod account;
mod account_mail;
mod community;
mod home;
mod library;
mod paper;
mod search;
mod subscribe;
mod trending;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use paperhub_core::Paper;

use crate::api::SnippetPart;
use crate::error::ApiError;
use crate::links::{paper_path, safe_url};
use crate::session::Visitor;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::list_day))
        .route("/papers/{id}", get(paper::show_paper))
        .route("/search", get(search::search_page))
        .route(
            "/subscribe",
            get(subscribe::show_subscribe).post(subscribe::subscribe),
        )
        .route(
            "/subscriptions/confirm",
            get(subscribe::show_confirm).post(subscribe::confirm),
        )
        .route(
            "/subscriptions/manage",
            get(subscribe::show_manage).post(subscribe::save_manage),
        )
        .route(
            "/subscriptions/unsubscribe",
            get(subscribe::show_unsubscribe).post(subscribe::unsubscribe),
        )
        .route("/trending", get(trending::show_trending))
        .route("/login", get(account::show_login).post(account::log_in))
        .route("/signup", get(account::show_signup).post(account::sign_up))
        .route("/logout", post(account::log_out))
        .route("/account", get(account::show_account))
        .route(
            "/account/forgot",
            get(account_mail::show_forgot).post(account_mail::forgot),
        )
        .route(
            "/account/reset",
            get(account_mail::show_reset).post(account_mail::reset),
        )
        .route(
            "/account/confirm",
            get(account_mail::show_confirm).post(account_mail::confirm),
        )
        .route("/account/password", post(account::change_password))
        .route(
            "/account/logout-everywhere",
            post(account::log_out_everywhere),
        )
        .route(
            "/submit",
            get(community::show_submit).post(community::submit),
        )
        .route("/library", get(library::show_library))
        .route("/library/label", post(library::label))
        .route("/library/import", post(library::import))
        .route("/library/tags/{tag}", get(library::show_tag))
        .route("/library/tags/{tag}/reset", post(library::reset))
        .route("/library/tags/{tag}/delete", post(library::delete))
        .route("/library/tags/{tag}/export", get(library::export))
        .route("/papers/{id}/vote", post(community::vote))
        .route("/papers/{id}/comments", post(community::comment))
        .route(
            "/papers/{id}/comments/{comment}/delete",
            post(community::delete_comment),
        )
        .route(
            "/papers/{id}/comments/{comment}/hidden",
            post(community::hide_comment),
        )
}

/// What the header of every page shows of the visitor: who is signed in, and the CSRF token
/// of its forms (the log-out button).
#[derive(Default)]
pub struct Chrome {
    pub viewer: Option<String>,
    pub csrf: String,
}

impl From<&Visitor> for Chrome {
    fn from(visitor: &Visitor) -> Self {
        Chrome {
            viewer: visitor.name(),
            csrf: visitor.csrf.clone(),
        }
    }
}

/// Cards for `papers`, with what the community did with each (votes, comments, submitter).
pub async fn cards<'a>(
    state: &AppState,
    papers: impl IntoIterator<Item = &'a Paper>,
) -> Result<Vec<PaperCard>, ApiError> {
    let mut cards = Vec::new();
    let mut ids = Vec::new();
    for paper in papers {
        cards.push(PaperCard::new(paper));
        ids.push(paper.id.clone());
    }
    let community = crate::api::community(state, ids).await?;
    for (card, community) in cards.iter_mut().zip(community) {
        card.votes = community.votes;
        card.comments = community.comments;
        card.submitted_by = community.submitted_by;
    }
    Ok(cards)
}

/// Renders a template with a status.
fn render(template: &impl Template, status: StatusCode) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            ApiError::Internal(anyhow::anyhow!("rendering a page: {error}")).into_response()
        }
    }
}

/// The signed-in member posting a form, after its CSRF and rate checks (`action` counts
/// against the limits); otherwise the answer to give: a visitor who is not signed in goes to
/// log in, a refused form gets its error page.
async fn form_member(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    action: crate::limits::Action,
    address: std::net::IpAddr,
) -> Result<paperhub_app::Account, Response> {
    visitor.check_csrf(csrf).map_err(error_page)?;
    let Some(account) = visitor.account.clone() else {
        return Err(account::see_other("/login", Vec::new()));
    };
    state
        .limits
        .check(action, address, Some(account.id))
        .map_err(error_page)?;
    Ok(account)
}

/// A page kept by a [`crate::state::PageCache`], answered as it was rendered.
fn kept(html: &str) -> Response {
    (StatusCode::OK, Html(html.to_owned())).into_response()
}

/// A form page rendered again with `error`: its status, and `Retry-After` for a rate limit.
fn with_error(page: &impl Template, error: &ApiError) -> Response {
    let mut response = render(page, error.code().status());
    if let Some((name, value)) = error.retry_after() {
        response.headers_mut().insert(name, value);
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    status: u16,
    message: String,
}

/// An error as a page.
pub fn error_page(error: ApiError) -> Response {
    let status = error.code().status();
    let retry_after = error.retry_after();
    let page = ErrorPage {
        chrome: Chrome::default(),
        q: String::new(),
        page_title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        message: error.public_message(),
    };
    let mut response = render(&page, status);
    if let Some((name, value)) = retry_after {
        response.headers_mut().insert(name, value);
    }
    response
}

/// A page handler's error: rendered as a page.
pub struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0)
    }
}

/// A link shown on a page.
pub struct LinkView {
    pub label: String,
    pub href: String,
}

/// A paper in a list.
pub struct PaperCard {
    pub url: String,
    pub title: String,
    pub authors: String,
    pub excerpt: String,
    pub day: String,
    pub categories: Vec<String>,
    pub links: Vec<LinkView>,
    pub snippet: Vec<SnippetPart>,
    /// Its upvotes.
    pub votes: u64,
    /// Its shown comments.
    pub comments: u64,
    /// Who submitted it, if it came by a submission.
    pub submitted_by: Option<String>,
}

/// Characters of an abstract a list shows.
const EXCERPT_CHARS: usize = 320;

impl PaperCard {
    pub fn new(paper: &Paper) -> Self {
        let meta = &paper.meta;
        PaperCard {
            url: paper_path(paper.id.as_str()),
            title: meta.title.clone(),
            authors: authors_line(&meta.authors, 6),
            excerpt: excerpt(&meta.abstract_text, EXCERPT_CHARS),
            day: paper.listed_on.map(long_day).unwrap_or_default(),
            categories: meta.categories.iter().take(4).cloned().collect(),
            links: paper_links(paper),
            snippet: Vec::new(),
            votes: 0,
            comments: 0,
            submitted_by: None,
        }
    }
}

/// The first `chars` characters of `text`, cut at a word, with an ellipsis when cut.
fn excerpt(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = match cut.rfind(' ') {
        Some(at) if at > chars / 2 => &cut[..at],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

fn authors_line(authors: &[String], shown: usize) -> String {
    let mut line = authors
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if authors.len() > shown {
        line.push_str(&format!(" and {} more", authors.len() - shown));
    }
    line
}

/// `June 5, 2025`.
pub fn long_day(day: NaiveDate) -> String {
    day.format("%B %-d, %Y").to_string()
}

/// A paper's outside links, http(s) only.
fn paper_links(paper: &Paper) -> Vec<LinkView> {
    let links = &paper.meta.links;
    let mut out = Vec::new();
    let arxiv = paper.meta.arxiv_id.is_some();
    let mut push = |label: &str, url: Option<&str>| {
        if let Some(href) = url.and_then(safe_url) {
            out.push(LinkView {
                label: label.to_owned(),
                href: href.to_owned(),
            });
        }
    };
    push(
        if arxiv { "arXiv" } else { "Abstract" },
        links.abs.as_deref(),
    );
    push("PDF", links.pdf.as_deref());
    push("DOI", links.doi.as_deref());
    for code in &links.code {
        push("Code", Some(code));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_a_word_and_say_so() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
    }
}
