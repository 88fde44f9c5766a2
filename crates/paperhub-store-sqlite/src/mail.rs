//! Subscriptions, mail tokens and the outbox in SQLite.
//!
//! Claims take SQLite's one write lock (`BEGIN IMMEDIATE`) and mark the rows with a lease, so
//! that two processes on one file never hold the same mail: the database-wide lock is what
//! PostgreSQL's `FOR UPDATE SKIP LOCKED` does per row.

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Frequency};
use paperhub_store::{
    check_token, decode_subscription, encode_topics, merge, to_unix, Finish, Merge, NewMail,
    NewSubscription, OutboxCounts, OutboxMail, OutboxStore, Redeemed, Result, StoreError,
    Subscription, SubscriptionStore, TokenPurpose, SUBSCRIPTION_COLUMNS,
};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::SqliteStore;

type SubscriptionRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    i64,
);

fn subscription_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SubscriptionRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn decode(row: SubscriptionRow) -> Result<Subscription> {
    let (id, email, frequency, topics, token, confirmed, unsubscribed, paused, failures, created) =
        row;
    decode_subscription(
        id,
        &email,
        &frequency,
        &topics,
        token,
        confirmed,
        unsubscribed,
        paused,
        failures,
        created,
    )
}

fn select_one(
    tx: &rusqlite::Connection,
    filter: &str,
    value: &dyn rusqlite::ToSql,
) -> rusqlite::Result<Option<SubscriptionRow>> {
    tx.prepare_cached(&format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {filter} = ?1"
    ))?
    .query_row([value], subscription_row)
    .optional()
}

/// Subscribes one address inside `tx`; whether it was new, and its row after.
fn subscribe_in(
    tx: &Transaction<'_>,
    new: &NewSubscription<'_>,
    now: DateTime<Utc>,
) -> Result<(bool, SubscriptionRow)> {
    let existing = select_one(tx, "email", &new.email.as_str()).map_err(crate::map_err)?;
    let decoded = existing.clone().map(decode).transpose()?;
    let topics = encode_topics(new.topics);
    let inserted = match merge(decoded.as_ref(), new, now) {
        Merge::Insert { confirmed_at } => {
            tx.prepare_cached(
                "INSERT INTO subscriptions (email, frequency, topics, manage_token, confirmed_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    new.email.as_str(),
                    new.frequency.as_str(),
                    topics,
                    new.manage_token,
                    confirmed_at.map(to_unix),
                    to_unix(now)
                ])
            })
            .map_err(crate::map_err)?;
            true
        }
        Merge::Update { confirmed_at } => {
            tx.prepare_cached(
                "UPDATE subscriptions SET frequency = ?2, topics = ?3, confirmed_at = ?4, \
                 unsubscribed_at = NULL WHERE email = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    new.email.as_str(),
                    new.frequency.as_str(),
                    topics,
                    confirmed_at.map(to_unix)
                ])
            })
            .map_err(crate::map_err)?;
            false
        }
        Merge::Keep => false,
    };
    let row = select_one(tx, "email", &new.email.as_str())
        .map_err(crate::map_err)?
        .ok_or(StoreError::NotFound)?;
    Ok((inserted, row))
}

impl SubscriptionStore for SqliteStore {
    fn subscribe(&self, new: &NewSubscription<'_>, now: DateTime<Utc>) -> Result<Subscription> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(crate::map_err)?;
        let (_, row) = subscribe_in(&tx, new, now)?;
        tx.commit().map_err(crate::map_err)?;
        decode(row)
    }

    fn subscribe_all(&self, rows: &[NewSubscription<'_>], now: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(crate::map_err)?;
        let mut inserted = 0;
        for new in rows {
            inserted += u64::from(subscribe_in(&tx, new, now)?.0);
        }
        tx.commit().map_err(crate::map_err)?;
        Ok(inserted)
    }

    fn subscription(&self, id: u64) -> Result<Option<Subscription>> {
        self.with_conn(|conn| select_one(conn, "id", &(id as i64)))?
            .map(decode)
            .transpose()
    }

    fn subscription_by_email(&self, email: &Email) -> Result<Option<Subscription>> {
        self.with_conn(|conn| select_one(conn, "email", &email.as_str()))?
            .map(decode)
            .transpose()
    }

    fn subscription_by_manage_token(&self, manage_token: &str) -> Result<Option<Subscription>> {
        self.with_conn(|conn| select_one(conn, "manage_token", &manage_token))?
            .map(decode)
            .transpose()
    }

    fn subscriptions_after(&self, after: u64, limit: usize) -> Result<Vec<Subscription>> {
        let rows = self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?
            .query_map(params![after as i64, limit as i64], subscription_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        rows.into_iter().map(decode).collect()
    }

    fn set_preferences(&self, id: u64, frequency: Frequency, topics: &[String]) -> Result<()> {
        let changed = self.with_conn(|conn| {
            conn.prepare_cached(
                "UPDATE subscriptions SET frequency = ?2, topics = ?3 WHERE id = ?1",
            )?
            .execute(params![
                id as i64,
                frequency.as_str(),
                encode_topics(topics)
            ])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn unsubscribe(&self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx
                .prepare_cached(
                    "UPDATE subscriptions SET unsubscribed_at = ?2 \
                     WHERE id = ?1 AND unsubscribed_at IS NULL",
                )?
                .execute(params![id as i64, to_unix(now)])?;
            tx.prepare_cached(
                "UPDATE outbox SET status = 'skipped', last_error = 'unsubscribed', finished_at = ?2 \
                 WHERE subscription_id = ?1 AND status = 'pending'",
            )?
            .execute(params![id as i64, to_unix(now)])?;
            tx.commit()?;
            Ok(changed > 0)
        })
    }

    fn add_mail_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        subject: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "INSERT INTO mail_tokens (token_hash, purpose, subject, expires_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![token_hash, purpose.as_str(), subject as i64, to_unix(expires_at)])
        })?;
        Ok(())
    }

    fn confirm_subscription(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<Subscription>> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(crate::map_err)?;
        let subject =
            match redeem_in(&tx, token_hash, TokenPurpose::ConfirmSubscription, now)?.done() {
                Ok(subject) => subject,
                Err(other) => return Ok(other),
            };
        tx.prepare_cached(
            "UPDATE subscriptions SET confirmed_at = COALESCE(confirmed_at, ?2), \
             unsubscribed_at = NULL WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![subject, to_unix(now)]))
        .map_err(crate::map_err)?;
        let row = select_one(&tx, "id", &subject)
            .map_err(crate::map_err)?
            .ok_or(StoreError::NotFound)?;
        tx.commit().map_err(crate::map_err)?;
        Ok(Redeemed::Done(decode(row)?))
    }

    fn confirm_account_email(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Redeemed<u64>> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(crate::map_err)?;
        let subject = match redeem_in(&tx, token_hash, TokenPurpose::ConfirmEmail, now)?.done() {
            Ok(subject) => subject,
            Err(other) => return Ok(other),
        };
        tx.prepare_cached(
            "UPDATE accounts SET email_confirmed_at = COALESCE(email_confirmed_at, ?2) WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![subject, to_unix(now)]))
        .map_err(crate::map_err)?;
        tx.commit().map_err(crate::map_err)?;
        Ok(Redeemed::Done(subject as u64))
    }

    fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>> {
        let mut conn = self.lock()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(crate::map_err)?;
        let subject = match redeem_in(&tx, token_hash, TokenPurpose::ResetPassword, now)?.done() {
            Ok(subject) => subject,
            Err(other) => return Ok(other),
        };
        (|| {
            tx.prepare_cached("UPDATE accounts SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![subject, password_hash])?;
            tx.prepare_cached("DELETE FROM sessions WHERE account_id = ?1")?
                .execute([subject])?;
            tx.prepare_cached(
                "UPDATE mail_tokens SET used_at = ?3 WHERE subject = ?1 AND purpose = ?2 AND used_at IS NULL",
            )?
            .execute(params![subject, TokenPurpose::ResetPassword.as_str(), to_unix(now)])
        })()
        .map_err(crate::map_err)?;
        tx.commit().map_err(crate::map_err)?;
        Ok(Redeemed::Done(subject as u64))
    }

    fn token_subject(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>> {
        let token: Option<(i64, Option<i64>, i64)> = self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT subject, used_at, expires_at FROM mail_tokens WHERE token_hash = ?1 AND purpose = ?2",
            )?
            .query_row(params![token_hash, purpose.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })?;
        let Some((subject, used_at, expires_at)) = token else {
            return Ok(Redeemed::Unknown);
        };
        Ok(match check_token(used_at, expires_at, now).done() {
            Ok(()) => Redeemed::Done(subject as u64),
            Err(other) => other,
        })
    }

    fn email_confirmed_at(&self, account_id: u64) -> Result<Option<DateTime<Utc>>> {
        let at: Option<Option<i64>> = self.with_conn(|conn| {
            conn.prepare_cached("SELECT email_confirmed_at FROM accounts WHERE id = ?1")?
                .query_row([account_id as i64], |r| r.get(0))
                .optional()
        })?;
        Ok(at.flatten().map(paperhub_store::from_unix))
    }
}

/// Redeems a token of `purpose` inside `tx`: marks it used when it is good; its subject.
fn redeem_in(
    tx: &Transaction<'_>,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Redeemed<i64>> {
    let token: Option<(i64, Option<i64>, i64)> = tx
        .prepare_cached(
            "SELECT subject, used_at, expires_at FROM mail_tokens WHERE token_hash = ?1 AND purpose = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![token_hash, purpose.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
        .map_err(crate::map_err)?;
    let Some((subject, used_at, expires_at)) = token else {
        return Ok(Redeemed::Unknown);
    };
    if let Err(other) = check_token(used_at, expires_at, now).done() {
        return Ok(other);
    }
    tx.prepare_cached("UPDATE mail_tokens SET used_at = ?2 WHERE token_hash = ?1")
        .and_then(|mut s| s.execute(params![token_hash, to_unix(now)]))
        .map_err(crate::map_err)?;
    Ok(Redeemed::Done(subject))
}

fn outbox_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxMail> {
    Ok(OutboxMail {
        id: row.get::<_, i64>(0)? as u64,
        key: row.get(1)?,
        kind: row.get(2)?,
        subscription_id: row.get::<_, Option<i64>>(3)?.map(|id| id as u64),
        recipient: row.get(4)?,
        payload: row.get(5)?,
        attempts: row.get::<_, i64>(6)?.max(0) as u32,
    })
}

impl OutboxStore for SqliteStore {
    fn enqueue(&self, mails: &[NewMail<'_>], now: DateTime<Utc>) -> Result<u64> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut added = 0;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO outbox (key, kind, subscription_id, recipient, payload, due_at, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (key) DO NOTHING",
                )?;
                for mail in mails {
                    added += insert.execute(params![
                        mail.key,
                        mail.kind,
                        mail.subscription_id.map(|id| id as i64),
                        mail.recipient.as_str(),
                        mail.payload,
                        to_unix(now)
                    ])? as u64;
                }
            }
            tx.commit()?;
            Ok(added)
        })
    }

    fn enqueue_digests(
        &self,
        key_prefix: &str,
        frequency: Frequency,
        payload: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let added = tx
                .prepare_cached(
                    "INSERT INTO outbox (key, kind, subscription_id, recipient, payload, due_at, created_at) \
                     SELECT ?1 || id, 'digest', id, email, ?3, ?5, ?5 FROM subscriptions \
                     WHERE frequency = ?2 AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL \
                       AND paused_at IS NULL AND created_at <= ?4 \
                     ORDER BY id ON CONFLICT (key) DO NOTHING",
                )?
                .execute(params![
                    key_prefix,
                    frequency.as_str(),
                    payload,
                    to_unix(until),
                    to_unix(now)
                ])?;
            tx.commit()?;
            Ok(added as u64)
        })
    }

    fn claim(
        &self,
        owner: &str,
        key_prefix: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxMail>> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let claimed = tx
                .prepare_cached(
                    "UPDATE outbox SET lease_owner = ?1, lease_until = ?5 WHERE id IN ( \
                       SELECT id FROM outbox WHERE status = 'pending' AND due_at <= ?4 \
                         AND (lease_until IS NULL OR lease_until <= ?4) AND key LIKE ?2 ESCAPE '\\' \
                       ORDER BY due_at, id LIMIT ?3) \
                     RETURNING id, key, kind, subscription_id, recipient, payload, attempts",
                )?
                .query_map(
                    params![
                        owner,
                        paperhub_store::like_prefix(key_prefix),
                        limit as i64,
                        to_unix(now),
                        to_unix(lease_until)
                    ],
                    outbox_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            let mut claimed = claimed;
            claimed.sort_by_key(|m| m.id);
            Ok(claimed)
        })
    }

    fn finish(
        &self,
        id: u64,
        owner: &str,
        finish: &Finish<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let held: Option<Option<i64>> = tx
                .prepare_cached(
                    "SELECT subscription_id FROM outbox WHERE id = ?1 AND lease_owner = ?2",
                )?
                .query_row(params![id as i64, owner], |r| r.get(0))
                .optional()?;
            let Some(subscription) = held else {
                return Ok(false);
            };
            let now_s = to_unix(now);
            finish_in(&tx, id as i64, subscription, finish, now_s)?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn outbox_counts(&self, key_prefix: &str) -> Result<OutboxCounts> {
        self.with_conn(|conn| {
            let mut counts = OutboxCounts::default();
            let mut stmt = conn.prepare_cached(
                "SELECT status, COUNT(*) FROM outbox WHERE key LIKE ?1 ESCAPE '\\' GROUP BY status",
            )?;
            let rows = stmt.query_map([paperhub_store::like_prefix(key_prefix)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (status, n) = row?;
                let n = n as u64;
                match status.as_str() {
                    "pending" => counts.pending = n,
                    "sent" => counts.sent = n,
                    "skipped" => counts.skipped = n,
                    _ => counts.failed += n,
                }
            }
            Ok(counts)
        })
    }

    fn next_due(&self, key_prefix: &str) -> Result<Option<DateTime<Utc>>> {
        let due: Option<i64> = self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT MIN(MAX(due_at, COALESCE(lease_until, 0))) FROM outbox \
                 WHERE status = 'pending' AND key LIKE ?1 ESCAPE '\\'",
            )?
            .query_row([paperhub_store::like_prefix(key_prefix)], |r| r.get(0))
        })?;
        Ok(due.map(paperhub_store::from_unix))
    }

    fn already_sent(&self, subscription_id: u64, paper_keys: &[u64]) -> Result<Vec<u64>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM digest_papers WHERE subscription_id = ?1 AND paper_key = ?2)",
            )?;
            let mut sent = Vec::new();
            for &key in paper_keys {
                if stmt.query_row(params![subscription_id as i64, key as i64], |r| {
                    r.get::<_, bool>(0)
                })? {
                    sent.push(key);
                }
            }
            Ok(sent)
        })
    }
}

/// Records how mail `id` ended, inside `tx`.
fn finish_in(
    tx: &Transaction<'_>,
    id: i64,
    subscription: Option<i64>,
    finish: &Finish<'_>,
    now: i64,
) -> rusqlite::Result<()> {
    match finish {
        Finish::Sent { papers } => {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'sent', finished_at = ?2, attempts = attempts + 1, \
                 lease_owner = NULL, lease_until = NULL, last_error = NULL, payload = '{}' WHERE id = ?1",
            )?
            .execute(params![id, now])?;
            if let Some(subscription) = subscription {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO digest_papers (subscription_id, paper_key, outbox_id) \
                     VALUES (?1, ?2, ?3)",
                )?;
                for &paper in *papers {
                    insert.execute(params![subscription, paper as i64, id])?;
                }
                tx.prepare_cached("UPDATE subscriptions SET failures = 0 WHERE id = ?1")?
                    .execute([subscription])?;
            }
        }
        Finish::Skipped { reason } => {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'skipped', finished_at = ?2, lease_owner = NULL, \
                 lease_until = NULL, last_error = ?3, payload = '{}' WHERE id = ?1",
            )?
            .execute(params![id, now, reason])?;
        }
        Finish::Retry { at, error } => {
            tx.prepare_cached(
                "UPDATE outbox SET due_at = ?2, attempts = attempts + 1, lease_owner = NULL, \
                 lease_until = NULL, last_error = ?3 WHERE id = ?1",
            )?
            .execute(params![id, to_unix(*at), error])?;
        }
        Finish::Failed {
            error,
            permanent,
            pause_after,
        } => {
            tx.prepare_cached(
                "UPDATE outbox SET status = 'failed', finished_at = ?2, attempts = attempts + 1, \
                 lease_owner = NULL, lease_until = NULL, last_error = ?3, payload = '{}' WHERE id = ?1",
            )?
            .execute(params![id, now, error])?;
            if let (true, Some(subscription)) = (*permanent, subscription) {
                tx.prepare_cached(
                    "UPDATE subscriptions SET failures = failures + 1, \
                     paused_at = CASE WHEN failures + 1 >= ?3 THEN COALESCE(paused_at, ?2) ELSE paused_at END \
                     WHERE id = ?1",
                )?
                .execute(params![subscription, now, *pause_after as i64])?;
            }
        }
    }
    Ok(())
}
