//! Accounts and API tokens in PostgreSQL.

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Role};
use paperhub_store::{
    decode_account, from_unix, to_unix, Account, AccountStore, ApiToken, NewAccount, Result,
    StoreError,
};
use postgres::types::ToSql;
use postgres::Row;

use crate::PostgresStore;

const ACCOUNT_COLUMNS: &str = "id, email, name, password_hash, role, banned, created_at";

/// The account in the row's columns from `at` on (in [`ACCOUNT_COLUMNS`]'s order).
fn decode(row: &Row, at: usize) -> Result<Account> {
    decode_account(
        row.get(at),
        row.get(at + 1),
        row.get(at + 2),
        row.get(at + 3),
        row.get(at + 4),
        row.get(at + 5),
        row.get(at + 6),
    )
}

/// The token in the row's columns from `at` on (id, account_id, label, created_at).
fn token(row: &Row, at: usize) -> ApiToken {
    ApiToken {
        id: row.get::<_, i64>(at) as u64,
        account_id: row.get::<_, i64>(at + 1) as u64,
        label: row.get(at + 2),
        created_at: from_unix(row.get(at + 3)),
    }
}

impl PostgresStore {
    /// Sets one column of account `id`; NotFound when there is no such account.
    fn update_account(&self, id: u64, sql: &str, value: &(dyn ToSql + Sync)) -> Result<()> {
        let mut conn = self.conn()?;
        let changed = conn
            .execute(sql, &[value, &(id as i64)])
            .map_err(crate::map_err)?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl AccountStore for PostgresStore {
    fn create_account(&self, account: &NewAccount<'_>) -> Result<Account> {
        let row = self.query_one(
            &format!(
                "INSERT INTO accounts (email, name, password_hash, role, banned, created_at) \
                 VALUES ($1, $5, $2, $3, FALSE, $4) RETURNING {ACCOUNT_COLUMNS}"
            ),
            &[
                &account.email.as_str(),
                &account.password_hash,
                &account.role.as_str(),
                &to_unix(Utc::now()),
                &account.name,
            ],
        )?;
        decode(&row, 0)
    }

    fn account(&self, id: u64) -> Result<Option<Account>> {
        self.query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
            &[&(id as i64)],
        )?
        .first()
        .map(|row| decode(row, 0))
        .transpose()
    }

    fn account_by_email(&self, email: &Email) -> Result<Option<Account>> {
        self.query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1"),
            &[&email.as_str()],
        )?
        .first()
        .map(|row| decode(row, 0))
        .transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>> {
        self.query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"),
            &[],
        )?
        .iter()
        .map(|row| decode(row, 0))
        .collect()
    }

    fn set_role(&self, id: u64, role: Role) -> Result<()> {
        self.update_account(
            id,
            "UPDATE accounts SET role = $1 WHERE id = $2",
            &role.as_str(),
        )
    }

    fn set_banned(&self, id: u64, banned: bool) -> Result<()> {
        self.update_account(id, "UPDATE accounts SET banned = $1 WHERE id = $2", &banned)
    }

    fn set_password_hash(&self, id: u64, password_hash: &str) -> Result<()> {
        self.update_account(
            id,
            "UPDATE accounts SET password_hash = $1 WHERE id = $2",
            &password_hash,
        )
    }

    fn set_name(&self, id: u64, name: &str) -> Result<()> {
        self.update_account(id, "UPDATE accounts SET name = $1 WHERE id = $2", &name)
    }

    fn delete_account(&self, id: u64) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(crate::map_err)?;
        // Votes and tokens cascade; comments and submissions lose their author (SET NULL).
        tx.execute(
            "UPDATE comments SET deleted = TRUE, body = '' WHERE account_id = $1",
            &[&(id as i64)],
        )
        .map_err(crate::map_err)?;
        let deleted = tx
            .execute("DELETE FROM accounts WHERE id = $1", &[&(id as i64)])
            .map_err(crate::map_err)?;
        tx.commit().map_err(crate::map_err)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn add_token(&self, account_id: u64, token_hash: &str, label: &str) -> Result<ApiToken> {
        let rows = self.query(
            "INSERT INTO api_tokens (account_id, token_hash, label, created_at) \
             SELECT id, $2, $3, $4 FROM accounts WHERE id = $1 \
             RETURNING id, account_id, label, created_at",
            &[
                &(account_id as i64),
                &token_hash,
                &label,
                &to_unix(Utc::now()),
            ],
        )?;
        rows.first()
            .map(|row| token(row, 0))
            .ok_or(StoreError::NotFound)
    }

    fn account_by_token(&self, token_hash: &str) -> Result<Option<(Account, ApiToken)>> {
        self.query(
            "SELECT a.id, a.email, a.name, a.password_hash, a.role, a.banned, a.created_at, \
                    t.id, t.account_id, t.label, t.created_at \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1",
            &[&token_hash],
        )?
        .first()
        .map(|row| Ok((decode(row, 0)?, token(row, 7))))
        .transpose()
    }

    fn tokens(&self, account_id: u64) -> Result<Vec<ApiToken>> {
        Ok(self
            .query(
                "SELECT id, account_id, label, created_at FROM api_tokens \
                 WHERE account_id = $1 ORDER BY id",
                &[&(account_id as i64)],
            )?
            .iter()
            .map(|row| token(row, 0))
            .collect())
    }

    fn revoke_token(&self, account_id: u64, token_id: u64) -> Result<bool> {
        let mut conn = self.conn()?;
        let removed = conn
            .execute(
                "DELETE FROM api_tokens WHERE id = $1 AND account_id = $2",
                &[&(token_id as i64), &(account_id as i64)],
            )
            .map_err(crate::map_err)?;
        Ok(removed > 0)
    }

    fn create_session(
        &self,
        session_hash: &str,
        account_id: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let now = to_unix(Utc::now());
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(crate::map_err)?;
        tx.execute(
            "DELETE FROM sessions WHERE account_id = $1 AND expires_at <= $2",
            &[&(account_id as i64), &now],
        )
        .map_err(crate::map_err)?;
        let made = tx
            .execute(
                "INSERT INTO sessions (session_hash, account_id, created_at, expires_at) \
                 SELECT $1, id, $3, $4 FROM accounts WHERE id = $2",
                &[
                    &session_hash,
                    &(account_id as i64),
                    &now,
                    &to_unix(expires_at),
                ],
            )
            .map_err(crate::map_err)?;
        tx.commit().map_err(crate::map_err)?;
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
        self.query(
            "SELECT a.id, a.email, a.name, a.password_hash, a.role, a.banned, a.created_at \
             FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.session_hash = $1 AND s.expires_at > $2",
            &[&session_hash, &to_unix(now)],
        )?
        .first()
        .map(|row| decode(row, 0))
        .transpose()
    }

    fn end_session(&self, session_hash: &str) -> Result<bool> {
        let mut conn = self.conn()?;
        let removed = conn
            .execute(
                "DELETE FROM sessions WHERE session_hash = $1",
                &[&session_hash],
            )
            .map_err(crate::map_err)?;
        Ok(removed > 0)
    }

    fn end_sessions(&self, account_id: u64) -> Result<u64> {
        let mut conn = self.conn()?;
        conn.execute(
            "DELETE FROM sessions WHERE account_id = $1",
            &[&(account_id as i64)],
        )
        .map_err(crate::map_err)
    }
}
