//! Accounts and API tokens in SQLite.

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Role};
use paperhub_store::{
    decode_account, from_unix, to_unix, Account, AccountStore, ApiToken, NewAccount, Result,
    StoreError,
};
use rusqlite::OptionalExtension;

use crate::SqliteStore;

const ACCOUNT_COLUMNS: &str = "id, email, name, password_hash, role, banned, created_at";

/// An account row's columns, as read.
type AccountRow = (i64, String, String, String, String, bool, i64);

fn account_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn decode((id, email, name, hash, role, banned, created_at): AccountRow) -> Result<Account> {
    decode_account(id, &email, name, hash, &role, banned, created_at)
}

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: row.get::<_, i64>(0)? as u64,
        account_id: row.get::<_, i64>(1)? as u64,
        label: row.get(2)?,
        created_at: from_unix(row.get(3)?),
    })
}

impl SqliteStore {
    /// Sets one column of account `id`; NotFound when there is no such account.
    fn update_account(&self, id: u64, sql: &str, value: &dyn rusqlite::ToSql) -> Result<()> {
        let changed = self.with_conn(|conn| {
            conn.prepare_cached(sql)?
                .execute(rusqlite::params![value, id as i64])
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl AccountStore for SqliteStore {
    fn create_account(&self, account: &NewAccount<'_>) -> Result<Account> {
        let now = to_unix(Utc::now());
        let row = self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "INSERT INTO accounts (email, name, password_hash, role, banned, created_at) \
                 VALUES (?1, ?5, ?2, ?3, 0, ?4) RETURNING {ACCOUNT_COLUMNS}"
            ))?
            .query_row(
                rusqlite::params![
                    account.email.as_str(),
                    account.password_hash,
                    account.role.as_str(),
                    now,
                    account.name
                ],
                account_row,
            )
        })?;
        decode(row)
    }

    fn account(&self, id: u64) -> Result<Option<Account>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"
            ))?
            .query_row([id as i64], account_row)
            .optional()
        })?
        .map(decode)
        .transpose()
    }

    fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = ?1"
            ))?
            .query_row([email.as_str()], account_row)
            .optional()
        })?
        .map(decode)
        .transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.with_conn(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
            ))?
            .query_map([], account_row)?
            .collect::<rusqlite::Result<Vec<_>>>()
        })?
        .into_iter()
        .map(decode)
        .collect()
    }

    fn set_role(&self, id: u64, role: Role) -> Result<()> {
        self.update_account(
            id,
            "UPDATE accounts SET role = ?1 WHERE id = ?2",
            &role.as_str(),
        )
    }

    fn set_banned(&self, id: u64, banned: bool) -> Result<()> {
        self.update_account(id, "UPDATE accounts SET banned = ?1 WHERE id = ?2", &banned)
    }

    fn set_password_hash(&self, id: u64, password_hash: &str) -> Result<()> {
        self.update_account(
            id,
            "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
            &password_hash,
        )
    }

    fn set_name(&self, id: u64, name: &str) -> Result<()> {
        self.update_account(id, "UPDATE accounts SET name = ?1 WHERE id = ?2", &name)
    }

    fn delete_account(&self, id: u64) -> Result<()> {
        let deleted = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            // Votes and tokens cascade; comments and submissions lose their author (SET NULL).
            tx.prepare_cached("UPDATE comments SET deleted = 1, body = '' WHERE account_id = ?1")?
                .execute([id as i64])?;
            let deleted = tx
                .prepare_cached("DELETE FROM accounts WHERE id = ?1")?
                .execute([id as i64])?;
            tx.commit()?;
            Ok(deleted)
        })?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn add_token(&self, account_id: u64, token_hash: &str, label: &str) -> Result<ApiToken> {
        let now = to_unix(Utc::now());
        self.with_conn(|conn| {
            conn.prepare_cached(
                "INSERT INTO api_tokens (account_id, token_hash, label, created_at) \
                 SELECT id, ?2, ?3, ?4 FROM accounts WHERE id = ?1 \
                 RETURNING id, account_id, label, created_at",
            )?
            .query_row(
                rusqlite::params![account_id as i64, token_hash, label, now],
                token_row,
            )
        })
    }

    fn account_by_token(&self, token_hash: &str) -> Result<Option<(Account, ApiToken)>> {
        let found = self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT a.id, a.email, a.name, a.password_hash, a.role, a.banned, a.created_at, \
                        t.id, t.account_id, t.label, t.created_at \
                 FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
                 WHERE t.token_hash = ?1",
            )?
            .query_row([token_hash], |row| {
                let account = account_row(row)?;
                let token = ApiToken {
                    id: row.get::<_, i64>(7)? as u64,
                    account_id: row.get::<_, i64>(8)? as u64,
                    label: row.get(9)?,
                    created_at: from_unix(row.get(10)?),
                };
                Ok((account, token))
            })
            .optional()
        })?;
        found
            .map(|(account, token)| Ok((decode(account)?, token)))
            .transpose()
    }

    fn tokens(&self, account_id: u64) -> Result<Vec<ApiToken>> {
        self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT id, account_id, label, created_at FROM api_tokens \
                 WHERE account_id = ?1 ORDER BY id",
            )?
            .query_map([account_id as i64], token_row)?
            .collect()
        })
    }

    fn revoke_token(&self, account_id: u64, token_id: u64) -> Result<bool> {
        let removed = self.with_conn(|conn| {
            conn.prepare_cached("DELETE FROM api_tokens WHERE id = ?1 AND account_id = ?2")?
                .execute([token_id as i64, account_id as i64])
        })?;
        Ok(removed > 0)
    }

    fn create_session(
        &self,
        session_hash: &str,
        account_id: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let now = to_unix(Utc::now());
        let made = self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.prepare_cached("DELETE FROM sessions WHERE account_id = ?1 AND expires_at <= ?2")?
                .execute(rusqlite::params![account_id as i64, now])?;
            let made = tx
                .prepare_cached(
                    "INSERT INTO sessions (session_hash, account_id, created_at, expires_at) \
                     SELECT ?1, id, ?3, ?4 FROM accounts WHERE id = ?2",
                )?
                .execute(rusqlite::params![
                    session_hash,
                    account_id as i64,
                    now,
                    to_unix(expires_at)
                ])?;
            tx.commit()?;
            Ok(made)
        })?;
        if made == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn account_by_session(
        &self,
        session_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Account>> {
        let found = self.with_conn(|conn| {
            conn.prepare_cached(
                "SELECT a.id, a.email, a.name, a.password_hash, a.role, a.banned, a.created_at \
                 FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 WHERE s.session_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(rusqlite::params![session_hash, to_unix(now)], account_row)
            .optional()
        })?;
        found.map(decode).transpose()
    }

    fn end_session(&self, session_hash: &str) -> Result<bool> {
        let removed = self.with_conn(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE session_hash = ?1")?
                .execute([session_hash])
        })?;
        Ok(removed > 0)
    }

    fn end_sessions(&self, account_id: u64) -> Result<u64> {
        let removed = self.with_conn(|conn| {
            conn.prepare_cached("DELETE FROM sessions WHERE account_id = ?1")?
                .execute([account_id as i64])
        })?;
        Ok(removed as u64)
    }
}
