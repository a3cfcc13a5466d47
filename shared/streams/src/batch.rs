//! One batch: records in shard order, stopping at the first failure. Lambda retries a stream batch
//! from the lowest failed sequence number on, so whatever follows a failure comes again anyway.

use std::future::Future;
use std::pin::Pin;

use conduit_telemetry::metrics::StreamBatchMetrics;

use crate::trace_context;
use crate::{
    DynamoDbBatchItemFailure, DynamoDbEventResponse, Invocation, RecordError, RecordOutcome, StreamConsumer,
    StreamEvent,
};

pub async fn process_batch<C: StreamConsumer>(
    consumer: &C,
    event: StreamEvent,
    invocation: Invocation,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut metrics = StreamBatchMetrics { consumer: C::NAME, ..StreamBatchMetrics::default() };
    let now = std::time::SystemTime::now();
    for record in &event.records {
        let created: std::time::SystemTime = record.change.approximate_creation_date_time.into();
        let age_ms = now.duration_since(created).map_or(0.0, |age| age.as_secs_f64() * 1000.0);
        metrics.iterator_age_ms = metrics.iterator_age_ms.max(age_ms);
        let keys = serde_json::to_string(&record.change.keys).unwrap_or_default();
        let span = tracing::info_span!("record", consumer = C::NAME, event_id = %record.event_id, event_name = %record.event_name, keys = %keys);
        // Before the span is first entered: it joins the trace of the request that wrote the record.
        trace_context::continue_stored_trace(&span, record);
        // Boxed: a consumer's future nests every layer below it (use case, repository, AWS SDK);
        // behind a pointer it stops adding to the runtime's own type depth, which release builds
        // otherwise reject as too deep to lay out.
        let handling: Pin<Box<dyn Future<Output = Result<RecordOutcome, RecordError>> + Send + '_>> =
            Box::pin(consumer.handle(record, &invocation));
        let outcome = tracing::Instrument::instrument(handling, span.clone()).await;
        let _entered = span.enter();
        match outcome {
            Ok(RecordOutcome::Handled) => {
                metrics.processed += 1;
                tracing::info!("record handled");
            }
            Ok(RecordOutcome::Skipped) => {
                metrics.skipped += 1;
                tracing::info!("record skipped: nothing (more) to do");
            }
            Err(error) => {
                metrics.failed += 1;
                tracing::warn!(error = %conduit_telemetry::process::ErrorChain(&error), "record failed; Lambda retries from it");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                break;
            }
        }
    }
    metrics.emit();
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::StreamRecord;

    /// Fails the records whose sequence number it is told to, and remembers what it saw.
    struct Recorder {
        fail: &'static str,
        seen: Mutex<Vec<String>>,
    }

    impl StreamConsumer for Recorder {
        const NAME: &'static str = "recorder";

        async fn handle(&self, record: &StreamRecord, _invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
            let sequence = record.change.sequence_number.clone().unwrap_or_default();
            self.seen.lock().expect("lock").push(sequence.clone());
            if sequence == self.fail {
                Err(RecordError::Unreadable("told to fail".into()))
            } else {
                Ok(RecordOutcome::Handled)
            }
        }
    }

    fn batch(sequences: &[&str]) -> StreamEvent {
        let records: Vec<_> = sequences
            .iter()
            .map(|sequence| {
                json!({
                    "eventID": format!("event-{sequence}"), "eventName": "INSERT", "eventSource": "aws:dynamodb",
                    "awsRegion": "eu-west-1",
                    "dynamodb": { "ApproximateCreationDateTime": 1_700_000_000, "Keys": {"PK": {"S": "USER#1"}, "SK": {"S": "USER"}},
                                  "SequenceNumber": sequence, "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES" }
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).expect("a stream event")
    }

    #[tokio::test]
    async fn a_batch_stops_at_the_first_failure_and_reports_only_it() {
        let consumer = Recorder { fail: "200", seen: Mutex::new(Vec::new()) };

        let response = process_batch(&consumer, batch(&["100", "200", "300"]), Invocation::starting_now(None)).await;

        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
        assert_eq!(failed, [Some("200".to_owned())]);
        assert_eq!(*consumer.seen.lock().expect("lock"), ["100", "200"], "300 comes again with the retry");
    }

    #[tokio::test]
    async fn a_batch_without_failures_reports_none() {
        let consumer = Recorder { fail: "none", seen: Mutex::new(Vec::new()) };

        let response = process_batch(&consumer, batch(&["100", "200"]), Invocation::starting_now(None)).await;

        assert!(response.batch_item_failures.is_empty());
    }
}
