//! AWS's limits on one invocation, enforced here as Lambda enforces them behind API Gateway (HTTP
//! API, payload format 2.0), so that an answer too large or a function too slow fails locally as
//! it would deployed:
//!
//! - the function's timeout (`Timeout` in `template.yaml`, see `function_timeouts.rs`): Lambda
//!   ends the invocation ("Task timed out after 10.00 seconds");
//! - the response limit (see `lambda_response.rs`): Lambda refuses a response JSON over 6,291,556
//!   bytes.
//!
//! Either way the invocation fails, and API Gateway answers the client `500` with
//! `{"message":"Internal Server Error"}` ("Troubleshooting issues with HTTP API Lambda
//! integrations",
//! https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html;
//! "Handling Lambda errors with an API Gateway API",
//! https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html: API Gateway treats
//! every invocation and function error as an internal error and retries none).
//!
//! HTTP API stops waiting after its maximum integration timeout of 30 seconds ("Quotas for
//! configuring and running an HTTP API in API Gateway",
//! https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html). Every routed
//! function's timeout is below it (a test holds the template to that), and so is a timeout set for
//! all functions here, so a function's own timeout always ends a request first, as deployed.

use std::future::Future;
use std::time::Duration;

use conduit_http::Body;

use crate::function_timeouts::{FunctionTimeouts, FunctionTimeoutsError};
use crate::lambda_response::{LAMBDA_RESPONSE_LIMIT_BYTES, LambdaResponse};

/// HTTP API's maximum integration timeout.
pub const API_GATEWAY_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest timeout for all functions: one that ends a request before API Gateway gives up.
const MAX_FUNCTION_TIMEOUT_SECONDS: u64 = API_GATEWAY_INTEGRATION_TIMEOUT.as_secs() - 1;

#[derive(Debug, thiserror::Error)]
pub enum AwsLimitError {
    #[error(transparent)]
    Template(#[from] FunctionTimeoutsError),
    #[error("the response limit must be 1 to {LAMBDA_RESPONSE_LIMIT_BYTES} bytes (Lambda's), not {0}")]
    ResponseLimit(usize),
    #[error(
        "the function timeout must be 1 to {MAX_FUNCTION_TIMEOUT_SECONDS} seconds, below API Gateway's \
         integration timeout, not {0}"
    )]
    FunctionTimeout(u64),
}

/// Why an invocation failed, in the words of Lambda's log where it has them.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InvocationFailure {
    #[error("Task timed out after {:.2} seconds", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("the response is {size} bytes, {} over Lambda's limit of {limit} bytes", size - limit)]
    ResponseTooLarge { size: usize, limit: usize },
    #[error("the response cannot be serialized: {0}")]
    Unserializable(#[source] serde_json::Error),
}

/// The limits the gateway holds each invocation to.
#[derive(Clone, Debug)]
pub struct AwsLimits {
    response_limit_bytes: usize,
    timeouts: FunctionTimeouts,
}

impl AwsLimits {
    /// Lambda's response limit and the template's timeouts: what the deployed API has.
    pub fn deployed() -> Result<Self, AwsLimitError> {
        Ok(Self { response_limit_bytes: LAMBDA_RESPONSE_LIMIT_BYTES, timeouts: FunctionTimeouts::from_template()? })
    }

    /// A smaller response limit (`--response-limit-bytes`), to reach it without building 6 MB.
    pub fn with_response_limit_bytes(self, bytes: usize) -> Result<Self, AwsLimitError> {
        if !(1..=LAMBDA_RESPONSE_LIMIT_BYTES).contains(&bytes) {
            return Err(AwsLimitError::ResponseLimit(bytes));
        }
        Ok(Self { response_limit_bytes: bytes, ..self })
    }

    /// One timeout for every function (`--function-timeout-seconds`), to reach it in seconds.
    pub fn with_function_timeout_seconds(self, seconds: u64) -> Result<Self, AwsLimitError> {
        if !(1..=MAX_FUNCTION_TIMEOUT_SECONDS).contains(&seconds) {
            return Err(AwsLimitError::FunctionTimeout(seconds));
        }
        Ok(Self { timeouts: self.timeouts.all(Duration::from_secs(seconds)), ..self })
    }

    pub fn response_limit_bytes(&self) -> usize {
        self.response_limit_bytes
    }

    /// `function`'s timeout.
    pub fn timeout_of(&self, function: &str) -> Duration {
        self.timeouts.of(function)
    }

    /// Runs `invocation` as `function` until its timeout: the invocation is dropped at the timeout,
    /// as Lambda stops the function there.
    pub(crate) async fn within_timeout<T>(
        &self,
        function: &str,
        invocation: impl Future<Output = T>,
    ) -> Result<T, InvocationFailure> {
        let timeout = self.timeout_of(function);
        // Boxed: the gateway's future nests every layer of the function below it, at the edge of
        // the compiler's layout depth limit already.
        tokio::time::timeout(timeout, Box::pin(invocation)).await.map_err(|_| InvocationFailure::TimedOut(timeout))
    }

    /// Invokes an HTTP function: its response JSON, once it answered in time and within the limit.
    pub(crate) async fn invoke(
        &self,
        function: &str,
        invocation: impl Future<Output = lambda_http::Response<Body>>,
    ) -> Result<LambdaResponse, InvocationFailure> {
        let response = LambdaResponse::from_handler(self.within_timeout(function, invocation).await?);
        let size = response.size().map_err(InvocationFailure::Unserializable)?;
        if size > self.response_limit_bytes {
            return Err(InvocationFailure::ResponseTooLarge { size, limit: self.response_limit_bytes });
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler's answer whose response JSON is exactly `size` bytes.
    fn answer_of_size(size: usize) -> lambda_http::Response<Body> {
        let with_body = |body: String| {
            lambda_http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::Text(body))
                .expect("a response")
        };
        let envelope = LambdaResponse::from_handler(with_body(String::new())).size().expect("measured");
        let answer = with_body("x".repeat(size - envelope));
        assert_eq!(LambdaResponse::from_handler(answer.clone()).size().expect("measured"), size);
        answer
    }

    fn limits() -> AwsLimits {
        AwsLimits::deployed().expect("the template's limits")
    }

    #[tokio::test]
    async fn a_response_of_exactly_lambdas_limit_passes_and_one_byte_more_fails() {
        let at_limit = limits().invoke("get-article", async { answer_of_size(6_291_556) }).await;
        let over = limits().invoke("get-article", async { answer_of_size(6_291_557) }).await;

        assert!(at_limit.is_ok(), "{at_limit:?}");
        let failure = over.expect_err("over the limit");
        assert!(matches!(failure, InvocationFailure::ResponseTooLarge { size: 6_291_557, limit: 6_291_556 }));
        assert_eq!(failure.to_string(), "the response is 6291557 bytes, 1 over Lambda's limit of 6291556 bytes");
    }

    #[tokio::test]
    async fn a_lowered_limit_is_held_to_the_byte() {
        let limits = limits().with_response_limit_bytes(1000).expect("a valid limit");

        assert!(limits.invoke("get-article", async { answer_of_size(1000) }).await.is_ok());
        assert!(limits.invoke("get-article", async { answer_of_size(1001) }).await.is_err());
    }

    #[tokio::test]
    async fn an_invocation_past_the_functions_timeout_is_ended_there() {
        let limits = limits().with_function_timeout_seconds(1).expect("a valid timeout");
        let started = std::time::Instant::now();

        let outcome = limits.invoke("get-article", std::future::pending()).await;

        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_secs(1) && elapsed < Duration::from_secs(2), "{elapsed:?}");
        assert_eq!(outcome.expect_err("cut off").to_string(), "Task timed out after 1.00 seconds");
    }

    #[test]
    fn limits_beyond_what_aws_allows_are_refused() {
        assert!(matches!(limits().with_response_limit_bytes(0), Err(AwsLimitError::ResponseLimit(0))));
        assert!(matches!(limits().with_response_limit_bytes(6_291_557), Err(AwsLimitError::ResponseLimit(_))));
        assert!(matches!(limits().with_function_timeout_seconds(0), Err(AwsLimitError::FunctionTimeout(0))));
        assert!(matches!(limits().with_function_timeout_seconds(30), Err(AwsLimitError::FunctionTimeout(30))));
        assert!(limits().with_function_timeout_seconds(29).is_ok());
    }
}
