//! How paperhub's mails look and travel.
//!
//! [`render`] turns a [`paperhub_app::Letter`] into a subject and two parts, text and HTML,
//! from the template files in `templates/` (askama: the HTML part escapes every text from
//! outside; both parts work in a client without images or CSS). [`message`] makes the MIME
//! message: `multipart/alternative`, a Message-ID from the outbox key (the same mail sent again
//! after a crash is recognisably the same), and on every mail to a subscriber the RFC 8058
//! headers (`List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`).
//! [`transport`] hands it over: SMTP (lettre, with STARTTLS or TLS and authentication from
//! `mail.smtp_url`), one `.eml` file per mail in a directory (the embedded default), or memory.
//! [`MailSender`] puts the three together as the app's [`paperhub_app::Postman`].

pub mod message;
pub mod render;
pub mod transport;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use lettre::message::Mailbox;
use paperhub_app::{DeliveryError, Letter, Postman};

pub use transport::{MemoryTransport, Transport};

/// Renders letters and hands them to a transport; counts where its time goes.
pub struct MailSender {
    from: Mailbox,
    host: String,
    transport: Transport,
    render_nanos: AtomicU64,
    send_nanos: AtomicU64,
}

/// What a [`MailSender`] could not be made from.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `mail.from` is not an address.
    #[error("mail.from `{0}` is not an address (write `Name <hub@example.org>` or `hub@example.org`): {1}")]
    From(String, String),
    /// `mail.smtp_url` cannot be used.
    #[error("mail.smtp_url: {0}")]
    SmtpUrl(String),
    /// The mail directory cannot be made.
    #[error("mail.dir {0}: {1}")]
    Dir(String, std::io::Error),
}

impl MailSender {
    /// Mails from `from` (`Name <address>` or an address) through `transport`; `public_url`'s
    /// host names the Message-IDs.
    pub fn new(from: &str, public_url: &str, transport: Transport) -> Result<Self, MailError> {
        let from: Mailbox = from.parse().map_err(|e: lettre::address::AddressError| {
            MailError::From(from.into(), e.to_string())
        })?;
        let host = public_url
            .split("://")
            .nth(1)
            .unwrap_or(public_url)
            .split(['/', ':'])
            .next()
            .filter(|h| !h.is_empty())
            .unwrap_or("paperhub.localhost")
            .to_owned();
        Ok(MailSender {
            from,
            host,
            transport,
            render_nanos: AtomicU64::new(0),
            send_nanos: AtomicU64::new(0),
        })
    }

    /// Seconds spent rendering and building messages, and handing them over.
    pub fn timings(&self) -> (f64, f64) {
        (
            self.render_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            self.send_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        )
    }
}

impl Postman for MailSender {
    fn deliver(&self, letter: &Letter) -> Result<(), DeliveryError> {
        let started = Instant::now();
        let rendered = render::render(letter)
            .map_err(|e| DeliveryError::Permanent(format!("rendering the mail: {e}")))?;
        let message = message::build(&self.from, &self.host, letter, &rendered)
            .map_err(|e| DeliveryError::Permanent(format!("building the mail: {e}")))?;
        let built = Instant::now();
        self.render_nanos
            .fetch_add((built - started).as_nanos() as u64, Ordering::Relaxed);
        let result = self.transport.send(&letter.key, &message);
        self.send_nanos
            .fetch_add(built.elapsed().as_nanos() as u64, Ordering::Relaxed);
        result
    }
}
