//! Every AWS client a function uses is built here, so each gets the same treatment: the time
//! budget (timeouts and retries, see [`crate::budget`]) and the AWS call log when it is switched
//! on (see [`crate::call_log`]).

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;

use crate::budget::TimeBudget;
use crate::call_log;

pub fn dynamodb(sdk: &SdkConfig, budget: &TimeBudget) -> aws_sdk_dynamodb::Client {
    let mut config =
        aws_sdk_dynamodb::config::Builder::from(sdk).timeout_config(timeouts(budget)).retry_config(retries(budget));
    if let Some(interceptor) = call_log::interceptor("dynamodb") {
        config = config.interceptor(interceptor);
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

pub fn secrets_manager(sdk: &SdkConfig, budget: &TimeBudget) -> aws_sdk_secretsmanager::Client {
    let mut config = aws_sdk_secretsmanager::config::Builder::from(sdk)
        .timeout_config(timeouts(budget))
        .retry_config(retries(budget));
    if let Some(interceptor) = call_log::interceptor("secretsmanager") {
        config = config.interceptor(interceptor);
    }
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}

pub fn ses(sdk: &SdkConfig, budget: &TimeBudget) -> aws_sdk_sesv2::Client {
    let mut config =
        aws_sdk_sesv2::config::Builder::from(sdk).timeout_config(timeouts(budget)).retry_config(retries(budget));
    if let Some(interceptor) = call_log::interceptor("ses") {
        config = config.interceptor(interceptor);
    }
    aws_sdk_sesv2::Client::from_conf(config.build())
}

fn timeouts(budget: &TimeBudget) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(budget.connect)
        .operation_attempt_timeout(budget.attempt)
        .operation_timeout(budget.operation)
        .build()
}

/// The SDK's standard retry, with its backoff scaled to the budget: its default starts at 1 s,
/// which would spend the whole operation budget waiting and leave room for two attempts, not three.
fn retries(budget: &TimeBudget) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(budget.max_attempts)
        .with_initial_backoff(RETRY_INITIAL_BACKOFF)
        .with_max_backoff(budget.attempt / 2)
}

/// Jittered and doubled on each retry; DynamoDB's throttling eases within tens of milliseconds.
const RETRY_INITIAL_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);
