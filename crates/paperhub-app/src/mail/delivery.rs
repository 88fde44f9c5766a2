//! Delivery: planning a period's digests into the outbox and sending what the outbox holds,
//! exactly once, at a bounded rate, with retries.
//!
//! A digest run first *plans*: one outbox row per active subscriber of the frequency, keyed
//! `digest:{frequency}:{date}:{subscription}` (planning twice, or on two nodes at once, adds
//! each row once). Then workers claim rows under a lease ([`DeliveryRules::lease`]), compose
//! and render each mail, hand it to the [`Postman`] and finish the row in one transaction with
//! the papers it carried. A worker killed at any point leaves its claimed rows to be claimed
//! again when their lease runs out; rows finished stay finished. A temporary failure (4xx, a
//! connection refused or dropped) waits `retry_base * 2^attempts` (at most `retry_max`) and
//! is tried again, up to `max_attempts`; a permanent one (5xx) is counted against the address,
//! which is paused at `pause_after`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use paperhub_core::{Email, Frequency};
use paperhub_store::{Finish, OutboxCounts, OutboxMail};

use super::digest::{DigestRules, Shared};
use super::subscriptions::{CONFIRM_TOKEN_HOURS, KIND_CONFIRM};
use super::Digest;
use super::{Content, DeliveryError, Letter, MailLinks, Postman};
use crate::{Hub, HubError, Result};

/// The outbox kind of a digest.
const KIND_DIGEST: &str = "digest";

/// How mail is delivered.
#[derive(Debug, Clone)]
pub struct DeliveryRules {
    /// The links of the mails.
    pub links: MailLinks,
    /// What a digest holds.
    pub digest: DigestRules,
    /// Mails handed over per second at most, across the workers of this process (0: no limit).
    pub rate_per_sec: u32,
    /// Threads sending at once.
    pub workers: usize,
    /// Mails a worker claims at a time.
    pub batch: usize,
    /// How long a claim holds a mail from other workers: a worker that dies holds its mails
    /// this long. It must exceed `batch` times the transport's timeout.
    pub lease: Duration,
    /// The first retry's wait after a temporary failure.
    pub retry_base: Duration,
    /// The longest wait between retries.
    pub retry_max: Duration,
    /// Tries of a mail before it counts as failed.
    pub max_attempts: u32,
    /// Permanent failures that pause a subscription.
    pub pause_after: u32,
}

impl DeliveryRules {
    /// The defaults, with links under `public_url`.
    pub fn new(public_url: &str) -> Self {
        DeliveryRules {
            links: MailLinks::new(public_url),
            digest: DigestRules::default(),
            rate_per_sec: 100,
            workers: 2,
            batch: 8,
            lease: Duration::from_secs(300),
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            max_attempts: 10,
            pause_after: 3,
        }
    }

    /// The wait before the try after `attempts` failed ones.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts.min(20)).unwrap_or(u32::MAX);
        self.retry_base
            .checked_mul(factor)
            .unwrap_or(self.retry_max)
            .min(self.retry_max)
    }
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeliveryStats {
    /// Mails handed over.
    pub sent: u64,
    /// Mails with nothing to send.
    pub skipped: u64,
    /// Temporary failures, to be tried again.
    pub retried: u64,
    /// Mails that failed for good.
    pub failed: u64,
    /// Seconds composing digests spent searching (trending and topics).
    pub search_secs: f64,
}

/// What a digest run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The outbox keys of the run start with this.
    pub key_prefix: String,
    /// Rows this run added to the outbox (0 when another run planned them).
    pub planned: u64,
    /// What this process did.
    pub stats: DeliveryStats,
    /// The state of every mail of the run at the end.
    pub counts: OutboxCounts,
}

impl RunOutcome {
    /// Whether every mail of the run was handed over or had nothing to send.
    pub fn complete(&self) -> bool {
        self.counts.pending == 0 && self.counts.failed == 0
    }
}

/// A steady pace of at most `rate` mails a second, shared by the workers.
struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(rate: u32) -> Self {
        Pacer {
            interval: (rate > 0).then(|| Duration::from_secs_f64(1.0 / f64::from(rate))),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for the next slot.
    fn wait(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// How a mail ended, owned (see [`Finish`]).
enum Outcome {
    Sent(Vec<u64>),
    Skipped(&'static str),
    Retry(DateTime<Utc>, String),
    Failed(String, bool),
}

/// Sends what the outbox holds through a [`Postman`].
#[derive(Clone)]
pub struct Delivery {
    hub: Hub,
    postman: Arc<dyn Postman>,
    rules: DeliveryRules,
    pacer: Arc<Pacer>,
    owner: String,
    workers_started: Arc<AtomicU64>,
}

impl Delivery {
    /// Delivery of `hub`'s outbox through `postman`.
    pub fn new(hub: Hub, postman: Arc<dyn Postman>, rules: DeliveryRules) -> Self {
        let owner = format!(
            "{}:{}:{}",
            std::process::id(),
            Utc::now().timestamp_micros(),
            &crate::accounts::random_hex()[..8]
        );
        Delivery {
            pacer: Arc::new(Pacer::new(rules.rate_per_sec)),
            hub,
            postman,
            rules,
            owner,
            workers_started: Default::default(),
        }
    }

    /// The outbox key prefix of a period's digests.
    pub fn digest_prefix(frequency: Frequency, date: NaiveDate) -> String {
        format!("{KIND_DIGEST}:{frequency}:{date}:")
    }

    /// Plans the digests of `frequency` ending on `date`: one outbox row per active
    /// subscriber; how many rows were new.
    pub fn plan(&self, frequency: Frequency, date: NaiveDate, now: DateTime<Utc>) -> Result<u64> {
        let payload = serde_json::json!({ "frequency": frequency, "date": date }).to_string();
        Ok(self.hub.store().enqueue_digests(
            &Self::digest_prefix(frequency, date),
            frequency,
            &payload,
            now,
            now,
        )?)
    }

    /// A digest run: plans the period and sends its mails, waiting for retries until every
    /// mail is finished or `wait` has passed.
    pub fn run_digests(
        &self,
        frequency: Frequency,
        date: NaiveDate,
        wait: Duration,
        progress: &(dyn Fn(OutboxCounts) + Sync),
    ) -> Result<RunOutcome> {
        let prefix = Self::digest_prefix(frequency, date);
        let planned = self.plan(frequency, date, Utc::now())?;
        let stats = self.deliver(&prefix, Some(Instant::now() + wait), progress)?;
        Ok(RunOutcome {
            counts: self.hub.store().outbox_counts(&prefix)?,
            key_prefix: prefix,
            planned,
            stats,
        })
    }

    /// Sends the outbox's mails of keys starting with `prefix` that are due now (`until`:
    /// `None`), or (`Some(deadline)`) until none is pending or the deadline passed, waiting
    /// for retries and for other workers' expired claims.
    pub fn deliver(
        &self,
        prefix: &str,
        until: Option<Instant>,
        progress: &(dyn Fn(OutboxCounts) + Sync),
    ) -> Result<DeliveryStats> {
        let shared: Mutex<HashMap<String, Arc<Shared>>> = Mutex::new(HashMap::new());
        let totals = Mutex::new(DeliveryStats::default());
        let failure: Mutex<Option<HubError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..self.rules.workers.max(1) {
                scope.spawn(|| {
                    let n = self.workers_started.fetch_add(1, Ordering::Relaxed);
                    let owner = format!("{}:{n}", self.owner);
                    let result = self.work(&owner, prefix, until, &shared, &totals, progress);
                    if let Err(e) = result {
                        failure
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .get_or_insert(e);
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().unwrap_or(None) {
            return Err(e);
        }
        let mut stats = totals.into_inner().unwrap_or_default();
        stats.search_secs = shared
            .into_inner()
            .unwrap_or_default()
            .values()
            .map(|s| s.search_nanos.load(Ordering::Relaxed) as f64 / 1e9)
            .sum();
        Ok(stats)
    }

    /// One worker's loop.
    fn work(
        &self,
        owner: &str,
        prefix: &str,
        until: Option<Instant>,
        shared: &Mutex<HashMap<String, Arc<Shared>>>,
        totals: &Mutex<DeliveryStats>,
        progress: &(dyn Fn(OutboxCounts) + Sync),
    ) -> Result<()> {
        let store = self.hub.store();
        loop {
            let now = Utc::now();
            let lease = chrono::Duration::from_std(self.rules.lease)
                .unwrap_or(chrono::Duration::seconds(300));
            let batch = store.claim(owner, prefix, self.rules.batch.max(1), now, now + lease)?;
            if batch.is_empty() {
                let Some(deadline) = until else {
                    return Ok(());
                };
                let Some(due) = store.next_due(prefix)? else {
                    return Ok(());
                };
                let wait = (due - Utc::now()).to_std().unwrap_or_default();
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || wait > left {
                    return Ok(());
                }
                std::thread::sleep(wait.clamp(Duration::from_millis(20), Duration::from_secs(1)));
                continue;
            }
            for mail in batch {
                let outcome = self.send(&mail, shared);
                let now = Utc::now();
                let finish = match &outcome {
                    Outcome::Sent(papers) => Finish::Sent { papers },
                    Outcome::Skipped(reason) => Finish::Skipped { reason },
                    Outcome::Retry(at, error) => Finish::Retry { at: *at, error },
                    Outcome::Failed(error, permanent) => Finish::Failed {
                        error,
                        permanent: *permanent,
                        pause_after: self.rules.pause_after,
                    },
                };
                if !store.finish(mail.id, owner, &finish, now)? {
                    tracing::warn!(mail = %mail.key, "the claim expired before the mail was finished: another worker has it");
                }
                let mut t = totals
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match outcome {
                    Outcome::Sent(_) => t.sent += 1,
                    Outcome::Skipped(_) => t.skipped += 1,
                    Outcome::Retry(..) => t.retried += 1,
                    Outcome::Failed(..) => t.failed += 1,
                }
                if (t.sent + t.skipped).is_multiple_of(1000) {
                    drop(t);
                    progress(store.outbox_counts(prefix)?);
                }
            }
        }
    }

    /// Composes, renders and hands over one claimed mail.
    fn send(&self, mail: &OutboxMail, shared: &Mutex<HashMap<String, Arc<Shared>>>) -> Outcome {
        let letter = match self.letter(mail, shared) {
            Ok(Some(letter)) => letter,
            Ok(None) => return Outcome::Skipped("nothing to send"),
            Err(Skip(reason)) => return Outcome::Skipped(reason),
        };
        let letter = match letter {
            Ok(letter) => letter,
            Err(error) => return self.temporary(mail, format!("composing: {error}")),
        };
        self.pacer.wait();
        match self.postman.deliver(&letter) {
            Ok(()) => {
                let papers: Vec<u64> = match &letter.content {
                    Content::Digest(digest) => digest.papers().map(|p| p.key).collect(),
                    _ => Vec::new(),
                };
                // What a member was mailed shows as seen everywhere in the hub.
                if let Content::Digest(Digest {
                    personal: Some(personal),
                    ..
                }) = &letter.content
                {
                    if let Err(error) = self.hub.store().mark_seen(personal.account_id, &papers) {
                        tracing::warn!(mail = %mail.key, %error, "could not mark the digest's papers seen");
                    }
                }
                Outcome::Sent(papers)
            }
            Err(DeliveryError::Temporary(error)) => self.temporary(mail, error),
            Err(DeliveryError::Permanent(error)) => {
                tracing::warn!(mail = %mail.key, %error, "the mail server refused the mail for good");
                Outcome::Failed(error, true)
            }
        }
    }

    /// A temporary failure: retried after the backoff, or failed after the last attempt.
    fn temporary(&self, mail: &OutboxMail, error: String) -> Outcome {
        if mail.attempts + 1 >= self.rules.max_attempts {
            tracing::warn!(mail = %mail.key, %error, "giving up after {} attempts", mail.attempts + 1);
            return Outcome::Failed(error, false);
        }
        let wait = self.rules.backoff(mail.attempts);
        let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        tracing::info!(mail = %mail.key, %error, "retrying in {wait:?}");
        Outcome::Retry(at, error)
    }

    /// The letter of a claimed mail: `Err(Skip)` when it is not to be sent, `Ok(None)` when
    /// it has nothing to say, `Ok(Some(Err))` when composing it failed (tried again later).
    #[allow(clippy::type_complexity)]
    fn letter(
        &self,
        mail: &OutboxMail,
        shared: &Mutex<HashMap<String, Arc<Shared>>>,
    ) -> std::result::Result<Option<Result<Letter>>, Skip> {
        let store = self.hub.store();
        let to = Email::parse(&mail.recipient).map_err(|_| Skip("not an address"))?;
        let payload: serde_json::Value =
            serde_json::from_str(&mail.payload).map_err(|_| Skip("unreadable payload"))?;
        let subscription = match mail.subscription_id.map(|id| store.subscription(id)) {
            None => None,
            Some(Ok(found)) => Some(found.ok_or(Skip("subscription gone"))?),
            Some(Err(e)) => return Ok(Some(Err(e.into()))),
        };
        let links = &self.rules.links;
        match mail.kind.as_str() {
            KIND_CONFIRM => {
                let token = payload["token"].as_str().ok_or(Skip("no token"))?;
                let subscription = subscription.ok_or(Skip("subscription gone"))?;
                if subscription.unsubscribed_at.is_some() {
                    return Err(Skip("unsubscribed"));
                }
                Ok(Some(Ok(Letter {
                    key: mail.key.clone(),
                    to,
                    manage_url: None,
                    unsubscribe_url: None,
                    content: Content::ConfirmSubscription {
                        confirm_url: links.confirm(token),
                        frequency: subscription.frequency,
                        topics: subscription.topics.clone(),
                        valid_hours: CONFIRM_TOKEN_HOURS,
                    },
                })))
            }
            KIND_DIGEST => {
                let subscription = subscription.ok_or(Skip("subscription gone"))?;
                if !subscription.is_active() {
                    return Err(Skip("not subscribed"));
                }
                let frequency: Frequency = payload["frequency"]
                    .as_str()
                    .and_then(|f| f.parse().ok())
                    .ok_or(Skip("no frequency"))?;
                let date: NaiveDate = payload["date"]
                    .as_str()
                    .and_then(|d| d.parse().ok())
                    .ok_or(Skip("no date"))?;
                let run = {
                    let mut runs = shared
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    runs.entry(format!("{frequency}:{date}"))
                        .or_insert_with(|| {
                            Arc::new(Shared::new(
                                frequency,
                                date,
                                links.clone(),
                                self.rules.digest.clone(),
                            ))
                        })
                        .clone()
                };
                let digest = match run.compose(&self.hub, &subscription) {
                    Ok(Some(digest)) => digest,
                    Ok(None) => return Ok(None),
                    Err(e) => return Ok(Some(Err(e))),
                };
                Ok(Some(Ok(Letter {
                    key: mail.key.clone(),
                    to,
                    manage_url: Some(links.manage(&subscription.manage_token)),
                    unsubscribe_url: Some(links.unsubscribe(&subscription.manage_token)),
                    content: Content::Digest(digest),
                })))
            }
            super::account_mail::KIND_CONFIRM_EMAIL | super::account_mail::KIND_RESET_PASSWORD => {
                let token = payload["token"].as_str().ok_or(Skip("no token"))?;
                let content = if mail.kind == super::account_mail::KIND_CONFIRM_EMAIL {
                    Content::ConfirmEmail {
                        confirm_url: links.confirm_email(token),
                        valid_hours: super::account_mail::EMAIL_TOKEN_HOURS,
                    }
                } else {
                    Content::ResetPassword {
                        reset_url: links.reset_password(token),
                        valid_minutes: super::account_mail::RESET_TOKEN_MINUTES,
                    }
                };
                Ok(Some(Ok(Letter {
                    key: mail.key.clone(),
                    to,
                    manage_url: None,
                    unsubscribe_url: None,
                    content,
                })))
            }
            _ => Err(Skip("unknown kind")),
        }
    }

    /// The date a digest run covers when none is given: the latest day the hub lists papers
    /// on (a period is mailed once, so a day with nothing new harvested sends nothing twice),
    /// or yesterday on a hub with no listed day.
    pub fn default_date(&self, now: DateTime<Utc>) -> Result<NaiveDate> {
        Ok(self
            .hub
            .latest_day()?
            .unwrap_or_else(|| (now - chrono::Duration::days(1)).date_naive()))
    }
}

impl Delivery {
    /// What `serve`'s mail thread does each time round: at or after `schedule_hour` (UTC),
    /// when `schedule` is on, plans the daily digest (and on Mondays the weekly one) of the
    /// latest day (planning is idempotent, so every node may do it: each period is planned
    /// once); then sends every mail that is due (confirmations, digests, retries).
    pub fn tick(&self, now: DateTime<Utc>, schedule: Option<u32>) -> Result<DeliveryStats> {
        use chrono::{Datelike as _, Timelike as _};
        if let Some(hour) = schedule {
            if now.hour() >= hour {
                let date = self.default_date(now)?;
                let mut planned = self.plan(Frequency::Daily, date, now)?;
                if now.weekday() == chrono::Weekday::Mon {
                    planned += self.plan(Frequency::Weekly, date, now)?;
                }
                if planned > 0 {
                    tracing::info!(planned, %date, "planned the scheduled digests");
                }
            }
        }
        self.deliver("", None, &|_| {})
    }
}

/// A mail not to send, and why.
struct Skip(&'static str);
