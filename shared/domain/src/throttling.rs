//! Limits on what one account or one source may try, against credential guessing, credential
//! stuffing and sign-up or mail flooding (OWASP ASVS 4.0 V2.2.1; API Security Top 10 API2, API4).
//! The policies and the decisions are here; the stores that count atomically are adapters.

use std::time::Duration;

pub use crate::quota::{QuotaWindow, ThrottleScope, Throttled, WindowQuota};
use crate::values::Timestamp;
use crate::write_quotas::WriteQuotas;

/// How consecutive failed logins on one account are slowed down: the first `free_attempts` go
/// through at once, then each further attempt must wait for a delay that doubles from
/// `first_delay` up to `max_delay`, counted from the attempt before it. Only a success or a
/// completed password reset forgets the failures (or [`Self::FORGET_AFTER`] of quiet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginBackoff {
    pub free_attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

/// The failed attempts an account has had since its last success, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailedAttempts {
    /// Attempts counted since the last success; each is counted before its password is checked.
    pub count: u32,
    pub last_attempt: Timestamp,
}

impl LoginBackoff {
    /// Failures are forgotten a day after the last attempt: someone who mistypes a password once
    /// a month never starts from a long delay.
    pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

    /// The wait between attempt `attempt - 1` and attempt `attempt` (1-based).
    pub fn delay_before(&self, attempt: u32) -> Duration {
        let Some(beyond_free) = attempt.checked_sub(self.free_attempts + 1) else {
            return Duration::ZERO;
        };
        let doubled = self.first_delay.saturating_mul(2u32.saturating_pow(beyond_free.min(31)));
        doubled.min(self.max_delay)
    }

    /// The record as it stands at `now`: forgotten after a day of quiet.
    pub fn current(&self, stored: Option<FailedAttempts>, now: Timestamp) -> Option<FailedAttempts> {
        stored.filter(|record| now < record.last_attempt.plus(Self::FORGET_AFTER))
    }

    /// Whether one more attempt may be checked at `now`: `Ok` with the record to store (the
    /// attempt counted), or `Err` with how long to wait.
    pub fn admit(&self, stored: Option<FailedAttempts>, now: Timestamp) -> Result<FailedAttempts, Duration> {
        let (count, last_attempt) = match self.current(stored, now) {
            Some(record) => (record.count, Some(record.last_attempt)),
            None => (0, None),
        };
        let attempt = count.saturating_add(1);
        if let Some(last_attempt) = last_attempt {
            let allowed_at = last_attempt.plus(self.delay_before(attempt));
            if now < allowed_at {
                return Err(allowed_at.since(now));
            }
        }
        Ok(FailedAttempts { count: attempt, last_attempt: now })
    }
}

/// What a per-source quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaAction {
    /// Logins from the source that did not succeed (counted before the password is checked and
    /// given back on success, so an office behind one address is not limited by its own logins).
    FailedLogin,
    Registration,
    PasswordResetRequest,
}

impl QuotaAction {
    /// The stable name the counters are stored under.
    pub fn name(self) -> &'static str {
        match self {
            Self::FailedLogin => "failed-login",
            Self::Registration => "registration",
            Self::PasswordResetRequest => "password-reset-request",
        }
    }
}

/// Every abuse limit, each with its default; deployed, each is a template parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbuseLimits {
    pub login_backoff: LoginBackoff,
    pub failed_logins_per_source: WindowQuota,
    pub registrations_per_source: WindowQuota,
    pub reset_requests_per_source: WindowQuota,
    /// What one account may write per window (see [`crate::write_quotas`]).
    pub account_writes: WriteQuotas,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            // ASVS V2.2.1 asks for no more than 100 failed attempts per hour on one account; these
            // allow 5 at once, then waits of 30 s, 1, 2, 4, 8 and 15 minutes: about 12 an hour.
            login_backoff: LoginBackoff {
                free_attempts: 5,
                first_delay: Duration::from_secs(30),
                max_delay: Duration::from_secs(15 * 60),
            },
            // Credential stuffing is one guess against each of many accounts: per-account limits
            // never see it, a per-source one does. 50 in 15 minutes is far above what the people
            // of one office mistype.
            failed_logins_per_source: WindowQuota { max: 50, window: Duration::from_secs(15 * 60) },
            // Each sign-up costs a password hash and a stored account; a classroom signing up at
            // once behind one address still fits.
            registrations_per_source: WindowQuota { max: 30, window: Duration::from_secs(60 * 60) },
            // Each request may mail someone; the per-account limit (3 an hour) bounds one inbox,
            // this bounds one source spraying many.
            reset_requests_per_source: WindowQuota { max: 20, window: Duration::from_secs(60 * 60) },
            account_writes: WriteQuotas::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKOFF: LoginBackoff =
        LoginBackoff { free_attempts: 3, first_delay: Duration::from_secs(10), max_delay: Duration::from_secs(60) };

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_800_000_000_000 + seconds * 1000)
    }

    #[test]
    fn the_free_attempts_wait_for_nothing_then_the_delay_doubles_up_to_the_cap() {
        let delays: Vec<u64> = (1..=8).map(|attempt| BACKOFF.delay_before(attempt).as_secs()).collect();

        assert_eq!(delays, [0, 0, 0, 10, 20, 40, 60, 60]);
        assert_eq!(BACKOFF.delay_before(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn an_attempt_during_the_delay_is_refused_with_the_time_left() {
        // Given three failed attempts, the last at t=100
        let stored = Some(FailedAttempts { count: 3, last_attempt: at(100) });

        // When the fourth comes 4 s later, then 10 s later
        let early = BACKOFF.admit(stored, at(104));
        let on_time = BACKOFF.admit(stored, at(110));

        // Then the first waits 6 s more, the second is counted
        assert_eq!(early, Err(Duration::from_secs(6)));
        assert_eq!(on_time, Ok(FailedAttempts { count: 4, last_attempt: at(110) }));
    }

    #[test]
    fn failures_are_forgotten_a_day_after_the_last_attempt() {
        let stored = Some(FailedAttempts { count: 9, last_attempt: at(0) });
        let a_day_later = at(24 * 60 * 60);

        assert_eq!(BACKOFF.admit(stored, a_day_later), Ok(FailedAttempts { count: 1, last_attempt: a_day_later }));
    }

    #[test]
    fn a_quota_window_is_named_by_its_start_and_ends_a_window_later() {
        let quota = WindowQuota { max: 5, window: Duration::from_secs(900) };
        let now = Timestamp::from_unix_millis(1_800_000_123_456);

        let window = quota.window_at(now);

        assert_eq!(window.start_seconds % 900, 0);
        assert!(window.start_seconds <= now.unix_seconds());
        assert_eq!(window.ends_at.unix_seconds(), window.start_seconds + 900);
    }
}
