//! The time budget of a request and of every AWS call in it. A dependency that hangs must cost a
//! bounded, known time, well below the function timeout (10 s in `template.yaml`), and then become a
//! 503 the client can retry, instead of holding the invocation until Lambda kills it.
//!
//! Defaults, and why:
//! - connect 1 s: a connection to a regional AWS endpoint takes milliseconds; a second covers a
//!   slow TLS handshake on a cold container.
//! - attempt 1 s: DynamoDB answers in single-digit milliseconds and a full 1 MB query page in tens;
//!   an attempt still running after a second is stuck, and another attempt has a better chance.
//! - 3 attempts, 3 s per operation: the SDK's standard retry, its jittered backoff starting at
//!   100 ms, gets two more tries, and one call can never take more than 3 s.
//! - request 6 s: a request makes up to a few sequential calls and our own retries of transaction
//!   conflicts; past 6 s it answers 503, leaving 4 s of the 10 s function timeout for the answer,
//!   the logs and the metrics.

use std::time::Duration;

/// Environment variables that override the defaults (milliseconds, or a count of attempts).
pub mod variables {
    pub const CONNECT_TIMEOUT_MS: &str = "CONDUIT_AWS_CONNECT_TIMEOUT_MS";
    pub const ATTEMPT_TIMEOUT_MS: &str = "CONDUIT_AWS_ATTEMPT_TIMEOUT_MS";
    pub const OPERATION_TIMEOUT_MS: &str = "CONDUIT_AWS_OPERATION_TIMEOUT_MS";
    pub const MAX_ATTEMPTS: &str = "CONDUIT_AWS_MAX_ATTEMPTS";
    pub const REQUEST_TIMEOUT_MS: &str = "CONDUIT_REQUEST_TIMEOUT_MS";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBudget {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt of one call, from sending to the whole answer.
    pub attempt: Duration,
    /// One call, all its attempts and the backoff between them.
    pub operation: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// A whole request, from the handler's start to its answer.
    pub request: Duration,
}

impl Default for TimeBudget {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(1),
            attempt: Duration::from_secs(1),
            operation: Duration::from_secs(3),
            max_attempts: 3,
            request: Duration::from_secs(6),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BudgetError {
    #[error("{name} must be a whole number above zero, not {value:?}")]
    NotAPositiveNumber { name: &'static str, value: String },
    #[error("the time budget is inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl TimeBudget {
    /// The defaults, overridden by whichever variables are set; refused when a value is not a
    /// positive number or the budgets do not nest (connect <= attempt <= operation <= request).
    pub fn from_env() -> Result<Self, BudgetError> {
        Self::from_variables(|name| std::env::var(name).ok())
    }

    pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Result<Self, BudgetError> {
        let number = |name: &'static str| -> Result<Option<u64>, BudgetError> {
            variable(name)
                .map(|value| match value.trim().parse::<u64>() {
                    Ok(number) if number > 0 => Ok(number),
                    _ => Err(BudgetError::NotAPositiveNumber { name, value }),
                })
                .transpose()
        };
        let millis = |name: &'static str, default: Duration| -> Result<Duration, BudgetError> {
            Ok(number(name)?.map(Duration::from_millis).unwrap_or(default))
        };
        let defaults = Self::default();
        let budget = Self {
            connect: millis(variables::CONNECT_TIMEOUT_MS, defaults.connect)?,
            attempt: millis(variables::ATTEMPT_TIMEOUT_MS, defaults.attempt)?,
            operation: millis(variables::OPERATION_TIMEOUT_MS, defaults.operation)?,
            max_attempts: number(variables::MAX_ATTEMPTS)?
                .map(|attempts| u32::try_from(attempts).unwrap_or(u32::MAX))
                .unwrap_or(defaults.max_attempts),
            request: millis(variables::REQUEST_TIMEOUT_MS, defaults.request)?,
        };
        budget.validated()
    }

    fn validated(self) -> Result<Self, BudgetError> {
        if self.connect > self.attempt {
            return Err(BudgetError::Inconsistent("the connect timeout exceeds the attempt timeout"));
        }
        if self.attempt > self.operation {
            return Err(BudgetError::Inconsistent("the attempt timeout exceeds the operation timeout"));
        }
        if self.operation > self.request {
            return Err(BudgetError::Inconsistent("the operation timeout exceeds the request timeout"));
        }
        if self.max_attempts > 10 {
            return Err(BudgetError::Inconsistent("more than 10 attempts per call"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(pairs: &[(&str, &str)]) -> Result<TimeBudget, BudgetError> {
        TimeBudget::from_variables(|name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).into()))
    }

    #[test]
    fn without_variables_the_documented_defaults_apply() {
        assert_eq!(budget(&[]), Ok(TimeBudget::default()));
        assert!(TimeBudget::default().request < Duration::from_secs(10), "below the function timeout");
    }

    #[test]
    fn a_variable_overrides_its_budget() {
        let tight = budget(&[
            (variables::CONNECT_TIMEOUT_MS, "100"),
            (variables::ATTEMPT_TIMEOUT_MS, "200"),
            (variables::MAX_ATTEMPTS, "2"),
        ])
        .expect("valid");

        assert_eq!(tight.attempt, Duration::from_millis(200));
        assert_eq!(tight.max_attempts, 2);
        assert_eq!(tight.operation, TimeBudget::default().operation);
    }

    #[test]
    fn a_value_that_is_not_a_positive_number_is_refused_by_name() {
        assert_eq!(
            budget(&[(variables::OPERATION_TIMEOUT_MS, "3s")]),
            Err(BudgetError::NotAPositiveNumber { name: variables::OPERATION_TIMEOUT_MS, value: "3s".into() })
        );
        assert!(budget(&[(variables::MAX_ATTEMPTS, "0")]).is_err());
    }

    #[test]
    fn budgets_that_do_not_nest_are_refused() {
        assert!(matches!(budget(&[(variables::ATTEMPT_TIMEOUT_MS, "5000")]), Err(BudgetError::Inconsistent(_))));
        assert!(matches!(budget(&[(variables::REQUEST_TIMEOUT_MS, "2000")]), Err(BudgetError::Inconsistent(_))));
    }
}
