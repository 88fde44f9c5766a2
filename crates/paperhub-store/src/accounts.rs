//! Accounts and their API tokens.
//!
//! The store keeps what the application layer hands it: a password only as its argon2id hash,
//! a token only as its SHA-256. Which password is good enough, how hashes are made and checked,
//! and who may do what are the application layer's rules, not a backend's.

use chrono::{DateTime, Utc};
use paperhub_core::{Email, Role};

use crate::Result;

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its number, for the store's own references.
    pub id: u64,
    /// Its login, never shown to others.
    pub email: Email,
    /// What the hub shows of it (beside its comments and submissions).
    pub name: String,
    /// The argon2id hash of its password, in the PHC string format.
    pub password_hash: String,
    /// What it may do.
    pub role: Role,
    /// A banned account may sign in and read, and do nothing else.
    pub banned: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// An account to make.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// Its login, unique in the store.
    pub email: &'a Email,
    /// Its display name.
    pub name: &'a str,
    /// The argon2id hash of its password.
    pub password_hash: &'a str,
    /// What it may do.
    pub role: Role,
}

/// An API token of an account, without the token (the store holds only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its number, to name it when revoking.
    pub id: u64,
    /// Whose it is.
    pub account_id: u64,
    /// What its owner called it.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Accounts and API tokens.
pub trait AccountStore: Send + Sync {
    /// Makes an account; [`crate::StoreError::Conflict`] when the email is taken.
    fn create_account(&self, account: &NewAccount<'_>) -> Result<Account>;

    /// The account numbered `id`.
    fn account(&self, id: u64) -> Result<Option<Account>>;

    /// The account that logs in as `email`.
    fn account_by_email(&self, email: &Email) -> Result<Option<Account>>;

    /// Every account, oldest first.
    fn accounts(&self) -> Result<Vec<Account>>;

    /// Gives account `id` the role `role`; [`crate::StoreError::NotFound`] when there is none.
    fn set_role(&self, id: u64, role: Role) -> Result<()>;

    /// Bans or unbans account `id`; [`crate::StoreError::NotFound`] when there is none.
    fn set_banned(&self, id: u64, banned: bool) -> Result<()>;

    /// Replaces account `id`'s password hash; [`crate::StoreError::NotFound`] when there is
    /// none.
    fn set_password_hash(&self, id: u64, password_hash: &str) -> Result<()>;

    /// Replaces account `id`'s display name; [`crate::StoreError::NotFound`] when there is
    /// none.
    fn set_name(&self, id: u64, name: &str) -> Result<()>;

    /// Deletes account `id` in one transaction: its votes and tokens go, its comments become
    /// deleted placeholders with no author, its submissions stay with no submitter.
    /// [`crate::StoreError::NotFound`] when there is none.
    fn delete_account(&self, id: u64) -> Result<()>;

    /// Records a new token of account `account_id` by the SHA-256 of the token (hex).
    fn add_token(&self, account_id: u64, token_hash: &str, label: &str) -> Result<ApiToken>;

    /// The account and token whose hash is `token_hash`.
    fn account_by_token(&self, token_hash: &str) -> Result<Option<(Account, ApiToken)>>;

    /// The tokens of account `account_id`, oldest first.
    fn tokens(&self, account_id: u64) -> Result<Vec<ApiToken>>;

    /// Revokes token `token_id` of account `account_id`; whether there was one.
    fn revoke_token(&self, account_id: u64, token_id: u64) -> Result<bool>;

    /// Starts a web session: `session_hash` (the SHA-256 of the cookie's secret) signs in
    /// account `account_id` until `expires_at`. Expired sessions of the account are dropped on
    /// the way. [`crate::StoreError::NotFound`] when there is no such account.
    fn create_session(
        &self,
        session_hash: &str,
        account_id: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;

    /// The account a session signs in, if the session exists and has not expired at `now`.
    fn account_by_session(&self, session_hash: &str, now: DateTime<Utc>)
        -> Result<Option<Account>>;

    /// Ends one session; whether it existed.
    fn end_session(&self, session_hash: &str) -> Result<bool>;

    /// Ends every session of account `account_id` (log out everywhere, a changed password);
    /// how many there were.
    fn end_sessions(&self, account_id: u64) -> Result<u64>;
}

/// A time as the stores keep it: whole seconds since 1970.
pub fn to_unix(time: DateTime<Utc>) -> i64 {
    time.timestamp()
}

/// A time the stores kept (see [`to_unix`]).
pub fn from_unix(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// An account row's fields, decoded: the email and role checked as the domain spells them.
pub fn decode_account(
    id: i64,
    email: &str,
    name: String,
    password_hash: String,
    role: &str,
    banned: bool,
    created_at: i64,
) -> Result<Account> {
    let email = Email::parse(email).map_err(crate::StoreError::other)?;
    let role = role
        .parse::<Role>()
        .map_err(|e| crate::StoreError::other(anyhow::anyhow!(e)))?;
    Ok(Account {
        id: id as u64,
        email,
        name,
        password_hash,
        role,
        banned,
        created_at: from_unix(created_at),
    })
}
