//! Subscriptions on the web: the Subscribe form, and the pages the links of the mails open
//! (confirm, preferences, unsubscribe).
//!
//! The form is a visitor's (CSRF-checked, rate-limited). The mails' pages are reached by the
//! secret in their link instead of a session: a link opens a page whose button does the deed
//! (a POST), so that a mail scanner fetching links confirms or unsubscribes nothing, and a POST
//! to the unsubscribe URL with `List-Unsubscribe=One-Click` (RFC 8058, sent by mail providers
//! without cookies) unsubscribes at once.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use paperhub_core::Frequency;
use serde::Deserialize;

use super::{error_page, render, with_error, Chrome};
use crate::error::ApiError;
use crate::limits::{Action, ClientAddr};
use crate::session::Visitor;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage {
    chrome: Chrome,
    q: String,
    page_title: String,
    email: String,
    weekly: bool,
    topics: String,
    max_topics: usize,
    message: String,
    error: String,
}

impl SubscribePage {
    fn new(visitor: &Visitor) -> Self {
        SubscribePage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: "Subscribe".into(),
            email: visitor
                .account
                .as_ref()
                .map(|a| a.email.as_str().to_owned())
                .unwrap_or_default(),
            weekly: false,
            topics: String::new(),
            max_topics: paperhub_app::MAX_TOPICS,
            message: String::new(),
            error: String::new(),
        }
    }
}

pub async fn show_subscribe(visitor: Visitor) -> Response {
    render(&SubscribePage::new(&visitor), StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscribeForm {
    csrf: String,
    email: String,
    frequency: String,
    topics: String,
}

/// Topics as a form gives them: one per line.
fn topic_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn frequency(text: &str) -> Result<Frequency, ApiError> {
    if text.trim().is_empty() {
        return Ok(Frequency::Daily);
    }
    text.parse().map_err(|e: paperhub_core::InvalidFrequency| {
        ApiError::from(paperhub_app::HubError::Invalid(e.to_string()))
    })
}

pub async fn subscribe(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<SubscribeForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let mut page = SubscribePage::new(&visitor);
    page.email.clone_from(&form.email);
    page.topics.clone_from(&form.topics);
    page.weekly = form.frequency.trim().eq_ignore_ascii_case("weekly");
    let requested = async {
        state.limits.check(Action::Subscribe, address, None)?;
        let frequency = frequency(&form.frequency)?;
        let (email, topics) = (form.email.clone(), topic_lines(&form.topics));
        state
            .hub(move |hub| {
                hub.subscriptions()
                    .request(&email, frequency, &topics, chrono::Utc::now())
            })
            .await
    }
    .await;
    match requested {
        Ok(()) => {
            page.message = format!(
                "Check your inbox: if {} is not subscribed yet, a mail with a confirmation link is on its way (the link works for {} hours).",
                form.email.trim(),
                paperhub_app::CONFIRM_TOKEN_HOURS
            );
            render(&page, StatusCode::OK)
        }
        Err(error) => {
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}

/// What a subscription page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubscriptionView {
    Confirm,
    Manage,
    Unsubscribe,
    Done,
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct SubscriptionPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    view: SubscriptionView,
    token: String,
    email: String,
    weekly: bool,
    topics: String,
    unsubscribed: bool,
    max_topics: usize,
    message: String,
    error: String,
}

impl SubscriptionPage {
    fn new(visitor: &Visitor, title: &str, view: SubscriptionView, token: &str) -> Self {
        SubscriptionPage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: title.into(),
            view,
            token: token.into(),
            email: String::new(),
            weekly: false,
            topics: String::new(),
            unsubscribed: false,
            max_topics: paperhub_app::MAX_TOPICS,
            message: String::new(),
            error: String::new(),
        }
    }

    fn of(mut self, subscription: &paperhub_app::Subscription) -> Self {
        self.email = subscription.email.as_str().to_owned();
        self.weekly = subscription.frequency == Frequency::Weekly;
        self.topics = subscription.topics.join("\n");
        self.unsubscribed = subscription.unsubscribed_at.is_some();
        self
    }
}

/// The token of a link: in the query (the mail's link) or in the form (the page's button).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
    frequency: String,
    topics: String,
}

fn token_of(query: &TokenQuery, form: &TokenForm) -> String {
    if form.token.trim().is_empty() {
        query.token.trim().to_owned()
    } else {
        form.token.trim().to_owned()
    }
}

/// An error on a subscription page, as a page with its status.
fn failed(visitor: &Visitor, title: &str, error: &ApiError) -> Response {
    let mut page = SubscriptionPage::new(visitor, title, SubscriptionView::Done, "");
    page.error = error.public_message();
    with_error(&page, error)
}

pub async fn show_confirm(visitor: Visitor, Query(query): Query<TokenQuery>) -> Response {
    render(
        &SubscriptionPage::new(
            &visitor,
            "Confirm your subscription",
            SubscriptionView::Confirm,
            &query.token,
        ),
        StatusCode::OK,
    )
}

pub async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let token = token_of(&query, &form.map(|f| f.0).unwrap_or_default());
    let title = "Confirm your subscription";
    match state
        .hub(move |hub| hub.subscriptions().confirm(&token, chrono::Utc::now()))
        .await
    {
        Ok(subscription) => {
            let mut page = SubscriptionPage::new(
                &visitor,
                "Subscription confirmed",
                SubscriptionView::Done,
                &subscription.manage_token,
            )
            .of(&subscription);
            page.message = format!(
                "{} gets the {} trending papers from now on.",
                subscription.email, subscription.frequency
            );
            render(&page, StatusCode::OK)
        }
        Err(error) => failed(&visitor, title, &error),
    }
}

/// The subscription of a manage token, on the blocking pool.
async fn by_token(state: &AppState, token: String) -> Result<paperhub_app::Subscription, ApiError> {
    state
        .hub(move |hub| hub.subscriptions().by_manage_token(&token))
        .await
}

pub async fn show_manage(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Response {
    let title = "Your subscription";
    match by_token(&state, query.token.clone()).await {
        Ok(subscription) => render(
            &SubscriptionPage::new(&visitor, title, SubscriptionView::Manage, &query.token)
                .of(&subscription),
            StatusCode::OK,
        ),
        Err(error) => failed(&visitor, title, &error),
    }
}

pub async fn save_manage(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
    Form(form): Form<TokenForm>,
) -> Response {
    let token = token_of(&query, &form);
    let title = "Your subscription";
    let saved = async {
        let frequency = frequency(&form.frequency)?;
        let (manage, topics) = (token.clone(), topic_lines(&form.topics));
        state
            .hub(move |hub| {
                hub.subscriptions()
                    .set_preferences(&manage, frequency, &topics)
            })
            .await
    }
    .await;
    match saved {
        Ok(subscription) => {
            let mut page = SubscriptionPage::new(&visitor, title, SubscriptionView::Manage, &token)
                .of(&subscription);
            page.message = "Saved.".into();
            render(&page, StatusCode::OK)
        }
        Err(error) => {
            let mut page = SubscriptionPage::new(&visitor, title, SubscriptionView::Manage, &token);
            if let Ok(subscription) = by_token(&state, token.clone()).await {
                page = page.of(&subscription);
            } else {
                page.view = SubscriptionView::Done;
            }
            page.topics.clone_from(&form.topics);
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}

pub async fn show_unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Response {
    let title = "Unsubscribe";
    match by_token(&state, query.token.clone()).await {
        Ok(subscription) => render(
            &SubscriptionPage::new(&visitor, title, SubscriptionView::Unsubscribe, &query.token)
                .of(&subscription),
            StatusCode::OK,
        ),
        Err(error) => failed(&visitor, title, &error),
    }
}

/// Unsubscribes: the page's button, or a mail provider's one-click POST (RFC 8058) whose body
/// is `List-Unsubscribe=One-Click` and whose token is in the URL.
pub async fn unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let token = token_of(&query, &form.map(|f| f.0).unwrap_or_default());
    let manage = token.clone();
    match state
        .hub(move |hub| {
            let subscriptions = hub.subscriptions();
            subscriptions.unsubscribe(&manage, chrono::Utc::now())?;
            subscriptions.by_manage_token(&manage)
        })
        .await
    {
        Ok(subscription) => {
            let mut page =
                SubscriptionPage::new(&visitor, "Unsubscribed", SubscriptionView::Done, &token)
                    .of(&subscription);
            page.message = format!(
                "{} is unsubscribed: no more mail goes there.",
                subscription.email
            );
            render(&page, StatusCode::OK)
        }
        Err(error) => failed(&visitor, "Unsubscribe", &error),
    }
}
