//! The account pages: sign up, log in, log out (here or everywhere), change the password.
//! Every form carries the CSRF token ([`crate::session`]); log-in and sign-up count against
//! the rate limits ([`crate::limits`]).

use askama::Template;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use paperhub_core::Role;
use serde::Deserialize;

use super::{error_page, render, with_error, Chrome};
use crate::error::ApiError;
use crate::limits::{Action, ClientAddr};
use crate::session::{self, Visitor};
use crate::state::AppState;

/// `303 See Other` to `location`, setting `cookies`.
pub fn see_other(location: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        LOCATION,
        HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")),
    );
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    response
}

/// Signs the browser in as `account`: a new session (the old one, if any, ends), a new CSRF
/// token, and off to `location`.
async fn sign_in_as(
    state: &AppState,
    visitor: &Visitor,
    account: paperhub_app::Account,
    location: &str,
) -> Result<Response, ApiError> {
    let lifetime = state.session_lifetime;
    let old = visitor.session.clone();
    let secret = state
        .hub(move |hub| {
            let accounts = hub.accounts();
            if let Some(old) = old {
                accounts.end_session(&old)?;
            }
            accounts.start_session(&account, lifetime)
        })
        .await?;
    let (_, csrf) = session::fresh_csrf_cookie(state);
    Ok(see_other(
        location,
        vec![session::session_cookie(state, secret), csrf],
    ))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    email: String,
    error: String,
}

impl LoginPage {
    fn new(visitor: &Visitor, email: String, error: String) -> Self {
        LoginPage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: "Log in".into(),
            email,
            error,
        }
    }
}

pub async fn show_login(visitor: Visitor) -> Response {
    render(
        &LoginPage::new(&visitor, String::new(), String::new()),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    email: String,
    password: String,
}

pub async fn log_in(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let refuse = |error: ApiError| {
        with_error(
            &LoginPage::new(&visitor, form.email.clone(), error.public_message()),
            &error,
        )
    };
    if let Err(error) = state
        .limits
        .check(Action::LogIn, address, None)
        .and_then(|()| state.limits.check_login(&form.email))
    {
        return refuse(error);
    }
    let (email, password) = (form.email.clone(), form.password.clone());
    let found = state
        .hub(move |hub| hub.accounts().sign_in(&email, &password))
        .await;
    match found {
        Ok(Some(account)) => {
            state.limits.record_login(&form.email, true);
            sign_in_as(&state, &visitor, account, "/")
                .await
                .unwrap_or_else(error_page)
        }
        Ok(None) => {
            state.limits.record_login(&form.email, false);
            refuse(ApiError::new(
                crate::ErrorCode::Unauthorized,
                "wrong email or password",
            ))
        }
        Err(error) => error_page(error),
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    email: String,
    name: String,
    error: String,
}

pub async fn show_signup(visitor: Visitor) -> Response {
    render(
        &SignupPage {
            chrome: Chrome::from(&visitor),
            q: String::new(),
            page_title: "Sign up".into(),
            email: String::new(),
            name: String::new(),
            error: String::new(),
        },
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    csrf: String,
    email: String,
    name: String,
    password: String,
}

pub async fn sign_up(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    visitor: Visitor,
    Form(form): Form<SignupForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let refuse = |error: ApiError| {
        let page = SignupPage {
            chrome: Chrome::from(&visitor),
            q: String::new(),
            page_title: "Sign up".into(),
            email: form.email.clone(),
            name: form.name.clone(),
            error: error.public_message(),
        };
        with_error(&page, &error)
    };
    if let Err(error) = state.limits.check(Action::SignUp, address, None) {
        return refuse(error);
    }
    let (email, password) = (form.email.clone(), form.password.clone());
    let name = Some(form.name.trim().to_owned()).filter(|n| !n.is_empty());
    let made = state
        .hub(move |hub| {
            let accounts = hub.accounts();
            let account = accounts.add_account(&email, &password, Role::Member, name.as_deref())?;
            accounts.request_email_confirmation(&account, chrono::Utc::now())?;
            Ok(account)
        })
        .await;
    match made {
        Ok(account) => sign_in_as(&state, &visitor, account, "/")
            .await
            .unwrap_or_else(error_page),
        Err(error) => refuse(error),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn log_out(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    if let Some(secret) = visitor.session.clone() {
        if let Err(error) = state
            .hub(move |hub| hub.accounts().end_session(&secret))
            .await
        {
            return error_page(error);
        }
    }
    let (_, csrf) = session::fresh_csrf_cookie(&state);
    see_other("/", vec![session::clear_session_cookie(&state), csrf])
}

pub async fn log_out_everywhere(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let Some(account) = visitor.account.clone() else {
        return see_other("/login", Vec::new());
    };
    if let Err(error) = state
        .hub(move |hub| hub.accounts().end_sessions(&account))
        .await
    {
        return error_page(error);
    }
    let (_, csrf) = session::fresh_csrf_cookie(&state);
    see_other("/login", vec![session::clear_session_cookie(&state), csrf])
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    q: String,
    page_title: String,
    name: String,
    email: String,
    role: String,
    notice: String,
    error: String,
}

impl AccountPage {
    fn new(visitor: &Visitor, account: &paperhub_app::Account) -> Self {
        AccountPage {
            chrome: Chrome::from(visitor),
            q: String::new(),
            page_title: "Your account".into(),
            name: account.name.clone(),
            email: account.email.to_string(),
            role: account.role.to_string(),
            notice: String::new(),
            error: String::new(),
        }
    }
}

pub async fn show_account(visitor: Visitor) -> Response {
    match &visitor.account {
        Some(account) => render(&AccountPage::new(&visitor, account), StatusCode::OK),
        None => see_other("/login", Vec::new()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<PasswordForm>,
) -> Response {
    if let Err(error) = visitor.check_csrf(&form.csrf) {
        return error_page(error);
    }
    let Some(account) = visitor.account.clone() else {
        return see_other("/login", Vec::new());
    };
    let (current, new) = (form.current, form.new);
    let changed = {
        let account = account.clone();
        state
            .hub(move |hub| hub.accounts().change_password(&account, &current, &new))
            .await
    };
    match changed {
        // Every session ended with the change; this browser gets a new one.
        Ok(()) => sign_in_as(&state, &visitor, account, "/account")
            .await
            .unwrap_or_else(error_page),
        Err(error) => {
            let mut page = AccountPage::new(&visitor, &account);
            page.error = error.public_message();
            with_error(&page, &error)
        }
    }
}
