//! Accounts: who may sign in, with which password, and which API tokens act for them.
//!
//! The rules live here, for every edge (the command line now; the web's sign-up, log-in and
//! bearer tokens next): a password has at least [`MIN_PASSWORD_CHARS`] characters and is not
//! guessable (zxcvbn score at least [`MIN_PASSWORD_SCORE`] of 4, the email's words counted as
//! known to an attacker); it is stored only as its argon2id hash with OWASP's parameters
//! (19 MiB, 2 passes, 1 lane); an API token is 32 random bytes, shown once and stored only as
//! its SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use paperhub_core::{Email, Role};
use paperhub_store::{Account, ApiToken, NewAccount};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use paperhub_store::Store;

use crate::{Hub, HubError, Result};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The lowest zxcvbn score (0 to 4) a password may have: 3 is "safely unguessable: moderate
/// protection from offline slow-hash scenario".
pub const MIN_PASSWORD_SCORE: u8 = 3;
/// The most characters a display name may have.
pub const MAX_NAME_CHARS: usize = 40;
/// API tokens start with this, so that a leaked one is recognised (by secret scanners too).
pub const TOKEN_PREFIX: &str = "ph_";

/// argon2id with OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1).
fn argon2() -> Argon2<'static> {
    let params =
        Params::new(19 * 1024, 2, 1, None).expect("invariant: OWASP's parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks `password` against the rules, for the account `email`.
pub fn check_password(password: &str, email: &Email) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(HubError::Invalid(format!(
            "the password has {chars} characters; it needs at least {MIN_PASSWORD_CHARS}"
        )));
    }
    let known: Vec<&str> = email
        .as_str()
        .split(['@', '.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .collect();
    let estimate = zxcvbn::zxcvbn(password, &known);
    let score = u8::from(estimate.score());
    if score < MIN_PASSWORD_SCORE {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(HubError::Invalid(format!(
            "the password is too easy to guess{hint}: try a longer phrase of unrelated words"
        )));
    }
    Ok(())
}

/// The display name an account shows: `name` trimmed (1 to [`MAX_NAME_CHARS`] characters, no
/// control characters), or without one the local part of the email. It is only ever shown
/// escaped, like every text from outside.
pub fn display_name(name: Option<&str>, email: &Email) -> Result<String> {
    let name = match name.map(str::trim) {
        Some(name) => name.to_owned(),
        None => {
            let local = email.as_str().split('@').next().unwrap_or_default();
            local.chars().take(MAX_NAME_CHARS).collect()
        }
    };
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(HubError::Invalid(format!(
            "a display name has 1 to {MAX_NAME_CHARS} characters; this one has {chars}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(HubError::Invalid(
            "a display name may not hold control characters".into(),
        ));
    }
    Ok(name)
}

/// The argon2id hash of `password` (a PHC string, salt included).
pub fn hash_password(password: &str) -> Result<String> {
    // 16 random bytes from the operating system's generator (rand's ThreadRng reseeds from it).
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| HubError::Invalid(format!("making a salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HubError::Invalid(format!("hashing the password: {e}")))
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The hex SHA-256 of a token: what the store keeps of it.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh token: the prefix and 32 random bytes in hex.
fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex())
}

/// 32 random bytes from the operating system's generator, in hex.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A web session's secret (the cookie's value) starts with this.
pub const SESSION_PREFIX: &str = "ps_";

/// A hash that no password matches, checked when an email has no account so that a log-in
/// takes as long for an unknown email as for a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_hex()).unwrap_or_default())
}

/// An email as a request gives it.
fn email(text: &str) -> Result<Email> {
    Email::parse(text).map_err(|e| HubError::Invalid(e.to_string()))
}

/// The accounts use cases, over the store alone (no index): the command line manages
/// accounts while `serve` runs on the same data.
#[derive(Clone)]
pub struct Accounts {
    pub(crate) store: Arc<dyn Store>,
}

impl Hub {
    /// The accounts of this hub's store.
    pub fn accounts(&self) -> Accounts {
        Accounts::new(self.store.clone())
    }
}

impl Accounts {
    /// The accounts of `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Accounts { store }
    }

    /// Makes an account for `email` with `password` (checked against the rules, stored as its
    /// argon2id hash), `role` and the display name `name` (see [`display_name`]);
    /// [`HubError::Conflict`] when the email has one.
    pub fn add_account(
        &self,
        email_text: &str,
        password: &str,
        role: Role,
        name: Option<&str>,
    ) -> Result<Account> {
        let email = email(email_text)?;
        let name = display_name(name, &email)?;
        check_password(password, &email)?;
        if self.store.account_by_email(&email)?.is_some() {
            return Err(HubError::Conflict(format!(
                "{email} already has an account"
            )));
        }
        let password_hash = hash_password(password)?;
        Ok(self.store.create_account(&NewAccount {
            email: &email,
            name: &name,
            password_hash: &password_hash,
            role,
        })?)
    }

    /// Signs up: a member account for `email` with `password` (the rules of
    /// [`Accounts::add_account`]), and a first API token for it, returned once.
    pub fn sign_up(
        &self,
        email_text: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<(Account, String)> {
        let account = self.add_account(email_text, password, Role::Member, name)?;
        let (token, _) = self.issue_token(account.email.as_str(), "sign-up")?;
        self.request_email_confirmation(&account, chrono::Utc::now())?;
        Ok((account, token))
    }

    /// The account of `email`; [`HubError::NotFound`] when there is none.
    pub fn account_of(&self, email_text: &str) -> Result<Account> {
        let email = email(email_text)?;
        self.store
            .account_by_email(&email)?
            .ok_or_else(|| HubError::NotFound(format!("no account for {email}")))
    }

    /// The account of `email` when `password` is its password (and `None` otherwise, the
    /// same answer for a wrong password and an unknown email).
    pub fn sign_in(&self, email_text: &str, password: &str) -> Result<Option<Account>> {
        let account = match Email::parse(email_text) {
            Ok(email) => self.store.account_by_email(&email)?,
            Err(_) => None,
        };
        let hash = account
            .as_ref()
            .map_or(decoy_hash(), |a| a.password_hash.as_str());
        let matches = verify_password(password, hash);
        Ok(account.filter(|_| matches))
    }

    /// Starts a web session for `account`, for `lifetime`: returns its secret (the cookie's
    /// value, a fresh one at every log-in), of which the store keeps only the SHA-256.
    pub fn start_session(&self, account: &Account, lifetime: chrono::Duration) -> Result<String> {
        let secret = format!("{SESSION_PREFIX}{}", random_hex());
        self.store.create_session(
            &token_hash(&secret),
            account.id,
            chrono::Utc::now() + lifetime,
        )?;
        Ok(secret)
    }

    /// The account a session's secret signs in, if the session is the hub's and not expired.
    pub fn account_for_session(&self, secret: &str) -> Result<Option<Account>> {
        if !secret.starts_with(SESSION_PREFIX) {
            return Ok(None);
        }
        Ok(self
            .store
            .account_by_session(&token_hash(secret), chrono::Utc::now())?)
    }

    /// Ends the session of `secret` (log out).
    pub fn end_session(&self, secret: &str) -> Result<()> {
        self.store.end_session(&token_hash(secret))?;
        Ok(())
    }

    /// Ends every web session of `account` (log out everywhere); how many there were. Its API
    /// tokens stay: they are listed and revoked one by one.
    pub fn end_sessions(&self, account: &Account) -> Result<u64> {
        Ok(self.store.end_sessions(account.id)?)
    }

    /// Changes `account`'s password when `current` is its password now and `new` keeps the
    /// rules; every web session of the account ends (the caller starts a new one for the
    /// member who changed it). A wrong current password is [`HubError::Forbidden`].
    pub fn change_password(&self, account: &Account, current: &str, new: &str) -> Result<()> {
        if !verify_password(current, &account.password_hash) {
            return Err(HubError::Forbidden(
                "the current password is not this account's: nothing was changed".into(),
            ));
        }
        check_password(new, &account.email)?;
        self.store
            .set_password_hash(account.id, &hash_password(new)?)?;
        self.store.end_sessions(account.id)?;
        Ok(())
    }

    /// Renames `account` (see [`display_name`]).
    pub fn rename(&self, account: &Account, name: &str) -> Result<Account> {
        let name = display_name(Some(name), &account.email)?;
        self.store.set_name(account.id, &name)?;
        self.account_of(account.email.as_str())
    }

    /// Deletes `account` when `password` is its password: its votes, tokens and comments go
    /// (a comment with replies stays as a placeholder), its submissions stay, shown as from a
    /// deleted account. A wrong password is [`HubError::Forbidden`] and deletes nothing.
    pub fn delete_account(&self, account: &Account, password: &str) -> Result<()> {
        if !verify_password(password, &account.password_hash) {
            return Err(HubError::Forbidden(
                "the password is not this account's: nothing was deleted".into(),
            ));
        }
        Ok(self.store.delete_account(account.id)?)
    }

    /// Every account, oldest first.
    pub fn list(&self) -> Result<Vec<Account>> {
        Ok(self.store.accounts()?)
    }

    /// Gives the account of `email` the role `role`.
    pub fn set_role(&self, email_text: &str, role: Role) -> Result<Account> {
        let account = self.account_of(email_text)?;
        self.store.set_role(account.id, role)?;
        self.account_of(email_text)
    }

    /// Bans (or unbans) the account of `email`: it may still sign in and read, and nothing else.
    pub fn set_banned(&self, email_text: &str, banned: bool) -> Result<Account> {
        let account = self.account_of(email_text)?;
        self.store.set_banned(account.id, banned)?;
        self.account_of(email_text)
    }

    /// A new API token for the account of `email`, called `label`: returned once, stored only
    /// as its hash.
    pub fn issue_token(&self, email_text: &str, label: &str) -> Result<(String, ApiToken)> {
        let account = self.account_of(email_text)?;
        let token = new_token();
        let stored = self
            .store
            .add_token(account.id, &token_hash(&token), label.trim())?;
        Ok((token, stored))
    }

    /// The account a bearer token acts for, if the token is one of the hub's.
    pub fn account_for_token(&self, token: &str) -> Result<Option<Account>> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self
            .store
            .account_by_token(&token_hash(token))?
            .map(|(account, _)| account))
    }

    /// The tokens of the account of `email` (labels and dates; never the tokens).
    pub fn tokens_of(&self, email_text: &str) -> Result<Vec<ApiToken>> {
        let account = self.account_of(email_text)?;
        Ok(self.store.tokens(account.id)?)
    }

    /// Revokes token `token_id` of the account of `email`; [`HubError::NotFound`] when it has
    /// no such token.
    pub fn revoke_token(&self, email_text: &str, token_id: u64) -> Result<()> {
        let account = self.account_of(email_text)?;
        if !self.store.revoke_token(account.id, token_id)? {
            return Err(HubError::NotFound(format!(
                "{} has no token {token_id}",
                account.email
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Email {
        Email::parse("ada.lovelace@example.org").unwrap()
    }

    #[test]
    fn short_and_guessable_passwords_are_refused_saying_why() {
        let short = check_password("abc123", &ada()).unwrap_err().to_string();
        assert!(short.contains("at least 10"), "{short}");
        for weak in ["password123", "qwertyuiop", "1234567890", "lovelace2024"] {
            let error = check_password(weak, &ada()).unwrap_err().to_string();
            assert!(error.contains("too easy to guess"), "{weak}: {error}");
        }
        check_password("correct horse battery staple", &ada()).unwrap();
    }

    #[test]
    fn display_names_default_to_the_local_part_and_are_bounded() {
        assert_eq!(display_name(None, &ada()).unwrap(), "ada.lovelace");
        assert_eq!(display_name(Some("  Ada L. "), &ada()).unwrap(), "Ada L.");
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(MAX_NAME_CHARS + 1)] {
            assert!(display_name(Some(bad), &ada()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_is_stored_as_argon2id_and_verified_by_it() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapler", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(
            hash,
            hash_password("correct horse battery staple").unwrap(),
            "salted"
        );
    }

    #[test]
    fn tokens_are_random_prefixed_and_kept_as_their_sha256() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
