//! X-Ray, as deployed: a function's real binary, started as Lambda starts it with active tracing
//! (its template environment, the daemon's address), answers an invocation that carries Lambda's
//! sampled trace header and sends the daemon one subsegment per span, all in Lambda's trace: the
//! invocation under Lambda's own segment, the request under it, the use case under that, and each
//! DynamoDB call as an AWS call with its operation and table. An unsampled invocation sends nothing.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::time::Duration;

use conduit_api_tests::function_template::{LocalStack, Services, binaries_dir, function_configs, lambda_settings};
use conduit_api_tests::sample_tokens::reissue_tokens;
use conduit_api_tests::samples::{SAMPLE_SIGNING_KEY, events_dir, read, seeded_world};
use conduit_api_tests::template::template;
use conduit_bootstrap::{KeyRing, SigningKey};
use conduit_lambda_runtime_emulator::ExecutionEnvironment;
use conduit_lambda_runtime_emulator::xray_daemon::{XrayDaemon, fresh_trace_root};
use serde_json::Value;

const LAMBDAS_SEGMENT: &str = "53995c3f42cd8ad8";

fn by_id<'a>(documents: &'a [Value], id: &Value) -> Option<&'a Value> {
    documents.iter().find(|document| document["id"] == *id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traced_function_reports_its_invocation_request_use_case_and_dynamodb_calls_under_lambdas_segment() {
    // Given login-user's binary started as Lambda starts it, with the daemon listening here...
    let template = template();
    let functions = function_configs(&template).expect("the template's functions");
    let function = functions.iter().find(|function| function.binary == "login-user").expect("in the template");
    let program = binaries_dir().join("login-user");
    assert!(program.is_file(), "{} is missing: cargo build --workspace --bins first", program.display());
    let daemon = XrayDaemon::bind(Duration::from_millis(500)).expect("a local X-Ray daemon address");
    let services = Services::from_test_environment(daemon.address());
    let secret = services.create_signing_secret(SAMPLE_SIGNING_KEY).await;
    let keys =
        KeyRing { current: SigningKey::new(&secret.version_id, SAMPLE_SIGNING_KEY).expect("key"), previous: None };
    let world = seeded_world(keys).await;
    let stack =
        LocalStack { template: &template, table_name: world.table_name.clone(), secret_arn: secret.arn.clone() };
    let settings = lambda_settings(function, &stack, &services, &binaries_dir()).expect("settings");
    assert!(settings.active_tracing, "the template traces login-user");
    let mut lambda = ExecutionEnvironment::start(settings.function(program)).await.expect("started");
    let event: Value = serde_json::from_str(
        &reissue_tokens(&read(&events_dir().join("login-user.json")), &secret.version_id).expect("sample tokens"),
    )
    .expect("a JSON event");

    // ...when Lambda invokes it for a request X-Ray sampled...
    let root = fresh_trace_root();
    let invocation = lambda.invoke_traced(&event, &format!("Root={root};Parent={LAMBDAS_SEGMENT};Sampled=1")).await;
    assert!(invocation.response().is_some(), "{}", invocation.outcome);
    let documents = daemon.segment_documents().expect("segment documents");

    // ...then each span arrived as a subsegment of Lambda's trace (Lambda records the segment)...
    assert!(documents.len() >= 4, "{documents:#?}\n{}", lambda.stdout());
    for document in &documents {
        assert_eq!(document["trace_id"], root.as_str(), "{document}");
        assert_eq!(document["type"], "subsegment", "{document}");
    }
    // ...the invocation under Lambda's segment, the request under it, the use case under that...
    let invocation = documents.iter().find(|document| document["parent_id"] == LAMBDAS_SEGMENT).expect("invocation");
    let request = documents.iter().find(|document| document["name"] == "request").expect("the request");
    let login = documents.iter().find(|document| document["name"] == "Login").expect("the use case");
    assert_eq!(request["parent_id"], invocation["id"], "{documents:#?}");
    assert_eq!(login["parent_id"], request["id"], "{documents:#?}");
    assert_eq!(request["http"]["request"]["method"], "POST", "{request}");
    assert!(request["annotations"]["request_id"].is_string(), "{request}");
    // ...and every DynamoDB call as an AWS call on the table, within the request.
    let dynamodb: Vec<&Value> = documents.iter().filter(|document| document["name"] == "DynamoDB").collect();
    assert!(!dynamodb.is_empty(), "{documents:#?}");
    for call in &dynamodb {
        assert_eq!(call["namespace"], "aws", "{call}");
        assert!(call["aws"]["operation"].is_string(), "{call}");
        assert_eq!(call["aws"]["table_name"], world.table_name.as_str(), "{call}");
        let mut ancestor = by_id(&documents, &call["parent_id"]);
        while let Some(span) = ancestor.filter(|span| span["id"] != request["id"]) {
            ancestor = by_id(&documents, &span["parent_id"]);
        }
        assert!(ancestor.is_some(), "{call} is not within the request");
    }
    assert!(dynamodb.iter().any(|call| call["parent_id"] == login["id"]), "{documents:#?}");

    // When Lambda invokes it for a request X-Ray did not sample, then nothing is sent.
    let unsampled =
        lambda.invoke_traced(&event, &format!("Root={};Parent={LAMBDAS_SEGMENT};Sampled=0", fresh_trace_root())).await;
    assert!(unsampled.response().is_some(), "{}", unsampled.outcome);
    assert_eq!(daemon.segment_documents().expect("segment documents"), Vec::<Value>::new());
}
