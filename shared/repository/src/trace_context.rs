//! The trace context stored with the items whose stream records a consumer acts on: the W3C
//! `traceparent` of the span that wrote them (`trace_parent`), so the consumer's work continues
//! the writer's trace (conduit-streams reads it back from the record's image). Nothing is stored
//! when tracing is off.
//!
//! Expand-only: no item shape denies unknown attributes, so code that predates the attribute
//! reads items carrying it as before.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_telemetry::traces::current_traceparent;

use crate::keys::Key;
use crate::table::{Item, Table};

/// The attribute holding the writer's `traceparent`, named once for the writer and the consumers.
pub use conduit_telemetry::traces::TRACE_PARENT_ATTRIBUTE;

/// The current span's `traceparent`, as the attribute's value, when traced.
pub(crate) fn current() -> Option<AttributeValue> {
    current_traceparent().map(AttributeValue::S)
}

/// `item` with the writer's trace context, when traced.
pub(crate) fn stamped(mut item: Item) -> Item {
    if let Some(traceparent) = current() {
        item.insert(TRACE_PARENT_ATTRIBUTE.to_owned(), traceparent);
    }
    item
}

/// Stores the current trace context on the item at `key` ahead of its deletion: a removal's
/// stream record carries only the item as it was, so without this its consumer would continue
/// the trace of the item's last write instead of the deleting request's. Only when traced (an
/// untraced request pays no write), only on an item that still exists, and never failing the
/// deletion: a lost trace context is logged and the deletion goes on.
pub(crate) async fn stamp_before_removal(table: &Table, key: Key) {
    let Some(traceparent) = current() else { return };
    let assignment = format!("SET {TRACE_PARENT_ATTRIBUTE} = :trace_parent");
    let stamped =
        table.update_if(key, &assignment, "attribute_exists(PK)", &[], vec![(":trace_parent", traceparent)]).await;
    if let Err(error) = stamped {
        tracing::debug!(error = %error, "the trace context could not be stored before the removal");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untraced_writes_store_no_trace_context() {
        let item = Item::from([("PK".to_owned(), AttributeValue::S("USER#1".to_owned()))]);

        let written = stamped(item.clone());

        assert_eq!(written, item, "no pipeline in this test: nothing to store");
        assert!(current().is_none());
    }
}
