//! OTLP, anywhere else: with the standard `OTEL_EXPORTER_OTLP_*` variables, spans go to that
//! endpoint as OTLP/HTTP protobuf, with the configured headers, the service's resource and the
//! spans' attributes; the request is the trace's root (no X-Ray parent where X-Ray is not the
//! backend). The listener decodes what it gets with OpenTelemetry's own protobuf messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use conduit_telemetry::RequestContext;
use conduit_telemetry::traces::attributes::AwsCall;
use conduit_telemetry::traces::{ExporterChoice, TracesSetup};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message;
use tracing::Instrument;

/// One export as the collector received it: its path, headers and decoded body.
type Export = (String, HashMap<String, String>, ExportTraceServiceRequest);

/// What the collector received.
#[derive(Default, Clone)]
struct Received(Arc<Mutex<Vec<Export>>>);

/// An OTLP/HTTP collector on loopback answering every export with 200.
async fn collector() -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listen");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let received = Received::default();
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let keep = keep.clone();
                    async move {
                        let path = request.uri().path().to_owned();
                        let headers = request
                            .headers()
                            .iter()
                            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_owned()))
                            .collect();
                        let body = request.into_body().collect().await.expect("a body").to_bytes();
                        let export = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
                        keep.0.lock().expect("lock").push((path, headers, export));
                        Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::new())))
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (endpoint, received)
}

fn text(value: Option<&AnyValue>) -> Option<&str> {
    match value?.value.as_ref()? {
        any_value::Value::StringValue(text) => Some(text),
        _ => None,
    }
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes.iter().find(|attribute| attribute.key == key).and_then(|attribute| attribute.value.as_ref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_otlp_endpoint_configured_spans_are_exported_there_as_otlp() {
    // Given a collector, and the variables the template sets from its parameters.
    let (endpoint, received) = collector().await;
    // SAFETY: set before anything else in this test binary, its only test, reads the environment.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint);
        std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=collector-key");
        std::env::set_var("OTEL_EXPORTER_OTLP_TIMEOUT", "1000");
        std::env::set_var("AWS_XRAY_DAEMON_ADDRESS", "127.0.0.1:9");
    }
    let traces = conduit_telemetry::init_with_traces(TracesSetup::from_env("list-tags")).expect("installed");
    assert_eq!(traces.exporter(), ExporterChoice::Otlp);

    // When a request runs and its spans are flushed (blocking, as after an invocation).
    let context = RequestContext {
        request_id: "request-7".into(),
        function: "list-tags".into(),
        method: "GET".into(),
        route: "GET /api/tags".into(),
        ..RequestContext::default()
    };
    let (span, _) = context.span();
    async {
        let call = AwsCall::start("DynamoDB", "Query").on_table("conduit-test");
        tokio::task::yield_now().instrument(call.span().clone()).await;
        call.finish(Some("QUERY0ID"), false);
    }
    .instrument(span.clone())
    .await;
    conduit_telemetry::traces::attributes::http_response(&span, 200);
    drop(span);
    tokio::task::spawn_blocking(conduit_telemetry::traces::flush).await.expect("flushed");

    // Then the collector got OTLP/HTTP at /v1/traces with the configured header...
    let received = received.0.lock().expect("lock").clone();
    assert_eq!(received.len(), 1, "one export for the flush");
    let (path, headers, export) = &received[0];
    assert_eq!(path, "/v1/traces");
    assert_eq!(headers.get("content-type").map(String::as_str), Some("application/x-protobuf"));
    assert_eq!(headers.get("x-api-key").map(String::as_str), Some("collector-key"));
    // ...from the service...
    let resource_spans = &export.resource_spans[0];
    let resource = resource_spans.resource.as_ref().expect("a resource");
    assert_eq!(text(attribute(&resource.attributes, "service.name")), Some("list-tags"));
    // ...the request, as the trace's root, with its HTTP attributes and request id...
    let spans: Vec<_> = resource_spans.scope_spans.iter().flat_map(|scope| &scope.spans).collect();
    let request = spans.iter().find(|span| span.name == "request").expect("the request span");
    assert!(request.parent_span_id.is_empty(), "the request is the root");
    assert_eq!(text(attribute(&request.attributes, "http.route")), Some("GET /api/tags"));
    assert_eq!(text(attribute(&request.attributes, "http.request.method")), Some("GET"));
    assert_eq!(text(attribute(&request.attributes, "request_id")), Some("request-7"));
    let status = attribute(&request.attributes, "http.response.status_code").and_then(|value| value.value.clone());
    assert_eq!(status, Some(any_value::Value::IntValue(200)));
    // ...and the DynamoDB call under it, as a client span with the conventions' attributes.
    let query = spans.iter().find(|span| span.name == "DynamoDB.Query").expect("the DynamoDB span");
    assert_eq!(query.parent_span_id, request.span_id);
    assert_eq!(query.trace_id, request.trace_id);
    assert_eq!(query.kind, opentelemetry_proto::tonic::trace::v1::span::SpanKind::Client as i32);
    assert_eq!(text(attribute(&query.attributes, "rpc.system")), Some("aws-api"));
    assert_eq!(text(attribute(&query.attributes, "rpc.method")), Some("Query"));
    assert_eq!(text(attribute(&query.attributes, "aws.request_id")), Some("QUERY0ID"));
    let tables = attribute(&query.attributes, "aws.dynamodb.table_names").and_then(|value| value.value.clone());
    let Some(any_value::Value::ArrayValue(tables)) = tables else { panic!("table names as an array: {tables:?}") };
    assert_eq!(text(tables.values.first()), Some("conduit-test"));
}
