//! X-Ray, as deployed: an invocation that carries Lambda's trace header sends the X-Ray daemon one
//! subsegment per span (the invocation, the request, the use case, each AWS call), all in Lambda's
//! trace and under Lambda's own segment for the invocation, once the invocation has answered. An
//! invocation Lambda did not sample sends nothing.

use std::sync::Arc;
use std::time::Duration;

use conduit_lambda_runtime_emulator::xray_daemon::{XrayDaemon, fresh_trace_root};
use conduit_telemetry::RequestContext;
use conduit_telemetry::traces::attributes::AwsCall;
use conduit_telemetry::traces::lambda::{InvocationTracing, Trigger};
use conduit_telemetry::traces::{ExporterChoice, TracesSetup};
use lambda_runtime::tower::{Layer, Service, service_fn};
use lambda_runtime::{Config, Context, LambdaInvocation};
use serde_json::Value;
use tracing::Instrument;

const LAMBDAS_SEGMENT: &str = "53995c3f42cd8ad8";
const TABLE: &str = "conduit-test";

#[tracing::instrument(name = "Login", skip_all)]
async fn use_case() {
    let call = AwsCall::start("DynamoDB", "GetItem").on_table(TABLE);
    tokio::task::yield_now().instrument(call.span().clone()).await;
    call.finish(Some("REQUEST0ID"), false);
}

/// One invocation of a function whose handler serves a request that reads DynamoDB, through the
/// runtime layer every function has.
async fn invoke(trace_header: &str) {
    let handler = service_fn(|_: LambdaInvocation| async {
        let context = RequestContext {
            request_id: "request-1".into(),
            function: "login-user".into(),
            method: "POST".into(),
            route: "POST /api/users/login".into(),
            ..RequestContext::default()
        };
        let (span, _) = context.span();
        use_case().instrument(span).await;
        Ok::<(), lambda_runtime::Error>(())
    });
    let mut function = InvocationTracing::new(Trigger::Http).layer(handler);
    let config = Config { function_name: "login-user".into(), ..Config::default() };
    let mut context = Context::default();
    context.request_id = "invocation-1".into();
    context.xray_trace_id = Some(trace_header.to_owned());
    context.env_config = Arc::new(config);
    let (parts, _) = http::Response::new(()).into_parts();
    function.call(LambdaInvocation { parts, body: Default::default(), context }).await.expect("answered");
}

fn named<'a>(documents: &'a [Value], name: &str) -> &'a Value {
    documents.iter().find(|document| document["name"] == name).unwrap_or_else(|| panic!("no {name} in {documents:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_invocation_reaches_the_daemon_under_lambdas_segment_and_an_unsampled_one_sends_nothing() {
    // Given a daemon listening where Lambda says it runs, and the pipeline a function starts with.
    let daemon = XrayDaemon::bind(Duration::from_millis(300)).expect("daemon socket");
    // SAFETY: set before anything else in this test binary, its only test, reads the environment.
    unsafe {
        std::env::set_var("AWS_XRAY_DAEMON_ADDRESS", daemon.address());
        std::env::set_var("AWS_REGION", "eu-west-1");
        std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    let traces = conduit_telemetry::init_with_traces(TracesSetup::from_env("login-user")).expect("installed");
    assert!(matches!(traces.exporter(), ExporterChoice::Xray { .. }));

    // When an invocation Lambda sampled runs (the flush follows its answer, nothing else)...
    let root = fresh_trace_root();
    invoke(&format!("Root={root};Parent={LAMBDAS_SEGMENT};Sampled=1;Lineage=a87bd80c:0")).await;
    let documents = daemon.segment_documents().expect("segment documents");

    // ...then every span arrived as a subsegment of Lambda's trace: no second segment for the
    // function, which Lambda records itself...
    assert_eq!(documents.len(), 4, "{documents:#?}");
    for document in &documents {
        assert_eq!(document["trace_id"], root.as_str(), "{document}");
        assert_eq!(document["type"], "subsegment", "{document}");
        assert!(document["end_time"].as_f64() >= document["start_time"].as_f64(), "{document}");
    }
    // ...in a tree under Lambda's segment: invocation, request, use case, DynamoDB call...
    let invocation = named(&documents, "login-user");
    let request = named(&documents, "request");
    let use_case = named(&documents, "Login");
    let dynamodb = named(&documents, "DynamoDB");
    assert_eq!(invocation["parent_id"], LAMBDAS_SEGMENT);
    assert_eq!(request["parent_id"], invocation["id"]);
    assert_eq!(use_case["parent_id"], request["id"]);
    assert_eq!(dynamodb["parent_id"], use_case["id"]);
    // ...the request findable by its id...
    assert_eq!(request["annotations"]["request_id"], "request-1", "{request}");
    // ...and the call shown as one to AWS, with its operation, table and request id.
    assert_eq!(dynamodb["namespace"], "aws", "{dynamodb}");
    assert_eq!(dynamodb["aws"]["operation"], "GetItem", "{dynamodb}");
    assert_eq!(dynamodb["aws"]["table_name"], TABLE, "{dynamodb}");
    assert_eq!(dynamodb["aws"]["request_id"], "REQUEST0ID", "{dynamodb}");

    // When Lambda did not sample an invocation, then nothing is sent.
    invoke(&format!("Root={};Parent={LAMBDAS_SEGMENT};Sampled=0", fresh_trace_root())).await;
    assert_eq!(daemon.segment_documents().expect("segment documents"), Vec::<Value>::new());
}
