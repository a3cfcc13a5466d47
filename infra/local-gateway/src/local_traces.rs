//! The traces of recent requests and stream records, shown by the local gateway only (the deployed
//! API has no such routes): `GET /_local/traces` as JSON for tests and scripts, the trace a span
//! ended in last first, each with its spans in the order they started; `GET /_local/traces.html`
//! as a page for a person (`traces_page.rs`).
//!
//! A span: `trace_id`, `span_id`, `parent_span_id` (`null` for a root), `name`, `kind`,
//! `start_time_unix_nano` and `end_time_unix_nano` (strings, as OTLP's JSON has them),
//! `start_offset_ms` (from the trace's first span) and `duration_ms`, `attributes`, `links`
//! (`trace_id`, `span_id`, `attributes`) and `status` (`code`: `unset`, `ok` or `error`, with its
//! `description`).

use std::time::{SystemTime, UNIX_EPOCH};

use conduit_telemetry::traces::opentelemetry::trace::{SpanId, Status};
use conduit_telemetry::traces::opentelemetry::{Array, KeyValue, Value as AttributeValue};
use conduit_telemetry::traces::sdk::trace::SpanData;
use serde_json::{Map, Value, json};

use crate::events::IncomingRequest;
use crate::gateway_response::GatewayResponse;
use crate::recent_traces::{RecentTrace, RecentTraces};
use crate::trace_view::{by_start, extent, kind, millis_between, roots, timestamp};
use crate::traces_page;

pub const TRACES_PATH: &str = "/_local/traces";
pub const TRACES_PAGE_PATH: &str = "/_local/traces.html";

/// The answer when the request is for the traces; `None` leaves it to API routing (also when the
/// gateway keeps no traces: tracing could not be set up).
pub(crate) fn answer(request: &IncomingRequest, recent: Option<&RecentTraces>) -> Option<GatewayResponse> {
    let recent = recent.filter(|_| request.method == "GET")?;
    let (content_type, body, policy) = match request.raw_path.as_str() {
        TRACES_PATH => ("application/json", traces_json(recent).to_string(), None),
        TRACES_PAGE_PATH => (
            "text/html; charset=utf-8",
            traces_page::page(recent, TRACES_PATH),
            Some(traces_page::content_security_policy()),
        ),
        _ => return None,
    };
    let mut headers = vec![
        ("content-type".to_owned(), content_type.to_owned()),
        // Always the current traces, never a cached page.
        ("cache-control".to_owned(), "no-store".to_owned()),
        // As every answer of a function: taken for what its Content-Type says.
        ("x-content-type-options".to_owned(), "nosniff".to_owned()),
    ];
    if let Some(policy) = policy {
        headers.push(("content-security-policy".to_owned(), policy.to_owned()));
        headers.push(("referrer-policy".to_owned(), "no-referrer".to_owned()));
    }
    Some(GatewayResponse { status: 200, headers, body: body.into_bytes(), route_key: None, function: None })
}

fn traces_json(recent: &RecentTraces) -> Value {
    let limits = recent.limits();
    json!({
        "traces": recent.traces().iter().map(trace_json).collect::<Vec<_>>(),
        "limits": { "traces": limits.traces, "spans_per_trace": limits.spans_per_trace },
    })
}

fn trace_json(trace: &RecentTrace) -> Value {
    let spans = by_start(trace);
    let (started, ended) = extent(&spans);
    json!({
        "trace_id": trace.trace_id.to_string(),
        "root": roots(&spans).first().map(|root| root.name.as_ref()),
        "started_at": timestamp(started).to_iso8601(),
        "duration_ms": millis_between(started, ended),
        "dropped_spans": trace.dropped_spans,
        "spans": spans.iter().map(|span| span_json(span, started)).collect::<Vec<_>>(),
    })
}

fn span_json(span: &SpanData, trace_started: SystemTime) -> Value {
    let parent = (span.parent_span_id != SpanId::INVALID).then(|| span.parent_span_id.to_string());
    json!({
        "trace_id": span.span_context.trace_id().to_string(),
        "span_id": span.span_context.span_id().to_string(),
        "parent_span_id": parent,
        "name": span.name,
        "kind": kind(&span.span_kind),
        "start_time_unix_nano": unix_nanos(span.start_time).to_string(),
        "end_time_unix_nano": unix_nanos(span.end_time).to_string(),
        "start_offset_ms": millis_between(trace_started, span.start_time),
        "duration_ms": millis_between(span.start_time, span.end_time),
        "attributes": attributes_json(&span.attributes),
        "links": span.links.iter().map(|link| json!({
            "trace_id": link.span_context.trace_id().to_string(),
            "span_id": link.span_context.span_id().to_string(),
            "attributes": attributes_json(&link.attributes),
        })).collect::<Vec<_>>(),
        "status": match &span.status {
            Status::Unset => json!({ "code": "unset" }),
            Status::Ok => json!({ "code": "ok" }),
            Status::Error { description } => json!({ "code": "error", "description": description }),
        },
    })
}

fn attributes_json(attributes: &[KeyValue]) -> Value {
    let mut object = Map::new();
    for attribute in attributes {
        object.insert(attribute.key.to_string(), attribute_json(&attribute.value));
    }
    Value::Object(object)
}

fn attribute_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Bool(value) => json!(value),
        AttributeValue::I64(value) => json!(value),
        AttributeValue::F64(value) => json!(value),
        AttributeValue::String(value) => json!(value.as_str()),
        AttributeValue::Array(Array::Bool(values)) => json!(values),
        AttributeValue::Array(Array::I64(values)) => json!(values),
        AttributeValue::Array(Array::F64(values)) => json!(values),
        AttributeValue::Array(Array::String(values)) => {
            json!(values.iter().map(|value| value.as_str()).collect::<Vec<_>>())
        }
        // Kinds of value a later OpenTelemetry may add: shown as it prints them.
        other => json!(other.to_string()),
    }
}

fn unix_nanos(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_nanos())
}

#[cfg(test)]
mod tests {
    use conduit_telemetry::traces::opentelemetry::StringValue;
    use conduit_telemetry::traces::opentelemetry::trace::{
        Link, SpanContext, SpanKind, TraceFlags, TraceId, TraceState,
    };
    use conduit_telemetry::traces::sdk::trace::SpanExporter;

    use super::*;
    use crate::events::test_request as request;
    use crate::recent_traces::RecentTraceLimits;
    use crate::recent_traces::tests::timed_span;

    #[test]
    fn only_gets_of_the_traces_paths_are_answered_here_and_only_while_traces_are_kept() {
        let recent = RecentTraces::new(RecentTraceLimits::default());

        for path in [TRACES_PATH, TRACES_PAGE_PATH] {
            let answer = answer(&request("GET", path, &[]), Some(&recent)).expect("answered");
            assert_eq!(answer.status, 200, "{path}");
            assert!(answer.headers.contains(&("x-content-type-options".into(), "nosniff".into())), "{path}");
            assert!(answer.headers.contains(&("cache-control".into(), "no-store".into())), "{path}");
        }
        for (method, path) in [("POST", TRACES_PATH), ("GET", "/_local/traces/1"), ("GET", "/api/tags")] {
            assert!(answer(&request(method, path, &[]), Some(&recent)).is_none(), "{method} {path}");
        }
        assert!(answer(&request("GET", TRACES_PATH, &[]), None).is_none(), "no traces kept: the API's 404");
    }

    #[tokio::test]
    async fn a_trace_is_listed_with_its_spans_in_the_order_they_started() {
        // Given a request's trace: its use case with a DynamoDB call ended first, the request last
        let recent = RecentTraces::new(RecentTraceLimits::default());
        let mut call = timed_span(9, 3, 2, "DynamoDB.PutItem", 2, 3);
        call.span_kind = SpanKind::Client;
        call.attributes = vec![
            KeyValue::new("rpc.method", "PutItem"),
            KeyValue::new("aws.dynamodb.table_names", AttributeValue::Array(vec![StringValue::from("t1")].into())),
        ];
        call.status = Status::error("");
        let mut request_span = timed_span(9, 1, 0, "request", 0, 10);
        request_span.attributes = vec![KeyValue::new("http.response.status_code", 201_i64)];
        let linked =
            SpanContext::new(TraceId::from(5), SpanId::from(6), TraceFlags::SAMPLED, false, TraceState::default());
        request_span.links.links.push(Link::with_context(linked));
        let use_case = timed_span(9, 2, 1, "Register", 1, 8);
        recent.export(vec![call, use_case, request_span]).await.expect("kept");

        // When the traces are read as JSON
        let body = answer(&request("GET", TRACES_PATH, &[]), Some(&recent)).expect("answered").body;
        let listed: Value = serde_json::from_slice(&body).expect("JSON");

        // Then the trace has its root, its duration and its spans, the request first
        let trace = &listed["traces"][0];
        assert_eq!(trace["trace_id"], "00000000000000000000000000000009");
        assert_eq!(
            (&trace["root"], &trace["duration_ms"], &trace["dropped_spans"]),
            (&json!("request"), &json!(10.0), &json!(0))
        );
        let names: Vec<_> = trace["spans"].as_array().expect("spans").iter().map(|span| span["name"].clone()).collect();
        assert_eq!(names, ["request", "Register", "DynamoDB.PutItem"]);
        let (request_span, call) = (&trace["spans"][0], &trace["spans"][2]);
        assert_eq!(request_span["parent_span_id"], Value::Null);
        assert_eq!(request_span["attributes"]["http.response.status_code"], 201);
        assert_eq!(
            request_span["links"],
            json!([{"trace_id": "00000000000000000000000000000005", "span_id": "0000000000000006", "attributes": {}}])
        );
        assert_eq!(call["parent_span_id"], "0000000000000002");
        assert_eq!(
            (&call["kind"], &call["start_offset_ms"], &call["duration_ms"]),
            (&json!("client"), &json!(2.0), &json!(3.0))
        );
        assert_eq!(call["attributes"], json!({"rpc.method": "PutItem", "aws.dynamodb.table_names": ["t1"]}));
        assert_eq!(call["status"], json!({"code": "error", "description": ""}));
        assert_eq!(listed["limits"], json!({"traces": 50, "spans_per_trace": 1000}));
    }
}
