//! `GET /subscribe`: what subscribing will be, honestly.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{render, Chrome};
use crate::session::Visitor;

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage {
    chrome: Chrome,
    q: String,
    page_title: String,
}

pub async fn show_subscribe(visitor: Visitor) -> Response {
    render(
        &SubscribePage {
            chrome: Chrome::from(&visitor),
            q: String::new(),
            page_title: "Subscribe".into(),
        },
        StatusCode::OK,
    )
}
