//! Mail: subscriptions with double opt-in ([`Subscriptions`]), the digest of a period
//! (trending papers and each topic's new ones, none twice to the same subscriber), and the
//! delivery of everything in the outbox exactly once ([`Delivery`]).
//!
//! The use cases decide what is mailed to whom and when; how a mail looks and how it travels
//! is a [`Postman`]'s business (`paperhub-mail`: templates, lettre's SMTP, .eml files, memory),
//! so these rules hold whatever the transport.

mod account_mail;
mod delivery;
mod digest;
mod subscriptions;

use chrono::NaiveDate;
use paperhub_core::{Email, Frequency};

pub use account_mail::{EMAIL_TOKEN_HOURS, RESET_TOKEN_MINUTES};
pub use delivery::{Delivery, DeliveryRules, DeliveryStats, RunOutcome};
pub use digest::{DigestRules, DEFAULT_TOPIC_MIN_SIMILARITY};
pub use subscriptions::{
    Export, Imported, Subscriptions, CONFIRM_TOKEN_HOURS, MAX_TOPICS, MAX_TOPIC_CHARS,
};

/// A mail to deliver: to whom, under which idempotency key (the Message-ID is made from it, so
/// that a mail sent again after a crash is recognisably the same), and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    /// The outbox key.
    pub key: String,
    /// The recipient.
    pub to: Email,
    /// The subscription's preferences page, for the mail's footer.
    pub manage_url: Option<String>,
    /// The one-click unsubscribe URL (RFC 8058) and the footer's link.
    pub unsubscribe_url: Option<String>,
    /// What it says.
    pub content: Content,
}

/// What a [`Letter`] says.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Confirm a subscription: open this link and press the button.
    ConfirmSubscription {
        /// The confirmation page (`…/subscriptions/confirm?token=…`).
        confirm_url: String,
        /// How often the subscription asks to be mailed.
        frequency: Frequency,
        /// Its topics.
        topics: Vec<String>,
        /// Hours the link stays good.
        valid_hours: u32,
    },
    /// A period's digest.
    Digest(Digest),
    /// Confirm an account's address: open this link and press the button.
    ConfirmEmail {
        /// The confirmation page (`…/account/confirm?token=…`).
        confirm_url: String,
        /// Hours the link stays good.
        valid_hours: u32,
    },
    /// Reset a forgotten password: open this link and choose a new one.
    ResetPassword {
        /// The reset page (`…/account/reset?token=…`).
        reset_url: String,
        /// Minutes the link stays good.
        valid_minutes: u32,
    },
}

/// A digest of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    /// Daily or weekly.
    pub frequency: Frequency,
    /// The period's last day.
    pub date: NaiveDate,
    /// The hub's front page.
    pub hub_url: String,
    /// The period's trending papers, highest first.
    pub trending: Vec<DigestPaper>,
    /// Each topic's best new papers of the period.
    pub topics: Vec<TopicPapers>,
    /// The member's own picks, beside the community's, when the subscriber's address is a
    /// member's confirmed address.
    pub personal: Option<PersonalPicks>,
}

/// What a digest adds from a member's library.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalPicks {
    /// The member's account (its papers in the digest are marked seen once it is sent).
    pub account_id: u64,
    /// Recommendations of the member's tags, unseen, best first, each with its reason.
    pub recommended: Vec<DigestPaper>,
    /// Each saved search's new papers of the period.
    pub alerts: Vec<TopicPapers>,
}

impl Digest {
    /// Every paper in it, trending first.
    pub fn papers(&self) -> impl Iterator<Item = &DigestPaper> {
        let personal = self.personal.iter().flat_map(|p| {
            p.recommended
                .iter()
                .chain(p.alerts.iter().flat_map(|t| t.papers.iter()))
        });
        self.trending
            .iter()
            .chain(self.topics.iter().flat_map(|t| t.papers.iter()))
            .chain(personal)
    }
}

/// A paper as a digest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestPaper {
    /// The store's key (what is remembered as sent).
    pub key: u64,
    /// Its title.
    pub title: String,
    /// Its first authors, joined (", … and N more" when cut).
    pub authors: String,
    /// The start of its abstract.
    pub summary: String,
    /// Its page on the hub (absolute).
    pub url: String,
    /// Its upvotes.
    pub votes: u64,
    /// Why it is in the digest, when that is more than its section says (a recommendation's
    /// reason); empty otherwise.
    pub why: String,
}

/// A topic's papers in a digest.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicPapers {
    /// The topic as the subscriber wrote it.
    pub topic: String,
    /// Its papers, best first.
    pub papers: Vec<DigestPaper>,
}

/// Why a mail did not go out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again later: the server said 4xx, or could not be reached.
    #[error("temporary: {0}")]
    Temporary(String),
    /// Not worth trying again: the server refused the mail for good (5xx).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Renders and hands over a [`Letter`]: the mail's looks and its transport.
pub trait Postman: Send + Sync {
    /// Delivers one mail to the mail server (or the file, or memory); `Ok` once it took it.
    fn deliver(&self, letter: &Letter) -> std::result::Result<(), DeliveryError>;
}

/// The links of a hub's mails: every one absolute, from `server.public_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailLinks {
    base: String,
}

impl MailLinks {
    /// Links under `public_url` (its trailing `/` dropped).
    pub fn new(public_url: &str) -> Self {
        MailLinks {
            base: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The hub's front page.
    pub fn home(&self) -> String {
        format!("{}/", self.base)
    }

    /// The page of paper `id`.
    pub fn paper(&self, id: &str) -> String {
        format!("{}/papers/{}", self.base, percent(id))
    }

    /// The confirmation page of a subscription token.
    pub fn confirm(&self, token: &str) -> String {
        format!(
            "{}/subscriptions/confirm?token={}",
            self.base,
            percent(token)
        )
    }

    /// The page that confirms an account's address.
    pub fn confirm_email(&self, token: &str) -> String {
        format!("{}/account/confirm?token={}", self.base, percent(token))
    }

    /// The page that sets a new password.
    pub fn reset_password(&self, token: &str) -> String {
        format!("{}/account/reset?token={}", self.base, percent(token))
    }

    /// The preferences page of a subscription.
    pub fn manage(&self, manage_token: &str) -> String {
        format!(
            "{}/subscriptions/manage?token={}",
            self.base,
            percent(manage_token)
        )
    }

    /// The unsubscribe URL of a subscription (a page with a button; a POST unsubscribes).
    pub fn unsubscribe(&self, manage_token: &str) -> String {
        format!(
            "{}/subscriptions/unsubscribe?token={}",
            self.base,
            percent(manage_token)
        )
    }
}

/// `text` with everything but unreserved URL characters percent-encoded.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
