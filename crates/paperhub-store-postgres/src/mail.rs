//! Subscriptions, mail tokens and the outbox in PostgreSQL.
//!
//! Workers on several nodes claim mails with `FOR UPDATE SKIP LOCKED`: a row another worker is
//! claiming is passed over rather than waited for, and once claimed it carries a lease that
//! keeps it from every other claim until it is finished or the lease runs out.

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Frequency};
use paperhub_store::{
    check_token, decode_subscription, encode_topics, from_unix, merge, to_unix, Finish, Merge,
    NewMail, NewSubscription, OutboxCounts, OutboxMail, OutboxStore, Redeemed, Result, StoreError,
    Subscription, SubscriptionStore, TokenPurpose, SUBSCRIPTION_COLUMNS,
};
use postgres::{GenericClient, Row, Transaction};

use crate::{map_err, PostgresStore};

fn decode(row: &Row) -> Result<Subscription> {
    decode_subscription(
        row.get(0),
        row.get::<_, &str>(1),
        row.get::<_, &str>(2),
        row.get::<_, &str>(3),
        row.get(4),
        row.get(5),
        row.get(6),
        row.get(7),
        i64::from(row.get::<_, i32>(8)),
        row.get(9),
    )
}

fn select_one(
    client: &mut impl GenericClient,
    filter: &str,
    value: &(dyn postgres::types::ToSql + Sync),
    lock: bool,
) -> Result<Option<Row>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE {filter} = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    client.query_opt(&sql, &[value]).map_err(map_err)
}

/// Subscribes one address inside `tx`; whether it was new, and its row after.
fn subscribe_in(
    tx: &mut Transaction<'_>,
    new: &NewSubscription<'_>,
    now: DateTime<Utc>,
) -> Result<(bool, Row)> {
    let email = new.email.as_str();
    let existing = select_one(tx, "email", &email, true)?;
    let decoded = existing.as_ref().map(decode).transpose()?;
    let topics = encode_topics(new.topics);
    let inserted = match merge(decoded.as_ref(), new, now) {
        Merge::Insert { confirmed_at } => {
            tx.execute(
                "INSERT INTO subscriptions (email, frequency, topics, manage_token, confirmed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING",
                &[
                    &email,
                    &new.frequency.as_str(),
                    &topics,
                    &new.manage_token,
                    &confirmed_at.map(to_unix),
                    &to_unix(now),
                ],
            )
            .map_err(map_err)?
                > 0
        }
        Merge::Update { confirmed_at } => {
            tx.execute(
                "UPDATE subscriptions SET frequency = $2, topics = $3, confirmed_at = $4, \
                 unsubscribed_at = NULL WHERE email = $1",
                &[
                    &email,
                    &new.frequency.as_str(),
                    &topics,
                    &confirmed_at.map(to_unix),
                ],
            )
            .map_err(map_err)?;
            false
        }
        Merge::Keep => false,
    };
    let row = select_one(tx, "email", &email, false)?.ok_or(StoreError::NotFound)?;
    Ok((inserted, row))
}

impl SubscriptionStore for PostgresStore {
    fn subscribe(&self, new: &NewSubscription<'_>, now: DateTime<Utc>) -> Result<Subscription> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let (_, row) = subscribe_in(&mut tx, new, now)?;
        tx.commit().map_err(map_err)?;
        decode(&row)
    }

    fn subscribe_all(&self, rows: &[NewSubscription<'_>], now: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let mut inserted = 0;
        for new in rows {
            inserted += u64::from(subscribe_in(&mut tx, new, now)?.0);
        }
        tx.commit().map_err(map_err)?;
        Ok(inserted)
    }

    fn subscription(&self, id: u64) -> Result<Option<Subscription>> {
        let mut conn = self.conn()?;
        select_one(&mut **conn, "id", &(id as i64), false)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    fn subscription_by_email(&self, email: &Email) -> Result<Option<Subscription>> {
        let mut conn = self.conn()?;
        select_one(&mut **conn, "email", &email.as_str(), false)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    fn subscription_by_manage_token(&self, manage_token: &str) -> Result<Option<Subscription>> {
        let mut conn = self.conn()?;
        select_one(&mut **conn, "manage_token", &manage_token, false)?
            .as_ref()
            .map(decode)
            .transpose()
    }

    fn subscriptions_after(&self, after: u64, limit: usize) -> Result<Vec<Subscription>> {
        self.query(
            &format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id > $1 ORDER BY id LIMIT $2"
            ),
            &[&(after as i64), &(limit as i64)],
        )?
        .iter()
        .map(decode)
        .collect()
    }

    fn set_preferences(&self, id: u64, frequency: Frequency, topics: &[String]) -> Result<()> {
        let mut conn = self.conn()?;
        let changed = conn
            .execute(
                "UPDATE subscriptions SET frequency = $2, topics = $3 WHERE id = $1",
                &[&(id as i64), &frequency.as_str(), &encode_topics(topics)],
            )
            .map_err(map_err)?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn unsubscribe(&self, id: u64, now: DateTime<Utc>) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let changed = tx
            .execute(
                "UPDATE subscriptions SET unsubscribed_at = $2 WHERE id = $1 AND unsubscribed_at IS NULL",
                &[&(id as i64), &to_unix(now)],
            )
            .map_err(map_err)?;
        tx.execute(
            "UPDATE outbox SET status = 'skipped', last_error = 'unsubscribed', finished_at = $2 \
             WHERE subscription_id = $1 AND status = 'pending'",
            &[&(id as i64), &to_unix(now)],
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(changed > 0)
    }

    fn add_mail_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        subject: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO mail_tokens (token_hash, purpose, subject, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &purpose.as_str(), &(subject as i64), &to_unix(expires_at)],
        )
        .map_err(map_err)?;
        Ok(())
    }

    fn confirm_subscription(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<Subscription>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let subject =
            match redeem_in(&mut tx, token_hash, TokenPurpose::ConfirmSubscription, now)?.done() {
                Ok(subject) => subject,
                Err(other) => return Ok(other),
            };
        tx.execute(
            "UPDATE subscriptions SET confirmed_at = COALESCE(confirmed_at, $2), \
             unsubscribed_at = NULL WHERE id = $1",
            &[&subject, &to_unix(now)],
        )
        .map_err(map_err)?;
        let row = select_one(&mut tx, "id", &subject, false)?.ok_or(StoreError::NotFound)?;
        tx.commit().map_err(map_err)?;
        Ok(Redeemed::Done(decode(&row)?))
    }

    fn confirm_account_email(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Redeemed<u64>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let subject = match redeem_in(&mut tx, token_hash, TokenPurpose::ConfirmEmail, now)?.done()
        {
            Ok(subject) => subject,
            Err(other) => return Ok(other),
        };
        tx.execute(
            "UPDATE accounts SET email_confirmed_at = COALESCE(email_confirmed_at, $2) WHERE id = $1",
            &[&subject, &to_unix(now)],
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(Redeemed::Done(subject as u64))
    }

    fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let subject = match redeem_in(&mut tx, token_hash, TokenPurpose::ResetPassword, now)?.done()
        {
            Ok(subject) => subject,
            Err(other) => return Ok(other),
        };
        tx.execute(
            "UPDATE accounts SET password_hash = $2 WHERE id = $1",
            &[&subject, &password_hash],
        )
        .map_err(map_err)?;
        tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&subject])
            .map_err(map_err)?;
        tx.execute(
            "UPDATE mail_tokens SET used_at = $3 WHERE subject = $1 AND purpose = $2 AND used_at IS NULL",
            &[&subject, &TokenPurpose::ResetPassword.as_str(), &to_unix(now)],
        )
        .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(Redeemed::Done(subject as u64))
    }

    fn token_subject(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Redeemed<u64>> {
        let rows = self.query(
            "SELECT subject, used_at, expires_at FROM mail_tokens WHERE token_hash = $1 AND purpose = $2",
            &[&token_hash, &purpose.as_str()],
        )?;
        let Some(token) = rows.first() else {
            return Ok(Redeemed::Unknown);
        };
        Ok(match check_token(token.get(1), token.get(2), now).done() {
            Ok(()) => Redeemed::Done(token.get::<_, i64>(0) as u64),
            Err(other) => other,
        })
    }

    fn email_confirmed_at(&self, account_id: u64) -> Result<Option<DateTime<Utc>>> {
        let rows = self.query(
            "SELECT email_confirmed_at FROM accounts WHERE id = $1",
            &[&(account_id as i64)],
        )?;
        Ok(rows
            .first()
            .and_then(|r| r.get::<_, Option<i64>>(0))
            .map(from_unix))
    }
}

/// Redeems a token of `purpose` inside `tx` (its row locked): marks it used when it is good;
/// its subject.
fn redeem_in(
    tx: &mut Transaction<'_>,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Redeemed<i64>> {
    let token = tx
        .query_opt(
            "SELECT subject, used_at, expires_at FROM mail_tokens \
             WHERE token_hash = $1 AND purpose = $2 FOR UPDATE",
            &[&token_hash, &purpose.as_str()],
        )
        .map_err(map_err)?;
    let Some(token) = token else {
        return Ok(Redeemed::Unknown);
    };
    if let Err(other) = check_token(token.get(1), token.get(2), now).done() {
        return Ok(other);
    }
    tx.execute(
        "UPDATE mail_tokens SET used_at = $2 WHERE token_hash = $1",
        &[&token_hash, &to_unix(now)],
    )
    .map_err(map_err)?;
    Ok(Redeemed::Done(token.get(0)))
}

impl OutboxStore for PostgresStore {
    fn enqueue(&self, mails: &[NewMail<'_>], now: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let mut added = 0;
        for mail in mails {
            added += tx
                .execute(
                    "INSERT INTO outbox (key, kind, subscription_id, recipient, payload, due_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (key) DO NOTHING",
                    &[
                        &mail.key,
                        &mail.kind,
                        &mail.subscription_id.map(|id| id as i64),
                        &mail.recipient.as_str(),
                        &mail.payload,
                        &to_unix(now),
                    ],
                )
                .map_err(map_err)?;
        }
        tx.commit().map_err(map_err)?;
        Ok(added)
    }

    fn enqueue_digests(
        &self,
        key_prefix: &str,
        frequency: Frequency,
        payload: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO outbox (key, kind, subscription_id, recipient, payload, due_at, created_at) \
             SELECT $1 || id, 'digest', id, email, $3, $5, $5 FROM subscriptions \
             WHERE frequency = $2 AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL \
               AND paused_at IS NULL AND created_at <= $4 \
             ORDER BY id ON CONFLICT (key) DO NOTHING",
            &[
                &key_prefix,
                &frequency.as_str(),
                &payload,
                &to_unix(until),
                &to_unix(now),
            ],
        )
        .map_err(map_err)
    }

    fn claim(
        &self,
        owner: &str,
        key_prefix: &str,
        limit: usize,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<OutboxMail>> {
        let rows = self.query(
            "UPDATE outbox SET lease_owner = $1, lease_until = $5 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND due_at <= $4 \
                 AND (lease_until IS NULL OR lease_until <= $4) AND key LIKE $2 \
               ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, key, kind, subscription_id, recipient, payload, attempts",
            &[
                &owner,
                &paperhub_store::like_prefix(key_prefix),
                &(limit as i64),
                &to_unix(now),
                &to_unix(lease_until),
            ],
        )?;
        let mut claimed: Vec<OutboxMail> = rows
            .iter()
            .map(|r| OutboxMail {
                id: r.get::<_, i64>(0) as u64,
                key: r.get(1),
                kind: r.get(2),
                subscription_id: r.get::<_, Option<i64>>(3).map(|id| id as u64),
                recipient: r.get(4),
                payload: r.get(5),
                attempts: r.get::<_, i32>(6).max(0) as u32,
            })
            .collect();
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    fn finish(
        &self,
        id: u64,
        owner: &str,
        finish: &Finish<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(map_err)?;
        let held = tx
            .query_opt(
                "SELECT subscription_id FROM outbox WHERE id = $1 AND lease_owner = $2 FOR UPDATE",
                &[&(id as i64), &owner],
            )
            .map_err(map_err)?;
        let Some(held) = held else {
            return Ok(false);
        };
        let subscription: Option<i64> = held.get(0);
        finish_in(&mut tx, id as i64, subscription, finish, to_unix(now)).map_err(map_err)?;
        tx.commit().map_err(map_err)?;
        Ok(true)
    }

    fn outbox_counts(&self, key_prefix: &str) -> Result<OutboxCounts> {
        let mut counts = OutboxCounts::default();
        for row in self.query(
            "SELECT status, COUNT(*) FROM outbox WHERE key LIKE $1 GROUP BY status",
            &[&paperhub_store::like_prefix(key_prefix)],
        )? {
            let n = row.get::<_, i64>(1) as u64;
            match row.get::<_, &str>(0) {
                "pending" => counts.pending = n,
                "sent" => counts.sent = n,
                "skipped" => counts.skipped = n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }

    fn next_due(&self, key_prefix: &str) -> Result<Option<DateTime<Utc>>> {
        let row = self.query_one(
            "SELECT MIN(GREATEST(due_at, COALESCE(lease_until, 0))) FROM outbox \
             WHERE status = 'pending' AND key LIKE $1",
            &[&paperhub_store::like_prefix(key_prefix)],
        )?;
        Ok(row.get::<_, Option<i64>>(0).map(from_unix))
    }

    fn already_sent(&self, subscription_id: u64, paper_keys: &[u64]) -> Result<Vec<u64>> {
        let keys: Vec<i64> = paper_keys.iter().map(|&k| k as i64).collect();
        let found: std::collections::HashSet<i64> = self
            .query(
                "SELECT paper_key FROM digest_papers WHERE subscription_id = $1 AND paper_key = ANY($2)",
                &[&(subscription_id as i64), &keys],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(keys
            .into_iter()
            .filter(|k| found.contains(k))
            .map(|k| k as u64)
            .collect())
    }
}

/// Records how mail `id` ended, inside `tx`.
fn finish_in(
    tx: &mut Transaction<'_>,
    id: i64,
    subscription: Option<i64>,
    finish: &Finish<'_>,
    now: i64,
) -> std::result::Result<(), postgres::Error> {
    match finish {
        Finish::Sent { papers } => {
            tx.execute(
                "UPDATE outbox SET status = 'sent', finished_at = $2, attempts = attempts + 1, \
                 lease_owner = NULL, lease_until = NULL, last_error = NULL, payload = '{}' WHERE id = $1",
                &[&id, &now],
            )?;
            if let Some(subscription) = subscription {
                let keys: Vec<i64> = papers.iter().map(|&k| k as i64).collect();
                tx.execute(
                    "INSERT INTO digest_papers (subscription_id, paper_key, outbox_id) \
                     SELECT $1, k, $3 FROM UNNEST($2::BIGINT[]) AS k ON CONFLICT DO NOTHING",
                    &[&subscription, &keys, &id],
                )?;
                tx.execute(
                    "UPDATE subscriptions SET failures = 0 WHERE id = $1 AND failures <> 0",
                    &[&subscription],
                )?;
            }
        }
        Finish::Skipped { reason } => {
            tx.execute(
                "UPDATE outbox SET status = 'skipped', finished_at = $2, lease_owner = NULL, \
                 lease_until = NULL, last_error = $3, payload = '{}' WHERE id = $1",
                &[&id, &now, reason],
            )?;
        }
        Finish::Retry { at, error } => {
            tx.execute(
                "UPDATE outbox SET due_at = $2, attempts = attempts + 1, lease_owner = NULL, \
                 lease_until = NULL, last_error = $3 WHERE id = $1",
                &[&id, &to_unix(*at), error],
            )?;
        }
        Finish::Failed {
            error,
            permanent,
            pause_after,
        } => {
            tx.execute(
                "UPDATE outbox SET status = 'failed', finished_at = $2, attempts = attempts + 1, \
                 lease_owner = NULL, lease_until = NULL, last_error = $3, payload = '{}' WHERE id = $1",
                &[&id, &now, error],
            )?;
            if let (true, Some(subscription)) = (*permanent, subscription) {
                tx.execute(
                    "UPDATE subscriptions SET failures = failures + 1, \
                     paused_at = CASE WHEN failures + 1 >= $3 THEN COALESCE(paused_at, $2) ELSE paused_at END \
                     WHERE id = $1",
                    &[&subscription, &now, &(*pause_after as i32)],
                )?;
            }
        }
    }
    Ok(())
}
