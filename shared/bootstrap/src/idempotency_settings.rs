//! How long idempotency records live (see `conduit_domain::idempotency`), from the environment:
//! the template's `IdempotencyExpirySeconds` deployed, the same variable locally.

use std::time::Duration;

use conduit_domain::idempotency::IdempotencySettings;

use crate::whole_number::{self, OutOfRange};

pub mod variables {
    /// Seconds a completed record answers retries under its key.
    pub const IDEMPOTENCY_EXPIRY_SECONDS: &str = "IDEMPOTENCY_EXPIRY_SECONDS";
}

/// A week at most: a key that must work longer is a business identifier, not a retry.
const MAX_EXPIRY_SECONDS: u64 = 7 * 24 * 60 * 60;

pub fn from_env() -> Result<IdempotencySettings, OutOfRange> {
    from_variables(|name| std::env::var(name).ok())
}

pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Result<IdempotencySettings, OutOfRange> {
    let defaults = IdempotencySettings::default();
    let expiry = whole_number::read(
        &variable,
        variables::IDEMPOTENCY_EXPIRY_SECONDS,
        defaults.expiry.as_secs(),
        1..=MAX_EXPIRY_SECONDS,
    )?;
    Ok(IdempotencySettings { expiry: Duration::from_secs(expiry), ..defaults })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whole_number::environment;

    #[test]
    fn given_no_variable_records_live_a_day() {
        let settings = from_variables(environment(&[])).expect("valid");

        assert_eq!(settings.expiry, Duration::from_secs(86_400));
    }

    #[test]
    fn given_a_small_expiry_it_is_used_and_nonsense_fails_start_up() {
        let short = from_variables(environment(&[("IDEMPOTENCY_EXPIRY_SECONDS", "2")])).expect("valid");

        assert_eq!(short.expiry, Duration::from_secs(2));
        assert!(from_variables(environment(&[("IDEMPOTENCY_EXPIRY_SECONDS", "0")])).is_err());
        assert!(from_variables(environment(&[("IDEMPOTENCY_EXPIRY_SECONDS", "a day")])).is_err());
    }
}
