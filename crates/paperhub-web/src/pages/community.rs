//! The community's forms: submit a paper, upvote one (or take the vote back), comment on one.
//! A visitor who is not signed in is sent to the log-in page; every form carries the CSRF
//! token ([`crate::session`]) and counts against the rate limits ([`crate::limits`]).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::account::see_other;
use super::{error_page, form_member, render, with_error, Chrome};
use crate::error::ApiError;
use crate::limits::{Action, ClientAddr};
use crate::links::paper_path;
use crate::session::Visitor;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    arxiv_id: String,
    max_age_days: u32,
    error: String,
}

impl SubmitPage {
    fn new(state: &AppState, visitor: &Visitor, arxiv_id: String, error: String) -> Self {
        SubmitPage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: "Submit a paper".into(),
            arxiv_id,
            max_age_days: state.hub.submission_max_age_days().unwrap_or(0),
            error,
        }
    }
}

pub async fn show_submit(State(state): State<AppState>, visitor: Visitor) -> Response {
    if visitor.account.is_none() {
        return see_other("/login", Vec::new());
    }
    render(
        &SubmitPage::new(&state, &visitor, String::new(), String::new()),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubmitForm {
    csrf: String,
    arxiv_id: String,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<SubmitForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let Some(account) = visitor.account.clone() else {
        return see_other("/login", Vec::new());
    };
    let input = form.arxiv_id.clone();
    let submitted = match state
        .limits
        .check(Action::Submit, address, Some(account.id))
    {
        Ok(()) => state.hub(move |hub| hub.submit(&account, &input)).await,
        Err(error) => Err(error),
    };
    match submitted {
        Ok(submitted) => see_other(&paper_path(submitted.paper.id.as_str()), Vec::new()),
        Err(error) => {
            let page = SubmitPage::new(&state, &visitor, form.arxiv_id, error.public_message());
            with_error(&page, &error)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VoteForm {
    csrf: String,
    /// `true` to upvote, `false` to take the vote back.
    up: String,
}

pub async fn vote(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<VoteForm>,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Vote, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let up = form.up != "false";
    match state.hub(move |hub| hub.vote(&account, &id, up)).await {
        Ok(outcome) => see_other(&paper_path(outcome.id.as_str()), Vec::new()),
        Err(error) => error_page(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    csrf: String,
    body: String,
    /// The comment answered, if a reply.
    parent: String,
}

pub async fn comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Comment, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let parent = match form.parent.trim() {
        "" => None,
        text => match text.parse::<u64>() {
            Ok(parent) => Some(parent),
            Err(_) => {
                return error_page(ApiError::new(
                    crate::ErrorCode::InvalidParameter,
                    format!("parent `{text}` is not a comment number"),
                ))
            }
        },
    };
    let paper = match crate::api::find_paper(&state, id).await {
        Ok(paper) => paper,
        Err(error) => return error_page(error),
    };
    let paper_id = paper.id.clone();
    let body = form.body;
    match state
        .hub(move |hub| hub.add_comment(&account, paper_id.as_str(), parent, &body))
        .await
    {
        Ok(comment) => see_other(
            &format!("{}#comment-{}", paper_path(paper.id.as_str()), comment.id),
            Vec::new(),
        ),
        Err(error) => error_page(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MarkForm {
    csrf: String,
    /// `true` to hide, `false` to restore (moderators).
    hidden: String,
}

/// The author deletes their comment (403 for anyone else's).
pub async fn delete_comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path((id, comment)): Path<(String, u64)>,
    Form(form): Form<MarkForm>,
) -> Response {
    mark(state, visitor, address, id, form, move |hub, account| {
        hub.delete_comment(account, comment)
    })
    .await
}

/// A moderator hides or restores a comment (403 for members).
pub async fn hide_comment(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Path((id, comment)): Path<(String, u64)>,
    Form(form): Form<MarkForm>,
) -> Response {
    let hidden = form.hidden != "false";
    mark(state, visitor, address, id, form, move |hub, account| {
        hub.hide_comment(account, comment, hidden)
    })
    .await
}

async fn mark(
    state: AppState,
    visitor: Visitor,
    address: std::net::IpAddr,
    id: String,
    form: MarkForm,
    change: impl FnOnce(&paperhub_app::Hub, &paperhub_app::Account) -> paperhub_app::Result<()>
        + Send
        + 'static,
) -> Response {
    let account = match form_member(&state, &visitor, &form.csrf, Action::Comment, address).await {
        Ok(account) => account,
        Err(answer) => return answer,
    };
    let paper = match crate::api::find_paper(&state, id).await {
        Ok(paper) => paper,
        Err(error) => return error_page(error),
    };
    match state.hub(move |hub| change(hub, &account)).await {
        Ok(()) => see_other(
            &format!("{}#comments", paper_path(paper.id.as_str())),
            Vec::new(),
        ),
        Err(error) => error_page(error),
    }
}
