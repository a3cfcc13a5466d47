//! One trace across the stream, through the batch loop with traces on (a pipeline kept in this
//! process with a processor of its own): a record whose item carries its writer's `traceparent`
//! is handled in a span that is the writer's child, in its trace, linked to the invocation; a
//! removal's context comes from its old image; a stored value that is no `traceparent` leaves the
//! record in the invocation's trace and handled.

use std::sync::{Arc, Mutex};

use conduit_streams::{
    Invocation, RecordError, RecordOutcome, StreamConsumer, StreamEvent, StreamRecord, process_batch,
};
use conduit_telemetry::traces::opentelemetry::Value as AttributeValue;
use conduit_telemetry::traces::sdk::error::OTelSdkResult;
use conduit_telemetry::traces::sdk::trace::{SimpleSpanProcessor, SpanData, SpanExporter};
use conduit_telemetry::traces::{ExporterChoice, TracesSetup, current_traceparent};
use serde_json::{Value, json};
use tracing::Instrument;

/// Keeps what it is given.
#[derive(Debug, Clone, Default)]
struct Kept(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Kept {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().expect("lock").extend(batch);
        Ok(())
    }
}

/// Handles every record.
struct Accepting;

impl StreamConsumer for Accepting {
    const NAME: &'static str = "accepting";

    async fn handle(&self, _record: &StreamRecord, _invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        Ok(RecordOutcome::Handled)
    }
}

fn record(event_id: &str, event_name: &str, image: Value) -> Value {
    let (new_image, old_image) = if event_name == "REMOVE" { (Value::Null, image) } else { (image, Value::Null) };
    json!({
        "eventID": event_id, "eventName": event_name, "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "dynamodb": { "ApproximateCreationDateTime": 1_700_000_000, "Keys": {"PK": {"S": "ARTICLE#1"}, "SK": {"S": "ARTICLE"}},
                      "NewImage": new_image, "OldImage": old_image,
                      "SequenceNumber": event_id, "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES" }
    })
}

fn with_trace_parent(traceparent: &str) -> Value {
    json!({"PK": {"S": "ARTICLE#1"}, "SK": {"S": "ARTICLE"}, "trace_parent": {"S": traceparent}})
}

#[tokio::test]
async fn a_records_span_continues_the_trace_stored_with_its_item_and_links_the_invocation() {
    // Given traces on, and two requests that wrote items with their trace context
    let kept = Kept::default();
    let setup = TracesSetup::new("streams-tests", ExporterChoice::None)
        .with_span_processor(SimpleSpanProcessor::new(kept.clone()));
    conduit_telemetry::init_with_traces(setup).expect("traces installed");
    let publishing = async { current_traceparent() }.instrument(tracing::info_span!("publish")).await.expect("traced");
    let deleting = async { current_traceparent() }.instrument(tracing::info_span!("delete")).await.expect("traced");

    // When an invocation handles their records, and one whose stored value is no traceparent
    let event: StreamEvent = serde_json::from_value(json!({ "Records": [
        record("100", "INSERT", with_trace_parent(&publishing)),
        record("200", "REMOVE", with_trace_parent(&deleting)),
        record("300", "INSERT", with_trace_parent("garbage")),
    ]}))
    .expect("a stream event");
    let response = process_batch(&Accepting, event, Invocation::starting_now(None))
        .instrument(tracing::info_span!("invocation"))
        .await;

    // Then every record is handled
    assert!(response.batch_item_failures.is_empty());
    let spans = kept.0.lock().expect("lock").clone();
    let named = |name: &str| spans.iter().find(|span| span.name == name).unwrap_or_else(|| panic!("{name}: {spans:?}"));
    let record_span = |event_id: &str| {
        let event_id = AttributeValue::from(event_id.to_owned());
        spans
            .iter()
            .find(|span| {
                span.name == "record"
                    && span.attributes.iter().any(|kv| kv.key.as_str() == "event_id" && kv.value == event_id)
            })
            .unwrap_or_else(|| panic!("record {event_id}: {spans:?}"))
    };
    let (publish, delete, invocation) = (named("publish"), named("delete"), named("invocation"));
    // And the creation's record continues the publishing request's trace, linked to the invocation
    let created = record_span("100");
    assert_eq!(created.span_context.trace_id(), publish.span_context.trace_id());
    assert_eq!(created.parent_span_id, publish.span_context.span_id());
    assert_eq!(
        created.links.links.iter().map(|link| &link.span_context).collect::<Vec<_>>(),
        [&invocation.span_context]
    );
    // And the removal's, the deleting request's (from the old image)
    let removed = record_span("200");
    assert_eq!(removed.span_context.trace_id(), delete.span_context.trace_id());
    assert_eq!(removed.parent_span_id, delete.span_context.span_id());
    // And the record with a value that is no traceparent stays in the invocation's trace
    let unreadable = record_span("300");
    assert_eq!(unreadable.span_context.trace_id(), invocation.span_context.trace_id());
    assert_eq!(unreadable.parent_span_id, invocation.span_context.span_id());
    assert!(unreadable.links.links.is_empty(), "{:?}", unreadable.links);
}
