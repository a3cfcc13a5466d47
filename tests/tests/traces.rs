//! Traces through the local gateway, with the pipeline on as `conduit-local` runs it: every span
//! kept in memory and served at `GET /_local/traces`. A request's trace is the request, its use
//! case and the use case's DynamoDB calls on the table; a stream consumer's work on what a request
//! wrote is in that request's trace ("register → welcome mail", "publish → feed fan-out",
//! "delete → purge"), linked to the invocation that ran it; the page beside the JSON is
//! self-contained and served with the gateway's security headers.
//!
//! The tracer provider is the process's (installed once, by the first test to need it), so every
//! test of this file shares the recent traces and picks its own by its table.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use conduit_api_tests::TestApi;
use conduit_local_gateway::{RecentTraceLimits, RecentTraces, TRACES_PAGE_PATH, TRACES_PATH};
use conduit_telemetry::traces::sdk::trace::SimpleSpanProcessor;
use conduit_telemetry::traces::{ExporterChoice, TracesSetup};
use serde_json::{Value, json};

mod common;
use common::{create_article, delete_article};

/// How long a trace may take to be complete: a consumer's span ends after the stream delivered
/// the record (about a second locally) and the consumer did its work.
const SETTLE: Duration = Duration::from_secs(20);

/// The recent traces of this process, the tracer provider installed with them on first use.
fn recent_traces() -> RecentTraces {
    static RECENT: OnceLock<RecentTraces> = OnceLock::new();
    RECENT
        .get_or_init(|| {
            // Room for every test of this file at once.
            let recent = RecentTraces::new(RecentTraceLimits { traces: 1000, ..RecentTraceLimits::default() });
            let setup = TracesSetup::new("conduit-local", ExporterChoice::None)
                .with_span_processor(SimpleSpanProcessor::new(recent.clone()));
            conduit_telemetry::init_with_traces(setup).expect("traces installed");
            recent
        })
        .clone()
}

/// The gateway's own pages are not the API's: read at the root, outside the API's contract.
async fn local_page(api: &TestApi, path: &str) -> reqwest::Response {
    let root = api.base_url.trim_end_matches("/api");
    reqwest::get(format!("{root}{path}")).await.expect("page read")
}

/// The traces at `GET /_local/traces` that touched `table`.
async fn traces_on(api: &TestApi, table: &str) -> Vec<Value> {
    let listed: Value = local_page(api, TRACES_PATH).await.json().await.expect("traces JSON");
    let on_table = |span: &Value| span["attributes"]["aws.dynamodb.table_names"] == json!([table]);
    listed["traces"]
        .as_array()
        .expect("a list of traces")
        .iter()
        .filter(|trace| spans(trace).iter().any(on_table))
        .cloned()
        .collect()
}

fn spans(trace: &Value) -> &Vec<Value> {
    trace["spans"].as_array().expect("a trace's spans")
}

/// The trace whose root is the request for `route` (`POST /api/users`), once `complete` says so.
async fn request_trace(api: &TestApi, route: &str, complete: impl Fn(&Value) -> bool) -> Value {
    let table = api.adapters.table_name().to_owned();
    let started = Instant::now();
    loop {
        let traces = traces_on(api, &table).await;
        let found = traces.iter().find(|trace| {
            let root = &spans(trace)[0];
            root["name"] == "request" && root["parent_span_id"].is_null() && root["attributes"]["http.route"] == route
        });
        match found {
            Some(trace) if complete(trace) => return trace.clone(),
            _ if started.elapsed() > SETTLE => panic!("no complete trace of {route} within {SETTLE:?}: {found:#?}"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn children<'a>(trace: &'a Value, parent: &Value) -> Vec<&'a Value> {
    spans(trace).iter().filter(|span| span["parent_span_id"] == parent["span_id"]).collect()
}

/// The span of `consumer`'s work on a record in `trace`, if it is there yet.
fn record_span<'a>(trace: &'a Value, consumer: &str) -> Option<&'a Value> {
    spans(trace).iter().find(|span| span["name"] == "record" && span["attributes"]["consumer"] == consumer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_trace_is_the_request_then_its_use_case_then_its_dynamodb_calls_on_the_table() {
    // Given the local gateway, keeping every span
    let api = TestApi::start_with_recent_traces(recent_traces()).await;
    let table = api.adapters.table_name().to_owned();

    // When jake registers and publishes an article
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Traced", &["tracing"]).await;

    // Then the publication's trace starts with its request, answered 201
    let trace = request_trace(&api, "POST /api/articles", |_| true).await;
    let request = &spans(&trace)[0];
    assert_eq!(request["attributes"]["http.request.method"], "POST");
    assert_eq!(request["attributes"]["http.response.status_code"], 201);
    // And under it the use case
    let use_cases = children(&trace, request);
    let use_case = use_cases.iter().find(|span| span["name"] == "CreateArticle").expect("the use case");
    // And under that, DynamoDB calls, each a client span with its operation and the test's table
    let calls = children(&trace, use_case);
    let operations: Vec<&str> = calls.iter().filter_map(|call| call["attributes"]["rpc.method"].as_str()).collect();
    assert!(operations.contains(&"TransactWriteItems"), "the article's transaction: {operations:?}");
    for call in calls {
        let operation = call["attributes"]["rpc.method"].as_str().expect("an operation");
        assert_eq!(call["name"], format!("DynamoDB.{operation}"), "{call}");
        assert_eq!(call["kind"], "client", "{call}");
        assert_eq!(call["attributes"]["rpc.system"], "aws-api", "{call}");
        assert_eq!(call["attributes"]["rpc.service"], "DynamoDB", "{call}");
        assert_eq!(call["attributes"]["aws.dynamodb.table_names"], json!([table]), "{call}");
        assert_eq!(call["trace_id"], trace["trace_id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumers_work_is_in_the_trace_of_the_request_whose_write_it_follows() {
    // Given the local gateway, keeping every span, and running the stream's consumers
    let api = TestApi::start_with_recent_traces(recent_traces()).await;

    // When jake registers, publishes an article and deletes it
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Traced", &[]).await;
    delete_article(&api, &jake, &slug).await;

    // Then each consumer's record is in the trace of the request that caused it: the welcome
    // mail in the registration's, the feed fan-out in the publication's, the purge in the
    // deletion's (whose removal carries only the article as it was before)
    for (route, consumer, use_case) in [
        ("POST /api/users", "send-welcome-mail", "RegisterUser"),
        ("POST /api/articles", "update-feeds", "CreateArticle"),
        ("DELETE /api/articles/{slug}", "purge-deleted-article", "DeleteArticle"),
    ] {
        let trace = request_trace(&api, route, |trace| record_span(trace, consumer).is_some()).await;
        let record = record_span(&trace, consumer).expect("the record's span");
        assert_eq!(record["trace_id"], trace["trace_id"], "{consumer}");
        // And it is the child of the request's use case, which wrote the item
        let parent = spans(&trace).iter().find(|span| span["span_id"] == record["parent_span_id"]);
        let parent = parent.unwrap_or_else(|| panic!("{consumer}'s parent in the trace: {trace:#}"));
        assert_eq!(parent["name"], use_case, "{consumer}");
        assert_eq!(parent["parent_span_id"], spans(&trace)[0]["span_id"], "{consumer}: under the request");
        // And it links the consumer's invocation, in a trace of its own
        let links = record["links"].as_array().expect("links");
        assert_eq!(links.len(), 1, "{consumer}: {record}");
        assert_ne!(links[0]["trace_id"], trace["trace_id"], "{consumer}");
        let invocation = invocation_span(&api, &links[0]).await;
        assert_eq!(invocation["name"], consumer);
        assert_eq!(invocation["attributes"]["faas.trigger"], "datasource");
    }
    // And the publication's trace holds no purge: the deletion stamped the article first
    let published = request_trace(&api, "POST /api/articles", |_| true).await;
    assert!(record_span(&published, "purge-deleted-article").is_none(), "{published:#}");
}

/// The span `link` names, among every trace kept.
async fn invocation_span(api: &TestApi, link: &Value) -> Value {
    let listed: Value = local_page(api, TRACES_PATH).await.json().await.expect("traces JSON");
    let every_span = listed["traces"].as_array().expect("traces").iter().flat_map(spans);
    let mut linked =
        every_span.filter(|span| span["trace_id"] == link["trace_id"] && span["span_id"] == link["span_id"]);
    linked.next().cloned().unwrap_or_else(|| panic!("no span {link}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_traces_page_shows_the_requests_and_loads_nothing_from_elsewhere() {
    // Given the local gateway, keeping every span, and a registration traced
    let api = TestApi::start_with_recent_traces(recent_traces()).await;
    api.register("jake").await;
    let trace = request_trace(&api, "POST /api/users", |_| true).await;

    // When the page is read
    let page = local_page(&api, TRACES_PAGE_PATH).await;

    // Then it comes with the headers of the API's pages: a strict policy, no sniffing, no caching
    let header = |name: &str| page.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
    assert_eq!(header("content-type").as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    let policy = header("content-security-policy").expect("a Content-Security-Policy");
    assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"), "{policy}");
    assert!(!policy.contains("unsafe"), "{policy}");
    // And it shows the registration's trace, with nothing to load from elsewhere: no script, no
    // external stylesheet, image or frame
    let html = page.text().await.expect("the page");
    let trace_id = trace["trace_id"].as_str().expect("a trace id");
    assert!(html.contains(&format!("<section id=\"trace-{trace_id}\">")), "{html}");
    assert!(html.contains("POST /api/users"));
    for external in ["<script", "src=", "<link", "url(", "@import", "<iframe", "<img"] {
        assert!(!html.contains(external), "{external} in {html}");
    }
}
