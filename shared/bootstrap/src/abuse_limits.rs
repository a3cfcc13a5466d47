//! The abuse limits (see `conduit_domain::throttling`) from the environment: each one is a
//! template parameter deployed, and an environment variable of the local gateway locally, so tests
//! can set small values and the defaults hold everywhere else.

use std::time::Duration;

use conduit_domain::throttling::{AbuseLimits, LoginBackoff, WindowQuota};
use conduit_domain::write_quotas::WriteQuotas;

use crate::whole_number::{self, OutOfRange};

/// The variables, each optional (absent means the default).
pub mod variables {
    pub const LOGIN_FREE_ATTEMPTS: &str = "LOGIN_FREE_ATTEMPTS";
    pub const LOGIN_BACKOFF_FIRST_SECONDS: &str = "LOGIN_BACKOFF_FIRST_SECONDS";
    pub const LOGIN_BACKOFF_MAX_SECONDS: &str = "LOGIN_BACKOFF_MAX_SECONDS";
    pub const SOURCE_FAILED_LOGINS: &str = "SOURCE_FAILED_LOGINS";
    pub const SOURCE_FAILED_LOGINS_WINDOW_SECONDS: &str = "SOURCE_FAILED_LOGINS_WINDOW_SECONDS";
    pub const SOURCE_REGISTRATIONS: &str = "SOURCE_REGISTRATIONS";
    pub const SOURCE_REGISTRATIONS_WINDOW_SECONDS: &str = "SOURCE_REGISTRATIONS_WINDOW_SECONDS";
    pub const SOURCE_RESET_REQUESTS: &str = "SOURCE_RESET_REQUESTS";
    pub const SOURCE_RESET_REQUESTS_WINDOW_SECONDS: &str = "SOURCE_RESET_REQUESTS_WINDOW_SECONDS";
    pub const ACCOUNT_ARTICLES: &str = "ACCOUNT_ARTICLES";
    pub const ACCOUNT_ARTICLES_WINDOW_SECONDS: &str = "ACCOUNT_ARTICLES_WINDOW_SECONDS";
    pub const ACCOUNT_COMMENTS: &str = "ACCOUNT_COMMENTS";
    pub const ACCOUNT_COMMENTS_WINDOW_SECONDS: &str = "ACCOUNT_COMMENTS_WINDOW_SECONDS";
    pub const ACCOUNT_FOLLOWS: &str = "ACCOUNT_FOLLOWS";
    pub const ACCOUNT_FOLLOWS_WINDOW_SECONDS: &str = "ACCOUNT_FOLLOWS_WINDOW_SECONDS";
    pub const ACCOUNT_FAVORITES: &str = "ACCOUNT_FAVORITES";
    pub const ACCOUNT_FAVORITES_WINDOW_SECONDS: &str = "ACCOUNT_FAVORITES_WINDOW_SECONDS";

    /// Every one of them, in the order docs/abuse-protection.md lists them.
    pub const ALL: [&str; 17] = [
        LOGIN_FREE_ATTEMPTS,
        LOGIN_BACKOFF_FIRST_SECONDS,
        LOGIN_BACKOFF_MAX_SECONDS,
        SOURCE_FAILED_LOGINS,
        SOURCE_FAILED_LOGINS_WINDOW_SECONDS,
        SOURCE_REGISTRATIONS,
        SOURCE_REGISTRATIONS_WINDOW_SECONDS,
        SOURCE_RESET_REQUESTS,
        SOURCE_RESET_REQUESTS_WINDOW_SECONDS,
        ACCOUNT_ARTICLES,
        ACCOUNT_ARTICLES_WINDOW_SECONDS,
        ACCOUNT_COMMENTS,
        ACCOUNT_COMMENTS_WINDOW_SECONDS,
        ACCOUNT_FOLLOWS,
        ACCOUNT_FOLLOWS_WINDOW_SECONDS,
        ACCOUNT_FAVORITES,
        ACCOUNT_FAVORITES_WINDOW_SECONDS,
    ];
}

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error(transparent)]
    OutOfRange(#[from] OutOfRange),
    #[error("{first} ({first_value} s) must not be longer than {max} ({max_value} s)")]
    DelaysInverted { first: &'static str, first_value: u64, max: &'static str, max_value: u64 },
}

/// A day: no window or delay longer than that makes sense for these limits.
const MAX_SECONDS: u64 = 24 * 60 * 60;
/// No allowance larger than this is a limit at all.
const MAX_COUNT: u64 = 1_000_000;

/// The limits the process's environment sets.
pub fn from_env() -> Result<AbuseLimits, LimitError> {
    from_variables(|name| std::env::var(name).ok())
}

/// The limits `variable` sets, each absent one at its default.
pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Result<AbuseLimits, LimitError> {
    use variables::*;
    let defaults = AbuseLimits::default();
    let whole = |name, default, max| whole_number::read(&variable, name, default, 1..=max);
    let count = |name, default: u32| whole(name, u64::from(default), MAX_COUNT).map(|n| n as u32);
    let seconds = |name, default: Duration| whole(name, default.as_secs(), MAX_SECONDS).map(Duration::from_secs);
    let quota = |max_name, window_name, default: WindowQuota| -> Result<WindowQuota, LimitError> {
        Ok(WindowQuota { max: count(max_name, default.max)?, window: seconds(window_name, default.window)? })
    };

    let first_delay = seconds(LOGIN_BACKOFF_FIRST_SECONDS, defaults.login_backoff.first_delay)?;
    let max_delay = seconds(LOGIN_BACKOFF_MAX_SECONDS, defaults.login_backoff.max_delay)?;
    if first_delay > max_delay {
        return Err(LimitError::DelaysInverted {
            first: LOGIN_BACKOFF_FIRST_SECONDS,
            first_value: first_delay.as_secs(),
            max: LOGIN_BACKOFF_MAX_SECONDS,
            max_value: max_delay.as_secs(),
        });
    }
    Ok(AbuseLimits {
        login_backoff: LoginBackoff {
            free_attempts: count(LOGIN_FREE_ATTEMPTS, defaults.login_backoff.free_attempts)?,
            first_delay,
            max_delay,
        },
        failed_logins_per_source: quota(
            SOURCE_FAILED_LOGINS,
            SOURCE_FAILED_LOGINS_WINDOW_SECONDS,
            defaults.failed_logins_per_source,
        )?,
        registrations_per_source: quota(
            SOURCE_REGISTRATIONS,
            SOURCE_REGISTRATIONS_WINDOW_SECONDS,
            defaults.registrations_per_source,
        )?,
        reset_requests_per_source: quota(
            SOURCE_RESET_REQUESTS,
            SOURCE_RESET_REQUESTS_WINDOW_SECONDS,
            defaults.reset_requests_per_source,
        )?,
        account_writes: WriteQuotas {
            articles: quota(ACCOUNT_ARTICLES, ACCOUNT_ARTICLES_WINDOW_SECONDS, defaults.account_writes.articles)?,
            comments: quota(ACCOUNT_COMMENTS, ACCOUNT_COMMENTS_WINDOW_SECONDS, defaults.account_writes.comments)?,
            follows: quota(ACCOUNT_FOLLOWS, ACCOUNT_FOLLOWS_WINDOW_SECONDS, defaults.account_writes.follows)?,
            favorites: quota(ACCOUNT_FAVORITES, ACCOUNT_FAVORITES_WINDOW_SECONDS, defaults.account_writes.favorites)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::whole_number::environment;

    #[test]
    fn without_variables_every_limit_is_at_its_default() {
        assert_eq!(from_variables(environment(&[])).expect("valid"), AbuseLimits::default());
    }

    #[test]
    fn each_variable_sets_its_own_limit() {
        let limits = from_variables(environment(&[
            ("LOGIN_FREE_ATTEMPTS", "2"),
            ("LOGIN_BACKOFF_FIRST_SECONDS", "1"),
            ("LOGIN_BACKOFF_MAX_SECONDS", "4"),
            ("SOURCE_FAILED_LOGINS", "7"),
            ("SOURCE_REGISTRATIONS_WINDOW_SECONDS", "60"),
        ]))
        .expect("valid");

        assert_eq!(
            limits.login_backoff,
            LoginBackoff { free_attempts: 2, first_delay: Duration::from_secs(1), max_delay: Duration::from_secs(4) }
        );
        assert_eq!(limits.failed_logins_per_source.max, 7);
        assert_eq!(limits.registrations_per_source.window, Duration::from_secs(60));
        assert_eq!(limits.reset_requests_per_source, AbuseLimits::default().reset_requests_per_source);
    }

    #[test]
    fn each_write_quota_has_its_own_pair_of_variables() {
        let limits = from_variables(environment(&[
            ("ACCOUNT_ARTICLES", "3"),
            ("ACCOUNT_COMMENTS_WINDOW_SECONDS", "60"),
            ("ACCOUNT_FOLLOWS", "4"),
            ("ACCOUNT_FAVORITES", "5"),
            ("ACCOUNT_FAVORITES_WINDOW_SECONDS", "86400"),
        ]))
        .expect("valid");

        let writes = limits.account_writes;
        let defaults = WriteQuotas::default();
        assert_eq!(writes.articles, WindowQuota { max: 3, window: defaults.articles.window });
        assert_eq!(writes.comments, WindowQuota { max: defaults.comments.max, window: Duration::from_secs(60) });
        assert_eq!(writes.follows.max, 4);
        assert_eq!(writes.favorites, WindowQuota { max: 5, window: Duration::from_secs(86_400) });
        assert!(from_variables(environment(&[("ACCOUNT_COMMENTS", "0")])).is_err());
    }

    #[test]
    fn a_zero_a_word_or_a_delay_longer_than_its_cap_is_refused_naming_the_variable() {
        let refusal = |pairs: &[(&str, &str)]| from_variables(environment(pairs)).expect_err("refused").to_string();

        assert!(refusal(&[("SOURCE_REGISTRATIONS", "0")]).contains("SOURCE_REGISTRATIONS must be"));
        assert!(refusal(&[("LOGIN_FREE_ATTEMPTS", "five")]).contains("LOGIN_FREE_ATTEMPTS must be"));
        assert!(
            refusal(&[("LOGIN_BACKOFF_FIRST_SECONDS", "60"), ("LOGIN_BACKOFF_MAX_SECONDS", "30")])
                .contains("must not be longer than LOGIN_BACKOFF_MAX_SECONDS")
        );
    }
}
