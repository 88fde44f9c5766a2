//! Account mail on the subscriptions' rails: a new account confirms its address by a
//! single-use link ([`EMAIL_TOKEN_HOURS`]), and a forgotten password is reset by one that
//! lasts [`RESET_TOKEN_MINUTES`] and, once used, ends every session of the account and spends
//! every other reset link of it. Tokens are kept only as their SHA-256; the mails go through
//! the outbox like every other.

use chrono::{DateTime, Duration, Utc};
use paperhub_store::{NewMail, Redeemed, TokenPurpose};

use crate::{check_password, hash_password, token_hash, Account, Accounts, HubError, Result};

/// Hours an email confirmation link stays good.
pub const EMAIL_TOKEN_HOURS: u32 = 48;
/// Minutes a password reset link stays good.
pub const RESET_TOKEN_MINUTES: u32 = 60;

/// The outbox kind of an email confirmation.
pub(crate) const KIND_CONFIRM_EMAIL: &str = "confirm_email";
/// The outbox kind of a password reset.
pub(crate) const KIND_RESET_PASSWORD: &str = "reset_password";

/// A token's refusal, said for people.
fn refused<T>(what: &str, redeemed: Redeemed<T>) -> HubError {
    match redeemed {
        Redeemed::Unknown => HubError::NotFound(format!(
            "this {what} link is not known: copy the whole link from the mail, or ask for a new one"
        )),
        Redeemed::Used => HubError::Invalid(format!(
            "this {what} link was used already: ask for a new one if you need it"
        )),
        Redeemed::Expired(at) => HubError::Invalid(format!(
            "this {what} link expired at {}: ask for a new one",
            at.format("%Y-%m-%d %H:%M UTC")
        )),
        Redeemed::Done(_) => HubError::Invalid(format!("this {what} link did nothing")),
    }
}

impl Accounts {
    /// Queues a mail to `account` whose link confirms its address.
    pub fn request_email_confirmation(&self, account: &Account, now: DateTime<Utc>) -> Result<()> {
        self.queue_token_mail(
            account,
            TokenPurpose::ConfirmEmail,
            KIND_CONFIRM_EMAIL,
            now + Duration::hours(i64::from(EMAIL_TOKEN_HOURS)),
            now,
        )
    }

    /// Confirms the address of the account of an email confirmation token.
    pub fn confirm_email(&self, token: &str, now: DateTime<Utc>) -> Result<Account> {
        match self
            .store
            .confirm_account_email(&token_hash(token.trim()), now)?
        {
            Redeemed::Done(id) => self
                .store
                .account(id)?
                .ok_or_else(|| HubError::NotFound("the account is gone".into())),
            other => Err(refused("confirmation", other)),
        }
    }

    /// When `account` confirmed its address.
    pub fn email_confirmed_at(&self, account: &Account) -> Result<Option<DateTime<Utc>>> {
        Ok(self.store.email_confirmed_at(account.id)?)
    }

    /// Queues a password reset mail to the account of `email_text`, if there is one that is
    /// not banned. Answers the same either way (nobody learns who has an account).
    pub fn request_password_reset(&self, email_text: &str, now: DateTime<Utc>) -> Result<()> {
        let email = paperhub_core::Email::parse(email_text)
            .map_err(|e| HubError::Invalid(e.to_string()))?;
        match self.store.account_by_email(&email)? {
            Some(account) if !account.banned => self.queue_token_mail(
                &account,
                TokenPurpose::ResetPassword,
                KIND_RESET_PASSWORD,
                now + Duration::minutes(i64::from(RESET_TOKEN_MINUTES)),
                now,
            ),
            _ => Ok(()),
        }
    }

    /// Sets a new password by a reset token: the password keeps the rules, the token is
    /// good, and then (in one transaction) the password changes, every session of the
    /// account ends and its other reset links are spent.
    pub fn reset_password(&self, token: &str, new: &str, now: DateTime<Utc>) -> Result<Account> {
        let hash = token_hash(token.trim());
        let id = match self
            .store
            .token_subject(&hash, TokenPurpose::ResetPassword, now)?
        {
            Redeemed::Done(id) => id,
            other => return Err(refused("password reset", other)),
        };
        let account = self
            .store
            .account(id)?
            .ok_or_else(|| HubError::NotFound("the account is gone".into()))?;
        check_password(new, &account.email)?;
        let password_hash = hash_password(new)?;
        match self.store.reset_password(&hash, &password_hash, now)? {
            Redeemed::Done(_) => self
                .store
                .account(id)?
                .ok_or_else(|| HubError::NotFound("the account is gone".into())),
            other => Err(refused("password reset", other)),
        }
    }

    fn queue_token_mail(
        &self,
        account: &Account,
        purpose: TokenPurpose,
        kind: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let token = format!("pt_{}", crate::accounts::random_hex());
        let hash = token_hash(&token);
        self.store
            .add_mail_token(&hash, purpose, account.id, expires_at)?;
        let payload = serde_json::json!({ "token": token }).to_string();
        self.store.enqueue(
            &[NewMail {
                key: &format!("{kind}:{}", &hash[..32]),
                kind,
                subscription_id: None,
                recipient: &account.email,
                payload: &payload,
            }],
            now,
        )?;
        Ok(())
    }
}
