//! The account pages that mail links open: confirm an address, and reset a forgotten password
//! (asked for on `/account/forgot`, set on `/account/reset`). The links' tokens are the
//! credentials here, so these forms need no session; the request for a reset link is a
//! visitor's form (CSRF-checked, rate-limited) and answers the same for every address.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{error_page, render, with_error, Chrome};
use crate::limits::{Action, ClientAddr};
use crate::session::Visitor;
use crate::state::AppState;

/// What an account mail page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AccountMailView {
    Forgot,
    Reset,
    Confirm,
    Done,
}

#[derive(Template)]
#[template(path = "account_mail.html")]
struct AccountMailPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    view: AccountMailView,
    token: String,
    email: String,
    reset_minutes: u32,
    message: String,
    error: String,
}

impl AccountMailPage {
    fn new(visitor: &Visitor, title: &str, view: AccountMailView, token: &str) -> Self {
        AccountMailPage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: title.into(),
            view,
            token: token.into(),
            email: String::new(),
            reset_minutes: paperhub_app::RESET_TOKEN_MINUTES,
            message: String::new(),
            error: String::new(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    token: String,
    password: String,
}

fn token_of(query: &TokenQuery, form: &TokenForm) -> String {
    if form.token.trim().is_empty() {
        query.token.trim().to_owned()
    } else {
        form.token.trim().to_owned()
    }
}

pub async fn show_forgot(visitor: Visitor) -> Response {
    render(
        &AccountMailPage::new(
            &visitor,
            "Forgot your password?",
            AccountMailView::Forgot,
            "",
        ),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ForgotForm {
    csrf: String,
    email: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<ForgotForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let mut page = AccountMailPage::new(
        &visitor,
        "Forgot your password?",
        AccountMailView::Forgot,
        "",
    );
    page.email.clone_from(&form.email);
    let asked = async {
        state.limits.check(Action::PasswordReset, address, None)?;
        let email = form.email.clone();
        state
            .hub(move |hub| {
                hub.accounts()
                    .request_password_reset(&email, chrono::Utc::now())
            })
            .await
    }
    .await;
    match asked {
        Ok(()) => {
            page.message = format!(
                "If {} has an account here, a link to choose a new password is on its way.",
                form.email.trim()
            );
            render(&page, StatusCode::OK)
        }
        Err(error) => {
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}

pub async fn show_reset(visitor: Visitor, Query(query): Query<TokenQuery>) -> Response {
    render(
        &AccountMailPage::new(
            &visitor,
            "Choose a new password",
            AccountMailView::Reset,
            &query.token,
        ),
        StatusCode::OK,
    )
}

pub async fn reset(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
    Form(form): Form<TokenForm>,
) -> Response {
    let token = token_of(&query, &form);
    let (secret, password) = (token.clone(), form.password.clone());
    match state
        .hub(move |hub| {
            hub.accounts()
                .reset_password(&secret, &password, chrono::Utc::now())
        })
        .await
    {
        Ok(account) => {
            let mut page =
                AccountMailPage::new(&visitor, "Password changed", AccountMailView::Done, "");
            page.message = format!(
                "The password of {} is changed and every session of the account has ended: log in with the new one.",
                account.email
            );
            render(&page, StatusCode::OK)
        }
        Err(error) => {
            // The form again with the reason: a password that breaks the rules can be chosen
            // again with the same link; a spent or unknown link says to ask for a new one.
            let mut page = AccountMailPage::new(
                &visitor,
                "Choose a new password",
                AccountMailView::Reset,
                &token,
            );
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}

pub async fn show_confirm(visitor: Visitor, Query(query): Query<TokenQuery>) -> Response {
    render(
        &AccountMailPage::new(
            &visitor,
            "Confirm your address",
            AccountMailView::Confirm,
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
    match state
        .hub(move |hub| hub.accounts().confirm_email(&token, chrono::Utc::now()))
        .await
    {
        Ok(account) => {
            let mut page =
                AccountMailPage::new(&visitor, "Address confirmed", AccountMailView::Done, "");
            page.message = format!("{} is confirmed as this account's address.", account.email);
            render(&page, StatusCode::OK)
        }
        Err(error) => {
            let mut page =
                AccountMailPage::new(&visitor, "Confirm your address", AccountMailView::Done, "");
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}
