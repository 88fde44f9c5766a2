//! `GET /subscribe`: what subscribing will be, honestly.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::render;

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage {
    q: String,
    page_title: String,
}

pub async fn show_subscribe() -> Response {
    render(
        &SubscribePage {
            q: String::new(),
            page_title: "Subscribe".into(),
        },
        StatusCode::OK,
    )
}
