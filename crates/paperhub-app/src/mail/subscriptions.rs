//! Subscriptions: who is mailed, how often, about what, and only after they confirmed.
//!
//! Double opt-in: a request (the form, the API) makes an unconfirmed subscription and puts a
//! confirmation mail in the outbox; its link carries a single-use token, kept only as its
//! SHA-256, good for [`CONFIRM_TOKEN_HOURS`]. The link opens a page whose button confirms (a
//! POST): mail scanners that fetch links confirm nothing. Every mail then carries the
//! subscription's *manage token* in its preferences and unsubscribe links.
//!
//! A request answers the same whether the address was new, unconfirmed or subscribed (nobody
//! learns who subscribes), and changes nothing of a confirmed subscription (see
//! [`paperhub_store::merge`]).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use paperhub_core::{Email, Frequency};
use paperhub_store::{NewMail, NewSubscription, Redeemed, Store, Subscription, TokenPurpose};

use crate::{token_hash, HubError, Result, SearchRequest};

/// Hours a confirmation link stays good.
pub const CONFIRM_TOKEN_HOURS: u32 = 48;
/// The most topics a subscription may have.
pub const MAX_TOPICS: usize = 10;
/// The most characters a topic may have.
pub const MAX_TOPIC_CHARS: usize = 200;
/// The most rows an import takes at once (larger files are refused before anything is stored).
pub const MAX_IMPORT_ROWS: usize = 1_000_000;

/// The subscription use cases, over the store alone (the command line imports while `serve`
/// runs on the same data).
#[derive(Clone)]
pub struct Subscriptions {
    store: Arc<dyn Store>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Rows read.
    pub rows: u64,
    /// Addresses new to the hub.
    pub new: u64,
}

/// One subscription as exported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Export {
    /// The address.
    pub email: String,
    /// `daily` or `weekly`.
    pub frequency: Frequency,
    /// Topics joined by `;`.
    pub topics: String,
    /// `subscribed`, `unconfirmed`, `unsubscribed` or `paused`.
    pub status: &'static str,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// Checks a subscription's topics: at most [`MAX_TOPICS`], each a search query of 1 to
/// [`MAX_TOPIC_CHARS`] characters that parses; empty ones and repeats dropped.
pub fn check_topics(topics: &[String]) -> Result<Vec<String>> {
    let mut kept: Vec<String> = Vec::new();
    for (i, topic) in topics.iter().enumerate() {
        let topic = topic.trim();
        if topic.is_empty() || kept.iter().any(|k| k.eq_ignore_ascii_case(topic)) {
            continue;
        }
        let chars = topic.chars().count();
        if chars > MAX_TOPIC_CHARS {
            return Err(HubError::Invalid(format!(
                "topic {} has {chars} characters; a topic has at most {MAX_TOPIC_CHARS}",
                i + 1
            )));
        }
        if topic.chars().any(|c| c.is_control() || c == ';') {
            return Err(HubError::Invalid(format!(
                "topic {} holds a control character or `;`",
                i + 1
            )));
        }
        SearchRequest::new(topic).keyword_query(1, 0).map_err(|e| {
            HubError::Invalid(format!("topic {} `{topic}` is not a search: {e}", i + 1))
        })?;
        kept.push(topic.to_owned());
    }
    if kept.len() > MAX_TOPICS {
        return Err(HubError::Invalid(format!(
            "{} topics; a subscription has at most {MAX_TOPICS}",
            kept.len()
        )));
    }
    Ok(kept)
}

/// An address as a request gives it.
fn email(text: &str) -> Result<Email> {
    Email::parse(text).map_err(|e| HubError::Invalid(e.to_string()))
}

/// The outbox key of a subscription's confirmation mail for token hash `hash`.
fn confirm_key(hash: &str) -> String {
    format!("confirm:{}", &hash[..hash.len().min(32)])
}

impl Subscriptions {
    /// The subscription use cases over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Subscriptions { store }
    }

    /// Asks to subscribe `email_text`: checks the address and topics, makes or keeps the
    /// subscription, and (unless it is confirmed already) queues a confirmation mail with a
    /// fresh token. Answers the same for every address.
    pub fn request(
        &self,
        email_text: &str,
        frequency: Frequency,
        topics: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let email = email(email_text)?;
        let topics = check_topics(topics)?;
        let manage = format!("pm_{}", crate::accounts::random_hex());
        let subscription = self.store.subscribe(
            &NewSubscription {
                email: &email,
                frequency,
                topics: &topics,
                manage_token: &manage,
                confirmed: false,
            },
            now,
        )?;
        if subscription.confirmed_at.is_some() && subscription.unsubscribed_at.is_none() {
            return Ok(());
        }
        let token = format!("pc_{}", crate::accounts::random_hex());
        let hash = token_hash(&token);
        self.store.add_mail_token(
            &hash,
            TokenPurpose::ConfirmSubscription,
            subscription.id,
            now + Duration::hours(i64::from(CONFIRM_TOKEN_HOURS)),
        )?;
        let payload = serde_json::json!({ "token": token }).to_string();
        self.store.enqueue(
            &[NewMail {
                key: &confirm_key(&hash),
                kind: KIND_CONFIRM,
                subscription_id: Some(subscription.id),
                recipient: &email,
                payload: &payload,
            }],
            now,
        )?;
        Ok(())
    }

    /// Confirms the subscription of a confirmation token; a clear error when the token is
    /// unknown, used or expired.
    pub fn confirm(&self, token: &str, now: DateTime<Utc>) -> Result<Subscription> {
        match self.store.confirm_subscription(&token_hash(token.trim()), now)? {
            Redeemed::Done(subscription) => Ok(subscription),
            Redeemed::Unknown => Err(HubError::NotFound(
                "this confirmation link is not known: copy the whole link from the mail, or subscribe again".into(),
            )),
            Redeemed::Used => Err(HubError::Invalid(
                "this confirmation link was used already: the subscription is confirmed".into(),
            )),
            Redeemed::Expired(at) => Err(HubError::Invalid(format!(
                "this confirmation link expired at {}: subscribe again for a new one",
                at.format("%Y-%m-%d %H:%M UTC")
            ))),
        }
    }

    /// The subscription whose mails carry `manage_token`.
    pub fn by_manage_token(&self, manage_token: &str) -> Result<Subscription> {
        self.store
            .subscription_by_manage_token(manage_token.trim())?
            .ok_or_else(|| {
                HubError::NotFound(
                    "this link is not known: use the link of a recent mail from the hub".into(),
                )
            })
    }

    /// Changes how often and about what the subscription of `manage_token` is mailed.
    pub fn set_preferences(
        &self,
        manage_token: &str,
        frequency: Frequency,
        topics: &[String],
    ) -> Result<Subscription> {
        let topics = check_topics(topics)?;
        let subscription = self.by_manage_token(manage_token)?;
        self.store
            .set_preferences(subscription.id, frequency, &topics)?;
        self.by_manage_token(manage_token)
    }

    /// Unsubscribes the subscription of `manage_token` at once; whether it was subscribed.
    pub fn unsubscribe(&self, manage_token: &str, now: DateTime<Utc>) -> Result<bool> {
        let subscription = self.by_manage_token(manage_token)?;
        Ok(self.store.unsubscribe(subscription.id, now)?)
    }

    /// Imports subscribers from CSV (`email`, optional `frequency` and `topics` joined by `;`,
    /// named by a header line), all or none: a bad row is reported by its line, and nothing of
    /// the file is stored. `confirmed`: the list opted in elsewhere (no confirmation mail);
    /// otherwise each new address gets one.
    pub fn import_csv(
        &self,
        reader: impl std::io::Read,
        source: &str,
        confirmed: bool,
        now: DateTime<Utc>,
    ) -> Result<Imported> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|e| HubError::Invalid(format!("{source}: reading the header line: {e}")))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let Some(email_col) = column("email") else {
            return Err(HubError::Invalid(format!(
                "{source}: line 1: the header names no `email` column (found: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            )));
        };
        let (frequency_col, topics_col) = (column("frequency"), column("topics"));
        let mut rows: Vec<(Email, Frequency, Vec<String>, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for record in csv.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                HubError::Invalid(format!("{source}: line {line}: {e}"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let at = |what: String| HubError::Invalid(format!("{source}: line {line}: {what}"));
            let address =
                email(record.get(email_col).unwrap_or_default()).map_err(|e| at(e.to_string()))?;
            if !seen.insert(address.clone()) {
                return Err(at(format!("{address} is in the file twice")));
            }
            let frequency = match frequency_col.and_then(|c| record.get(c)) {
                None | Some("") => Frequency::Daily,
                Some(text) => text.parse().map_err(|e| at(format!("{e}")))?,
            };
            let topics: Vec<String> = topics_col
                .and_then(|c| record.get(c))
                .unwrap_or_default()
                .split(';')
                .map(str::to_owned)
                .collect();
            let topics = check_topics(&topics).map_err(|e| at(e.to_string()))?;
            if rows.len() >= MAX_IMPORT_ROWS {
                return Err(at(format!(
                    "more than {MAX_IMPORT_ROWS} rows: split the file"
                )));
            }
            let manage = format!("pm_{}", crate::accounts::random_hex());
            rows.push((address, frequency, topics, manage));
        }
        let new_rows: Vec<NewSubscription<'_>> = rows
            .iter()
            .map(|(email, frequency, topics, manage)| NewSubscription {
                email,
                frequency: *frequency,
                topics,
                manage_token: manage,
                confirmed,
            })
            .collect();
        let new = self.store.subscribe_all(&new_rows, now)?;
        if !confirmed {
            for (address, frequency, topics, _) in &rows {
                self.request(address.as_str(), *frequency, topics, now)?;
            }
        }
        Ok(Imported {
            rows: rows.len() as u64,
            new,
        })
    }

    /// Every subscription, in the order they were made, `page` at a time.
    pub fn export(&self, mut each: impl FnMut(Export) -> Result<()>) -> Result<u64> {
        let mut after = 0;
        let mut count = 0;
        loop {
            let page = self.store.subscriptions_after(after, 1_000)?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for s in page {
                count += 1;
                each(Export {
                    status: if s.unsubscribed_at.is_some() {
                        "unsubscribed"
                    } else if s.paused_at.is_some() {
                        "paused"
                    } else if s.confirmed_at.is_some() {
                        "subscribed"
                    } else {
                        "unconfirmed"
                    },
                    email: s.email.as_str().to_owned(),
                    frequency: s.frequency,
                    topics: s.topics.join(";"),
                    created_at: s.created_at.to_rfc3339(),
                })?;
            }
        }
        Ok(count)
    }
}

/// The outbox kind of a confirmation mail.
pub(crate) const KIND_CONFIRM: &str = "confirm_subscription";

impl crate::Hub {
    /// The subscriptions of this hub's store.
    pub fn subscriptions(&self) -> Subscriptions {
        Subscriptions::new(self.store.clone())
    }
}
