//! Abuse resistance at the HTTP edge: rate limits per client address and per account on
//! sign-up, log-in, vote, comment and submit (GCRA buckets from the governor crate, in this
//! node's memory), and growing delays after failed log-ins to one email. A refused request is
//! answered `429 rate_limited` with `Retry-After`. Every limit is a `[limits]` setting;
//! `limits.enabled = false` switches them all off (for load tests).
//!
//! The buckets live in each node's memory: on several nodes behind a balancer an address gets
//! each node's allowance. That bounds abuse by the number of nodes, which is what an operator
//! running a few nodes expects; a shared limiter (Redis) is not needed for that.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

/// The `[limits]` section of the configuration, as written. A rate of 0 switches that one
/// limit off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// false: no rate limit at all (load tests).
    pub enabled: bool,
    /// Take the client's address from the last `X-Forwarded-For` entry (set this only behind
    /// a reverse proxy that writes it; otherwise clients could pick their own address).
    pub trust_forwarded_for: bool,
    /// Sign-ups an address may make per hour.
    pub signups_per_address_per_hour: u32,
    /// Log-in attempts an address may make per minute.
    pub logins_per_address_per_minute: u32,
    /// Failed log-ins to one email before the next attempt must wait.
    pub login_failures_before_delay: u32,
    /// The longest wait after failed log-ins, in seconds (the wait doubles with every failure
    /// past `login_failures_before_delay`: 1 s, 2 s, 4 s, …, up to this).
    pub login_max_delay_secs: u64,
    /// Votes (given or taken back) an account may cast per minute.
    pub votes_per_account_per_minute: u32,
    /// Votes an address may cast per minute, whoever is signed in.
    pub votes_per_address_per_minute: u32,
    /// Comments (new or edited) an account may write per minute.
    pub comments_per_account_per_minute: u32,
    /// Comments an address may write per minute.
    pub comments_per_address_per_minute: u32,
    /// Submissions an account may make per hour.
    pub submissions_per_account_per_hour: u32,
    /// Submissions an address may make per hour.
    pub submissions_per_address_per_hour: u32,
    /// Subscription requests an address may make per hour.
    pub subscriptions_per_address_per_hour: u32,
    /// Password reset links an address may ask for per hour.
    pub password_resets_per_address_per_hour: u32,
    /// Library changes (saves, thumbs-down, removals, notes) an account may make per minute.
    pub library_changes_per_account_per_minute: u32,
    /// Reference files an account may import per hour.
    pub imports_per_account_per_hour: u32,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            trust_forwarded_for: false,
            signups_per_address_per_hour: 5,
            logins_per_address_per_minute: 10,
            login_failures_before_delay: 3,
            login_max_delay_secs: 900,
            votes_per_account_per_minute: 60,
            votes_per_address_per_minute: 600,
            comments_per_account_per_minute: 5,
            comments_per_address_per_minute: 30,
            submissions_per_account_per_hour: 20,
            submissions_per_address_per_hour: 60,
            subscriptions_per_address_per_hour: 20,
            password_resets_per_address_per_hour: 5,
            library_changes_per_account_per_minute: 120,
            imports_per_account_per_hour: 30,
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    SignUp,
    LogIn,
    Vote,
    Comment,
    Submit,
    Subscribe,
    PasswordReset,
    Library,
    Import,
}

impl Action {
    fn doing(self) -> &'static str {
        match self {
            Action::SignUp => "sign-ups",
            Action::LogIn => "log-in attempts",
            Action::Vote => "votes",
            Action::Comment => "comments",
            Action::Submit => "submissions",
            Action::Subscribe => "subscription requests",
            Action::PasswordReset => "password reset requests",
            Action::Library => "library changes",
            Action::Import => "imports",
        }
    }
}

/// Checks made between two sweeps of idle buckets.
const SWEEP_EVERY: u64 = 4096;

/// Emails whose failed log-ins are remembered at most; past this, the oldest are forgotten.
const MAX_REMEMBERED_FAILURES: usize = 100_000;

/// The limits of one node.
pub struct Limits {
    settings: LimitSettings,
    by_address: HashMap<Action, DefaultKeyedRateLimiter<IpAddr>>,
    by_account: HashMap<Action, DefaultKeyedRateLimiter<u64>>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    checks: AtomicU64,
}

fn quota(rate: u32, per: Duration) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    // `rate` requests at once, then one more every `per / rate`.
    Quota::with_period(per / rate.get()).map(|q| q.allow_burst(rate))
}

fn limiter<K: Hash + Eq + Clone>(rate: u32, per: Duration) -> Option<DefaultKeyedRateLimiter<K>> {
    quota(rate, per).map(RateLimiter::keyed)
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

impl Limits {
    /// The limits `settings` give.
    pub fn new(settings: LimitSettings) -> Self {
        let s = &settings;
        let mut by_address = HashMap::new();
        let mut by_account = HashMap::new();
        for (action, rate, per) in [
            (Action::SignUp, s.signups_per_address_per_hour, HOUR),
            (Action::LogIn, s.logins_per_address_per_minute, MINUTE),
            (Action::Vote, s.votes_per_address_per_minute, MINUTE),
            (Action::Comment, s.comments_per_address_per_minute, MINUTE),
            (Action::Submit, s.submissions_per_address_per_hour, HOUR),
            (
                Action::Subscribe,
                s.subscriptions_per_address_per_hour,
                HOUR,
            ),
        ] {
            if let Some(l) = limiter(rate, per) {
                by_address.insert(action, l);
            }
        }
        for (action, rate, per) in [
            (Action::Vote, s.votes_per_account_per_minute, MINUTE),
            (Action::Comment, s.comments_per_account_per_minute, MINUTE),
            (Action::Submit, s.submissions_per_account_per_hour, HOUR),
            (
                Action::Library,
                s.library_changes_per_account_per_minute,
                MINUTE,
            ),
            (Action::Import, s.imports_per_account_per_hour, HOUR),
        ] {
            if let Some(l) = limiter(rate, per) {
                by_account.insert(action, l);
            }
        }
        Limits {
            settings,
            by_address,
            by_account,
            failures: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
        }
    }

    /// Whether `X-Forwarded-For` names the client.
    pub fn trust_forwarded_for(&self) -> bool {
        self.settings.trust_forwarded_for
    }

    /// Counts one `action` from `address` (and by `account`, when signed in); refused with
    /// `429` and how long to wait when a limit is reached.
    pub fn check(
        &self,
        action: Action,
        address: IpAddr,
        account: Option<u64>,
    ) -> Result<(), ApiError> {
        if !self.settings.enabled {
            return Ok(());
        }
        self.sweep_now_and_then();
        let now = DefaultClock::default().now();
        if let Some(limiter) = self.by_address.get(&action) {
            if let Err(not_until) = limiter.check_key(&address) {
                return Err(limited(
                    format!("too many {} from your address", action.doing()),
                    not_until.wait_time_from(now),
                ));
            }
        }
        if let (Some(limiter), Some(account)) = (self.by_account.get(&action), account) {
            if let Err(not_until) = limiter.check_key(&account) {
                return Err(limited(
                    format!("too many {} from your account", action.doing()),
                    not_until.wait_time_from(now),
                ));
            }
        }
        Ok(())
    }

    /// Before checking a password for `email`: refused while the wait after its last failed
    /// log-ins runs.
    pub fn check_login(&self, email: &str) -> Result<(), ApiError> {
        if !self.settings.enabled {
            return Ok(());
        }
        let key = email.trim().to_lowercase();
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(count, last)) = failures.get(&key) {
            let wait = self.delay_after(count);
            let passed = last.elapsed();
            if passed < wait {
                return Err(limited(
                    format!("{count} failed log-ins to this account: wait before trying again"),
                    wait - passed,
                ));
            }
        }
        Ok(())
    }

    /// After a log-in to `email`: a failure makes the next wait longer, a success forgets the
    /// failures.
    pub fn record_login(&self, email: &str, succeeded: bool) {
        if !self.settings.enabled {
            return;
        }
        let key = email.trim().to_lowercase();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if succeeded {
            failures.remove(&key);
            return;
        }
        if failures.len() >= MAX_REMEMBERED_FAILURES && !failures.contains_key(&key) {
            let max = Duration::from_secs(self.settings.login_max_delay_secs);
            failures.retain(|_, (_, last)| last.elapsed() < max);
            if failures.len() >= MAX_REMEMBERED_FAILURES {
                failures.clear();
            }
        }
        let entry = failures.entry(key).or_insert((0, Instant::now()));
        entry.0 = entry.0.saturating_add(1);
        entry.1 = Instant::now();
    }

    /// The wait after `count` failed log-ins.
    fn delay_after(&self, count: u32) -> Duration {
        let free = self.settings.login_failures_before_delay;
        if count < free.max(1) {
            return Duration::ZERO;
        }
        let doublings = (count - free.max(1)).min(30);
        Duration::from_secs((1u64 << doublings).min(self.settings.login_max_delay_secs))
    }

    /// Forgets idle buckets now and then, so that memory does not grow with every address ever
    /// seen.
    fn sweep_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        for limiter in self.by_address.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        for limiter in self.by_account.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

fn limited(message: String, wait: Duration) -> ApiError {
    // Whole seconds, rounded up: `Retry-After: 0` would invite an immediate retry.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::Limited {
        message: format!("{message}; try again in {} s", secs.max(1)),
        retry_after_secs: secs.max(1),
    }
}

/// The client's address: the connection's peer, or the last `X-Forwarded-For` entry when
/// `limits.trust_forwarded_for` is set.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.limits.trust_forwarded_for() {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(address) = forwarded {
                return Ok(ClientAddr(address));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientAddr(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), ApiError>) -> Option<(crate::ErrorCode, u64)> {
        match result {
            Ok(()) => None,
            Err(ApiError::Limited {
                retry_after_secs, ..
            }) => Some((crate::ErrorCode::RateLimited, retry_after_secs)),
            Err(other) => panic!("not a rate limit: {other}"),
        }
    }

    #[test]
    fn the_defaults_refuse_thirty_sign_ups_a_minute_from_one_address() {
        let limits = Limits::new(LimitSettings::default());
        let one = IpAddr::from([192, 0, 2, 1]);
        let other = IpAddr::from([192, 0, 2, 2]);
        let refused = (0..30)
            .filter(|_| code(limits.check(Action::SignUp, one, None)).is_some())
            .count();
        assert_eq!(refused, 25, "5 an hour pass, the rest are refused");
        let (_, retry) = code(limits.check(Action::SignUp, one, None)).unwrap();
        assert!(
            (1..=720).contains(&retry),
            "one more every 12 minutes: {retry}"
        );
        assert!(code(limits.check(Action::SignUp, other, None)).is_none());
    }

    #[test]
    fn accounts_and_addresses_are_counted_apart_and_switched_off_together() {
        let settings = LimitSettings {
            votes_per_account_per_minute: 2,
            votes_per_address_per_minute: 3,
            ..LimitSettings::default()
        };
        let limits = Limits::new(settings.clone());
        let here = IpAddr::from([192, 0, 2, 1]);
        assert!(code(limits.check(Action::Vote, here, Some(1))).is_none());
        assert!(code(limits.check(Action::Vote, here, Some(1))).is_none());
        assert!(
            code(limits.check(Action::Vote, here, Some(1))).is_some(),
            "account"
        );
        assert!(
            code(limits.check(Action::Vote, here, Some(2))).is_some(),
            "address"
        );
        let off = Limits::new(LimitSettings {
            enabled: false,
            ..settings
        });
        for _ in 0..100 {
            assert!(code(off.check(Action::Vote, here, Some(1))).is_none());
        }
    }

    #[test]
    fn failed_log_ins_make_the_next_attempt_wait_longer_and_a_success_forgets_them() {
        let limits = Limits::new(LimitSettings::default());
        for _ in 0..2 {
            limits.record_login("Ada@example.org", false);
            assert!(code(limits.check_login("ada@example.org")).is_none());
        }
        limits.record_login("ada@example.org", false);
        let (_, first) = code(limits.check_login("ada@example.org")).unwrap();
        assert_eq!(first, 1);
        for _ in 0..4 {
            limits.record_login("ada@example.org", false);
        }
        let (_, later) = code(limits.check_login("ada@example.org")).unwrap();
        assert_eq!(later, 16, "doubled with each failure past the third");
        assert!(code(limits.check_login("grace@example.org")).is_none());
        limits.record_login("ada@example.org", true);
        assert!(code(limits.check_login("ada@example.org")).is_none());
        assert_eq!(limits.delay_after(200), Duration::from_secs(900), "capped");
    }
}
