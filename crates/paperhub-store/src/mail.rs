//! Subscriptions, the single-use tokens that mails carry, and the outbox that mails go out
//! of exactly once.
//!
//! The outbox holds one row per mail, named by an idempotency key (`digest:daily:2025-06-05:17`:
//! one per subscriber and period; `confirm:…` for a confirmation): enqueuing a key twice adds
//! nothing. A worker *claims* rows (a lease until a time, under its own name; PostgreSQL skips
//! rows another worker holds locked, SQLite takes its one write lock), sends each and *finishes*
//! it (sent, skipped, to retry at a time, failed). A worker that dies leaves its claims to
//! expire, and they are claimed again: a mail is sent once unless a worker dies between the
//! mail server's acceptance and the finish, and then again under the same Message-ID (which the
//! file transport's file name and a receiving server can recognise).

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Frequency};

use crate::Result;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its number.
    pub id: u64,
    /// Where digests go (unique in the store).
    pub email: Email,
    /// How often.
    pub frequency: Frequency,
    /// Search queries whose new papers the digest adds, in the subscriber's order.
    pub topics: Vec<String>,
    /// When the address was confirmed (`None`: never mailed anything but the confirmation).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it unsubscribed (`None`: subscribed).
    pub unsubscribed_at: Option<DateTime<Utc>>,
    /// When delivery stopped after too many permanent failures (`None`: delivering).
    pub paused_at: Option<DateTime<Utc>>,
    /// Permanent delivery failures since the last mail that went through.
    pub failures: u32,
    /// The secret of the preferences and unsubscribe links of its mails.
    pub manage_token: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    /// Whether digests go to it now: confirmed, subscribed, not paused.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none() && self.paused_at.is_none()
    }
}

/// A subscription to make, or to change when its address is subscribed already.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    /// The address.
    pub email: &'a Email,
    /// How often.
    pub frequency: Frequency,
    /// Its topics.
    pub topics: &'a [String],
    /// The secret of its mails' links (kept when the address had a subscription).
    pub manage_token: &'a str,
    /// Confirmed already (an operator's import of a list that opted in elsewhere).
    pub confirmed: bool,
}

/// What a single-use mail token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Confirms a subscription (double opt-in).
    ConfirmSubscription,
    /// Confirms an account's email address.
    ConfirmEmail,
    /// Sets a new password for an account.
    ResetPassword,
}

impl TokenPurpose {
    /// The purpose as the store spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::ConfirmSubscription => "confirm_subscription",
            TokenPurpose::ConfirmEmail => "confirm_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

/// What redeeming a token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed<T> {
    /// It was good, is used up now, and did this.
    Done(T),
    /// No token of this purpose has this hash.
    Unknown,
    /// It was used before.
    Used,
    /// It expired (at this time).
    Expired(DateTime<Utc>),
}

impl<T> Redeemed<T> {
    /// What a good token did, or (as `Err`) why it did nothing, as a result of any type.
    pub fn done<U>(self) -> std::result::Result<T, Redeemed<U>> {
        match self {
            Redeemed::Done(value) => Ok(value),
            Redeemed::Unknown => Err(Redeemed::Unknown),
            Redeemed::Used => Err(Redeemed::Used),
            Redeemed::Expired(at) => Err(Redeemed::Expired(at)),
        }
    }
}

/// Subscriptions, and the single-use tokens of every mail (a subscription's confirmation, an
/// account's email confirmation and password reset).
pub trait SubscriptionStore: Send + Sync {
    /// Subscribes `new.email`, or changes the subscription it has (frequency, topics; one that
    /// had unsubscribed is subscribed again, unconfirmed unless `new.confirmed`). Returns it.
    fn subscribe(&self, new: &NewSubscription<'_>, now: DateTime<Utc>) -> Result<Subscription>;

    /// Subscribes every row in one transaction (all or none), as [`SubscriptionStore::subscribe`]
    /// does one; how many addresses were new.
    fn subscribe_all(&self, rows: &[NewSubscription<'_>], now: DateTime<Utc>) -> Result<u64>;

    /// The subscription numbered `id`.
    fn subscription(&self, id: u64) -> Result<Option<Subscription>>;

    /// The subscription of `email`.
    fn subscription_by_email(&self, email: &Email) -> Result<Option<Subscription>>;

    /// The subscription whose mails' links carry `manage_token`.
    fn subscription_by_manage_token(&self, manage_token: &str) -> Result<Option<Subscription>>;

    /// Up to `limit` subscriptions numbered above `after`, in number order (an export's pages).
    fn subscriptions_after(&self, after: u64, limit: usize) -> Result<Vec<Subscription>>;

    /// Changes how often and about what subscription `id` is mailed.
    /// [`crate::StoreError::NotFound`] when there is none.
    fn set_preferences(&self, id: u64, frequency: Frequency, topics: &[String]) -> Result<()>;

    /// Unsubscribes `id` at `now` (its pending mails are dropped); whether it was subscribed.
    fn unsubscribe(&self, id: u64, now: DateTime<Utc>) -> Result<bool>;

    /// Records a single-use token (its SHA-256) for `purpose` about `subject` (a subscription
    /// or an account number), good until `expires_at`.
    fn add_mail_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        subject: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// Redeems a [`TokenPurpose::ConfirmSubscription`] token and confirms its subscription, in
    /// one transaction.
    fn confirm_subscription(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<Subscription>>;

    /// Redeems a [`TokenPurpose::ConfirmEmail`] token and records its account's address as
    /// confirmed, in one transaction; the account's number.
    fn confirm_account_email(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Redeemed<u64>>;

    /// Redeems a [`TokenPurpose::ResetPassword`] token: sets its account's password hash, ends
    /// every session of the account and spends every other reset token of it, in one
    /// transaction; the account's number.
    fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>>;

    /// The subject of a good token of `purpose`, without spending it (to check what it is for
    /// before redeeming it).
    fn token_subject(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>>;

    /// When account `account_id` confirmed its address (`None`: not yet, or no such account).
    fn email_confirmed_at(&self, account_id: u64) -> Result<Option<DateTime<Utc>>>;
}

/// A mail to add to the outbox.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// The idempotency key: a second mail with the same key is not added.
    pub key: &'a str,
    /// What kind of mail (`confirm_subscription`, `digest`, …), for the sender to render.
    pub kind: &'a str,
    /// The subscription it is for, if any.
    pub subscription_id: Option<u64>,
    /// Where it goes.
    pub recipient: &'a Email,
    /// What the sender needs to render it (JSON).
    pub payload: &'a str,
}

/// A mail claimed from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    /// Its row.
    pub id: u64,
    /// Its idempotency key.
    pub key: String,
    /// Its kind.
    pub kind: String,
    /// The subscription it is for.
    pub subscription_id: Option<u64>,
    /// Where it goes.
    pub recipient: String,
    /// What the sender needs to render it.
    pub payload: String,
    /// Tries before this one.
    pub attempts: u32,
}

/// How a claimed mail ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish<'a> {
    /// The mail server took it; `papers` (keys) went to its subscriber and are not sent again.
    Sent {
        /// The papers it carried.
        papers: &'a [u64],
    },
    /// There was nothing to send (an empty digest, a subscriber gone).
    Skipped {
        /// Why.
        reason: &'a str,
    },
    /// A temporary failure: try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What failed.
        error: &'a str,
    },
    /// It will not be sent: a permanent failure (counted against the subscription, which is
    /// paused at `pause_after` failures), or too many temporary ones.
    Failed {
        /// What failed.
        error: &'a str,
        /// Whether the server refused the address for good (counted against it).
        permanent: bool,
        /// Permanent failures that pause a subscription.
        pause_after: u32,
    },
}

/// How many mails of the outbox (or of one run) are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    /// Waiting to be sent (some perhaps claimed now, or waiting for a retry).
    pub pending: u64,
    /// Handed to the mail server.
    pub sent: u64,
    /// Not sent: nothing to send.
    pub skipped: u64,
    /// Not sent: failed for good.
    pub failed: u64,
}

/// The mail outbox.
pub trait OutboxStore: Send + Sync {
    /// Adds the mails whose keys are new; how many were.
    fn enqueue(&self, mails: &[NewMail<'_>], now: DateTime<Utc>) -> Result<u64>;

    /// Adds one `kind` mail keyed `{key_prefix}{subscription id}` with `payload` for every
    /// active subscription of `frequency` made at or before `until`, in one statement; how many were
    /// new.
    fn enqueue_digests(
        &self,
        key_prefix: &str,
        frequency: Frequency,
        payload: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// Claims up to `limit` pending mails (of keys starting with `key_prefix`) due at `now`
    /// and not held by another worker, for `owner` until `lease_until`.
    fn claim(
        &self,
        owner: &str,
        key_prefix: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxMail>>;

    /// Ends `owner`'s claim on mail `id` as `finish` says; false (and nothing changed) when
    /// the claim is no longer `owner`'s.
    fn finish(&self, id: u64, owner: &str, finish: &Finish<'_>, now: DateTime<Utc>)
        -> Result<bool>;

    /// How many mails of keys starting with `key_prefix` are in each state.
    fn outbox_counts(&self, key_prefix: &str) -> Result<OutboxCounts>;

    /// When the next pending mail of keys starting with `key_prefix` is due (`None`: none is
    /// pending).
    fn next_due(&self, key_prefix: &str) -> Result<Option<DateTime<Utc>>>;

    /// Which of `paper_keys` were sent to subscription `subscription_id` before.
    fn already_sent(&self, subscription_id: u64, paper_keys: &[u64]) -> Result<Vec<u64>>;
}

/// The topics as the stores keep them: a JSON array of strings.
pub fn encode_topics(topics: &[String]) -> String {
    serde_json::to_string(topics).unwrap_or_else(|_| "[]".into())
}

/// Topics the stores kept (see [`encode_topics`]).
pub fn decode_topics(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(crate::StoreError::other)
}

/// What [`SubscriptionStore::subscribe`] does with an address: the one rule of every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// A new address: make its subscription (confirmed at this time, for an import).
    Insert {
        /// When it counts as confirmed.
        confirmed_at: Option<DateTime<Utc>>,
    },
    /// Change the stored one: new preferences, (un)confirmed as here, subscribed again.
    Update {
        /// When it counts as confirmed.
        confirmed_at: Option<DateTime<Utc>>,
    },
    /// Leave it as it is.
    Keep,
}

/// How `new` meets the subscription `existing` of its address at `now`.
///
/// - A new address is subscribed (unconfirmed, unless an import says it opted in).
/// - An address that unsubscribed is subscribed again only by its own request (the form, the
///   API), unconfirmed: an import does not undo an unsubscribe.
/// - A confirmed subscription is changed only by an import: a request through the form can
///   come from anyone, and changes nothing (its owner has the preferences link).
/// - An unconfirmed one takes the new preferences.
pub fn merge(
    existing: Option<&Subscription>,
    new: &NewSubscription<'_>,
    now: DateTime<Utc>,
) -> Merge {
    let confirmed_now = new.confirmed.then_some(now);
    match existing {
        None => Merge::Insert {
            confirmed_at: confirmed_now,
        },
        Some(e) if e.unsubscribed_at.is_some() => {
            if new.confirmed {
                Merge::Keep
            } else {
                Merge::Update { confirmed_at: None }
            }
        }
        Some(e) => match (e.confirmed_at, new.confirmed) {
            (None, _) => Merge::Update {
                confirmed_at: confirmed_now,
            },
            (Some(at), true) => Merge::Update {
                confirmed_at: Some(at),
            },
            (Some(_), false) => Merge::Keep,
        },
    }
}

/// A subscription row's fields, decoded.
#[allow(clippy::too_many_arguments)]
pub fn decode_subscription(
    id: i64,
    email: &str,
    frequency: &str,
    topics: &str,
    manage_token: String,
    confirmed_at: Option<i64>,
    unsubscribed_at: Option<i64>,
    paused_at: Option<i64>,
    failures: i64,
    created_at: i64,
) -> Result<Subscription> {
    use crate::accounts::from_unix;
    Ok(Subscription {
        id: id as u64,
        email: Email::parse(email).map_err(crate::StoreError::other)?,
        frequency: frequency.parse().map_err(crate::StoreError::other)?,
        topics: decode_topics(topics)?,
        manage_token,
        confirmed_at: confirmed_at.map(from_unix),
        unsubscribed_at: unsubscribed_at.map(from_unix),
        paused_at: paused_at.map(from_unix),
        failures: failures.max(0) as u32,
        created_at: from_unix(created_at),
    })
}

/// The columns of a subscription row, in [`decode_subscription`]'s order.
pub const SUBSCRIPTION_COLUMNS: &str = "id, email, frequency, topics, manage_token, confirmed_at, \
     unsubscribed_at, paused_at, failures, created_at";

/// How a token row reads when redeemed at `now`: good, used, or expired.
pub fn check_token(used_at: Option<i64>, expires_at: i64, now: DateTime<Utc>) -> Redeemed<()> {
    if used_at.is_some() {
        Redeemed::Used
    } else if expires_at <= crate::to_unix(now) {
        Redeemed::Expired(crate::from_unix(expires_at))
    } else {
        Redeemed::Done(())
    }
}

/// The `LIKE` pattern of the keys starting with `prefix`: `%`, `_` and `\` escaped by `\`
/// (PostgreSQL's default escape; the SQLite statements say `ESCAPE '\'`).
pub fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
