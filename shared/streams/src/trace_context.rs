//! One trace across the stream: a record's span continues the trace of the request whose write
//! produced the record. The writer stored its span's W3C `traceparent` on the item
//! (`trace_parent`, conduit-repository); the record's span becomes that span's child and links
//! the invocation it runs in, before it is first entered.
//!
//! A removal's record carries only the item as it was (the deleting request stamped it just
//! before). A record without a stored context, or with one that is not a `traceparent`, is handled
//! as ever, in the invocation's trace: a trace context never fails a record.

use conduit_telemetry::traces;
use tracing::Span;

use crate::StreamRecord;

/// The attribute the writer stores its `traceparent` in, named once for the writer and the consumers.
pub use conduit_telemetry::traces::TRACE_PARENT_ATTRIBUTE;

/// Makes `record_span` continue the stored trace, if any, and link the current span (the
/// invocation). Call it before `record_span` is first entered: a started span keeps its parent.
pub(crate) fn continue_stored_trace(record_span: &Span, record: &StreamRecord) {
    let Some(traceparent) = stored_traceparent(record) else { return };
    match traces::continue_trace(record_span, &traceparent) {
        Ok(()) => traces::link_to_current(record_span),
        Err(error) => {
            tracing::debug!(error = %error, "the record's stored trace context is not continued");
        }
    }
}

/// The `traceparent` stored on the item: on its new image, or on its old one for a removal.
fn stored_traceparent(record: &StreamRecord) -> Option<String> {
    let image = if record.event_name == "REMOVE" { &record.change.old_image } else { &record.change.new_image };
    // The image's attribute values are serde_dynamo's: read as DynamoDB JSON, `{"S": "..."}`.
    let value = serde_json::to_value(image.get(TRACE_PARENT_ATTRIBUTE)?).ok()?;
    value.get("S")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn record(event_name: &str, new_image: Value, old_image: Value) -> StreamRecord {
        serde_json::from_value(json!({
            "eventID": "1", "eventName": event_name, "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
            "dynamodb": { "ApproximateCreationDateTime": 1_700_000_000, "Keys": {"PK": {"S": "USER#1"}, "SK": {"S": "USER"}},
                          "NewImage": new_image, "OldImage": old_image,
                          "SequenceNumber": "100", "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES" }
        }))
        .expect("a stream record")
    }

    #[test]
    fn a_creation_or_change_carries_the_context_on_its_new_image_a_removal_on_its_old_one() {
        let stored = json!({"PK": {"S": "USER#1"}, "trace_parent": {"S": TRACEPARENT}});
        let older = json!({"PK": {"S": "USER#1"}, "trace_parent": {"S": "00-older"}});

        let inserted = record("INSERT", stored.clone(), Value::Null);
        let modified = record("MODIFY", stored.clone(), older.clone());
        let removed = record("REMOVE", Value::Null, stored);

        assert_eq!(stored_traceparent(&inserted).as_deref(), Some(TRACEPARENT));
        assert_eq!(stored_traceparent(&modified).as_deref(), Some(TRACEPARENT));
        assert_eq!(stored_traceparent(&removed).as_deref(), Some(TRACEPARENT));
    }

    #[test]
    fn an_item_without_a_context_or_with_another_type_has_none() {
        let without = record("INSERT", json!({"PK": {"S": "USER#1"}}), Value::Null);
        let number = record("INSERT", json!({"trace_parent": {"N": "1"}}), Value::Null);

        assert_eq!(stored_traceparent(&without), None);
        assert_eq!(stored_traceparent(&number), None);
    }
}
