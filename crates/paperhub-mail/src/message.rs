//! The MIME message of a rendered letter, with the headers that make it a good citizen.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use paperhub_app::Letter;

use crate::render::Rendered;

/// `List-Unsubscribe: <https://…>` (RFC 2369), the one-click URL of RFC 8058.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
        ))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// The Message-ID of the outbox mail keyed `key`: the same for every try of it.
pub fn message_id(key: &str, host: &str) -> String {
    let local: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '.'
            }
        })
        .collect();
    format!("<{local}@{host}>")
}

/// The message of `letter` as `rendered`, from `from`.
pub fn build(
    from: &Mailbox,
    host: &str,
    letter: &Letter,
    rendered: &Rendered,
) -> Result<Message, lettre::error::Error> {
    let to = Mailbox::new(
        None,
        letter
            .to
            .as_str()
            .parse()
            .map_err(|_| lettre::error::Error::MissingTo)?,
    );
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&rendered.subject)
        .message_id(Some(message_id(&letter.key, host)));
    if let Some(url) = &letter.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }
    builder.multipart(
        MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(rendered.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(rendered.html.clone()),
            ),
    )
}
