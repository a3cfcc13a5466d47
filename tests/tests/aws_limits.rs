//! What AWS does to an invocation that breaks one of its limits, through the local gateway, which
//! enforces them as Lambda and API Gateway (HTTP API) do: a function's answer over Lambda's
//! response limit and a function running past its timeout both end in API Gateway's own
//! `500 {"message":"Internal Server Error"}`, with a log line saying which function and why; a
//! request body over HTTP API's payload limit never reaches a function. The limits are lowered
//! (as `conduit-local --response-limit-bytes` and `--function-timeout-seconds` lower them) to be
//! reached in a test; the exact AWS figure is the gateway crate's unit test.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::JSON;
use conduit_api_tests::faults::Blackhole;
use conduit_api_tests::function_template::{LocalStack, Services, binaries_dir, function_configs, lambda_settings};
use conduit_api_tests::template::template;
use conduit_api_tests::{Reply, TestApi};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey, TimeBudget};
use conduit_http::routes::{AUTHORIZER_FUNCTION, FALLBACK_FUNCTION, ROUTES};
use conduit_local_gateway::{API_GATEWAY_INTEGRATION_TIMEOUT, AwsLimits};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// HTTP API's payload limit ("Quotas for configuring and running an HTTP API": 10 MB).
const API_GATEWAY_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The log lines the gateway writes on this test's thread (the runtime of a `#[tokio::test]` runs
/// the gateway's tasks there too).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Logs {
    fn capture() -> (Self, impl Drop) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt().with_writer(logs.clone()).without_time().with_ansi(false);
        (logs.clone(), subscriber.finish().set_default())
    }

    /// The lines that say an invocation failed.
    fn failed_invocations(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().expect("lock"))
            .lines()
            .filter(|line| line.contains("invocation failed"))
            .map(str::to_owned)
            .collect()
    }
}

fn limits() -> AwsLimits {
    AwsLimits::deployed().expect("the template's function timeouts")
}

fn assert_api_gateways_500(what: &str, reply: &Reply) {
    assert_eq!(reply.status, 500, "{what}: {:?}", reply.body);
    assert_eq!(reply.body, json!({"message": "Internal Server Error"}), "{what}");
    assert_eq!(reply.header("strict-transport-security"), None, "{what}: no header of the function's");
}

#[tokio::test]
async fn given_a_function_answer_over_lambdas_response_limit_then_api_gateway_answers_500_instead_of_the_body() {
    // Given a response limit of 2,000 bytes, which the OpenAPI document's answer is well over
    let (logs, _capturing) = Logs::capture();
    let api = TestApi::start_with_aws_limits(limits().with_response_limit_bytes(2000).expect("a valid limit")).await;
    api.register("jake").await;

    // When a client asks for the document, and for a small answer
    let document = api.get("/openapi.json", None).await;
    let routed = api.route("GET", "/openapi.json", &[("host", "127.0.0.1")]).await;
    let profile = api.get("/profiles/jake", None).await;

    // Then the large answer is replaced by API Gateway's error, the small one goes through
    assert_api_gateways_500("GET /api/openapi.json", &document);
    assert_eq!(routed.route_key.as_deref(), Some("GET /api/openapi.json"));
    assert_eq!(routed.function, None, "API Gateway answers, not the function");
    assert_eq!(profile.status, 200, "{:?}", profile.body);
    assert_eq!(profile.body["profile"]["username"], "jake");
    // And the log says which function's response was too large, and by how much
    let failures = logs.failed_invocations();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    for line in &failures {
        assert!(line.contains("function=\"get-openapi\"") || line.contains("function=get-openapi"), "{line}");
        assert!(line.contains("over Lambda's limit of 2000 bytes"), "{line}");
    }
}

#[tokio::test]
async fn given_a_function_waiting_past_its_timeout_then_it_is_cut_off_there_and_api_gateway_answers_500() {
    // Given DynamoDB at an address that accepts connections and never answers, and a function
    // timeout of 1 s, far below the request budget (6 s) after which the function would answer 503
    let (logs, _capturing) = Logs::capture();
    let dynamodb = Blackhole::start().await;
    let key = SigningKey::generate("timeout-test-key");
    let keys = KeyRing { current: key.clone(), previous: None };
    let adapters = Adapters::local(conduit_dynamodb_local::local_sdk_config(dynamodb.endpoint()), "conduit", keys)
        .with_time_budget(TimeBudget::default());
    let api = TestApi::start_limited(adapters, key, limits().with_function_timeout_seconds(1).expect("valid")).await;

    // When a client reads a profile, which waits on DynamoDB
    let started = Instant::now();
    let reply = api.get("/profiles/jake", None).await;
    let elapsed = started.elapsed();

    // Then the gateway cuts the function off at its timeout with API Gateway's 500, not the
    // function's own 503 at the end of its budget
    assert_api_gateways_500("GET /api/profiles/jake", &reply);
    assert!(dynamodb.accepted() > 0, "the function never reached DynamoDB");
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < TimeBudget::default().request - Duration::from_secs(2),
        "answered after {elapsed:?}"
    );
    let failures = logs.failed_invocations();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(failures[0].contains("get-profile") && failures[0].contains("Task timed out after 1.00 seconds"));
}

#[tokio::test]
async fn given_a_request_body_over_http_apis_payload_limit_then_api_gateway_refuses_it_before_any_function() {
    let api = TestApi::start().await;

    // When a body of exactly the limit is sent, and one of a byte more
    let at_limit = api.raw("POST", "/users", JSON.as_slice(), "x".repeat(API_GATEWAY_PAYLOAD_BYTES)).await;
    let over = api.raw("POST", "/users", JSON.as_slice(), "x".repeat(API_GATEWAY_PAYLOAD_BYTES + 1)).await;

    // Then the first reaches the function, which refuses it in the API's error shape (its own
    // limit is far lower), and API Gateway itself refuses the second
    assert_eq!(at_limit.status, 413, "{:?}", at_limit.body);
    assert!(at_limit.body["errors"].is_object(), "the function's answer: {:?}", at_limit.body);
    assert_eq!(over.status, 413);
    assert_eq!(over.body, json!({"message": "Request Entity Too Large"}));
    // And the gateway still serves
    let after = api.get("/profiles/nobody", None).await;
    assert_eq!(after.status, 404, "{:?}", after.body);
}

#[test]
fn the_gateway_holds_every_function_to_its_template_timeout_and_routed_ones_end_before_api_gateway_gives_up() {
    let template = template();
    let stack = LocalStack { template: &template, table_name: "conduit".into(), secret_arn: String::new() };
    let limits = limits();
    let mut timeouts = std::collections::BTreeMap::new();

    for function in function_configs(&template).expect("the template's functions") {
        let lambda = lambda_settings(&function, &stack, &Services::placeholders(), &binaries_dir())
            .unwrap_or_else(|error| panic!("{error}"));

        assert_eq!(limits.timeout_of(&function.binary), lambda.timeout, "{}", function.binary);
        timeouts.insert(function.binary, lambda.timeout);
    }

    let routed = ROUTES.iter().map(|route| route.function).chain([AUTHORIZER_FUNCTION, FALLBACK_FUNCTION]);
    for function in routed {
        let timeout = timeouts.get(function).unwrap_or_else(|| panic!("{function} is not in the template"));
        assert!(*timeout < API_GATEWAY_INTEGRATION_TIMEOUT, "{function}: {timeout:?}");
    }
}
