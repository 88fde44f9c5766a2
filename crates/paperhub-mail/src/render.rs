//! A letter's subject and parts, from the template files.

use askama::Template;
use paperhub_app::{Content, Digest, Letter};
use paperhub_core::Frequency;

/// A letter as words: its subject, text part and HTML part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    heading: &'a str,
    digest: &'a Digest,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    heading: &'a str,
    digest: &'a Digest,
    manage_url: &'a str,
    unsubscribe_url: &'a str,
}

#[derive(Template)]
#[template(path = "confirm.txt")]
struct ConfirmText<'a> {
    confirm_url: &'a str,
    frequency: Frequency,
    topics: &'a [String],
    valid_hours: u32,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmHtml<'a> {
    confirm_url: &'a str,
    frequency: Frequency,
    topics: &'a [String],
    valid_hours: u32,
}

#[derive(Template)]
#[template(path = "confirm_email.txt")]
struct ConfirmEmailText<'a> {
    confirm_url: &'a str,
    valid_hours: u32,
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmEmailHtml<'a> {
    confirm_url: &'a str,
    valid_hours: u32,
}

#[derive(Template)]
#[template(path = "reset_password.txt")]
struct ResetText<'a> {
    reset_url: &'a str,
    valid_minutes: u32,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetHtml<'a> {
    reset_url: &'a str,
    valid_minutes: u32,
}

/// The heading and subject of a digest: "Trending papers of Jun 5, 2025", "… of the week to …".
fn digest_heading(digest: &Digest) -> String {
    let day = digest.date.format("%b %-d, %Y");
    match digest.frequency {
        Frequency::Daily => format!("Trending papers of {day}"),
        Frequency::Weekly => format!("Trending papers of the week to {day}"),
    }
}

/// Renders `letter`.
pub fn render(letter: &Letter) -> Result<Rendered, askama::Error> {
    let manage = letter.manage_url.as_deref().unwrap_or_default();
    let unsubscribe = letter.unsubscribe_url.as_deref().unwrap_or_default();
    Ok(match &letter.content {
        Content::Digest(digest) => {
            let heading = digest_heading(digest);
            Rendered {
                text: tidy(
                    &DigestText {
                        heading: &heading,
                        digest,
                        manage_url: manage,
                        unsubscribe_url: unsubscribe,
                    }
                    .render()?,
                ),
                html: DigestHtml {
                    heading: &heading,
                    digest,
                    manage_url: manage,
                    unsubscribe_url: unsubscribe,
                }
                .render()?,
                subject: heading,
            }
        }
        Content::ConfirmSubscription {
            confirm_url,
            frequency,
            topics,
            valid_hours,
        } => Rendered {
            subject: "Confirm your subscription to trending papers".into(),
            text: tidy(
                &ConfirmText {
                    confirm_url,
                    frequency: *frequency,
                    topics,
                    valid_hours: *valid_hours,
                }
                .render()?,
            ),
            html: ConfirmHtml {
                confirm_url,
                frequency: *frequency,
                topics,
                valid_hours: *valid_hours,
            }
            .render()?,
        },
        Content::ConfirmEmail {
            confirm_url,
            valid_hours,
        } => Rendered {
            subject: "Confirm your email address".into(),
            text: tidy(
                &ConfirmEmailText {
                    confirm_url,
                    valid_hours: *valid_hours,
                }
                .render()?,
            ),
            html: ConfirmEmailHtml {
                confirm_url,
                valid_hours: *valid_hours,
            }
            .render()?,
        },
        Content::ResetPassword {
            reset_url,
            valid_minutes,
        } => Rendered {
            subject: "Reset your password".into(),
            text: tidy(
                &ResetText {
                    reset_url,
                    valid_minutes: *valid_minutes,
                }
                .render()?,
            ),
            html: ResetHtml {
                reset_url,
                valid_minutes: *valid_minutes,
            }
            .render()?,
        },
    })
}

/// A text part with no trailing spaces and at most one empty line in a row.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut empty = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            empty += 1;
            if empty > 1 {
                continue;
            }
        } else {
            empty = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_start_matches('\n').to_owned()
}
