//! The local stand-in for Lambda's event source mappings on the table's stream: it reads
//! DynamoDB Local's stream through the DynamoDB Streams API and invokes each consumer's handler with
//! the events Lambda would send, with Lambda's at-least-once semantics: one position per consumer
//! and shard, starting at `TRIM_HORIZON`; the consumer's filter pattern; batches of at most
//! `BATCH_SIZE` in shard order; retries from the first reported failure, with bisection, until the
//! retries run out and the batch goes to the on-failure destination. Locally that destination is a
//! list served at `GET /_local/stream-failures` (`{"failures": [...]}`, oldest first); the deployed
//! API has no such route. An invocation still running at the consumer's timeout is cut off there,
//! as Lambda cuts it, and fails the whole batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodbstreams::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamError;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorError;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use conduit_bootstrap::aws_call_log;
use conduit_streams::{DynStreamHandler, DynamoDbEventResponse, StreamEvent, filter, settings};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::aws_limits::{AwsLimits, InvocationFailure};
use crate::events::IncomingRequest;
use crate::functions::StreamConsumerEntry;
use crate::gateway_response::GatewayResponse;

pub const STREAM_FAILURES_PATH: &str = "/_local/stream-failures";

/// How often an idle shard is read again. Lambda polls a DynamoDB stream four times a second.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// How often the stream's shards are listed again to find new ones; a closed shard also triggers
/// a new listing at once, since its children are due.
const SHARD_DISCOVERY_INTERVAL: Duration = Duration::from_secs(2);
/// The wait before the first retry of a failing batch, doubled on each further retry up to
/// [`MAX_RETRY_BACKOFF`]: short, so that a test of exhausted retries stays fast.
const FIRST_RETRY_BACKOFF: Duration = Duration::from_millis(100);
const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(1);
/// The wait between attempts when the Streams API itself fails (DynamoDB Local paused, restarting).
const MAX_ERROR_BACKOFF: Duration = Duration::from_secs(5);

/// Where the table's stream is: the AWS settings the adapters use and the table's name.
#[derive(Clone, Debug)]
pub(crate) struct TableStream {
    pub sdk: SdkConfig,
    pub table: String,
}

/// A batch whose retries ran out, as the on-failure destination receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedBatch {
    /// The consumer's function.
    pub consumer: String,
    pub shard_id: String,
    pub first_sequence_number: String,
    pub last_sequence_number: String,
    pub record_count: usize,
    /// Lambda's name for why the batch was discarded: `RetryAttemptsExhausted` or `RecordAgeExceeded`.
    pub condition: &'static str,
    /// What the last invocation said.
    pub reason: String,
}

/// The on-failure destination of every consumer of one gateway.
#[derive(Clone, Debug, Default)]
pub struct StreamFailures {
    batches: Arc<Mutex<Vec<FailedBatch>>>,
}

impl StreamFailures {
    /// The discarded batches, oldest first.
    pub fn batches(&self) -> Vec<FailedBatch> {
        self.batches.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn push(&self, batch: FailedBatch) {
        tracing::error!(
            consumer = batch.consumer,
            shard_id = batch.shard_id,
            first_sequence_number = batch.first_sequence_number,
            last_sequence_number = batch.last_sequence_number,
            record_count = batch.record_count,
            condition = batch.condition,
            reason = batch.reason,
            "stream batch sent to the on-failure destination"
        );
        self.batches.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(batch);
    }
}

/// The answer when the request is for the failed batches; `None` leaves it to API routing.
pub(crate) fn answer(request: &IncomingRequest, failures: &StreamFailures) -> Option<GatewayResponse> {
    if request.method != "GET" || request.raw_path != STREAM_FAILURES_PATH {
        return None;
    }
    Some(GatewayResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into()), ("cache-control".into(), "no-store".into())],
        body: json!({ "failures": failures.batches() }).to_string().into_bytes(),
        route_key: None,
        function: None,
    })
}

/// One consumer, as its event source mapping sees it.
#[derive(Clone)]
struct Consumer {
    function: &'static str,
    /// A record passing any of these is delivered; none stands for no filter criteria: every
    /// record is.
    filters: Vec<Value>,
    handler: DynStreamHandler,
    /// The function's timeout.
    timeout: Duration,
}

/// Follows the table's stream for a set of consumers.
pub(crate) struct StreamPoller {
    stream: TableStream,
    consumers: Vec<Consumer>,
    failures: StreamFailures,
}

impl StreamPoller {
    pub fn new(
        stream: TableStream,
        consumers: &[StreamConsumerEntry],
        limits: &AwsLimits,
        failures: StreamFailures,
    ) -> Self {
        let consumers = consumers
            .iter()
            .map(|entry| Consumer {
                function: entry.function,
                filters: entry.filters.clone(),
                handler: Arc::clone(&entry.handler),
                timeout: limits.timeout_of(entry.function),
            })
            .collect();
        Self { stream, consumers, failures }
    }

    /// Delivers the stream's records to the consumers until this future is dropped, which stops
    /// every reader and invocation it started; returns early only when there is nothing to follow.
    pub async fn run(self) {
        // Lambda's event source mapping is AWS's machinery, not a function's code: its clients
        // are built here rather than by `conduit_aws::clients`, so the AWS call log, which holds
        // each function to its IAM policy, does not count its calls.
        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&self.stream.sdk).timeout_config(poller_timeouts()).build(),
        );
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::config::Builder::from(&self.stream.sdk).timeout_config(poller_timeouts()).build(),
        );
        let Some(stream_arn) = latest_stream_arn(&dynamodb, &self.stream.table).await else {
            return;
        };
        tracing::info!(
            stream_arn,
            consumers = ?self.consumers.iter().map(|consumer| consumer.function).collect::<Vec<_>>(),
            "following the table's stream"
        );
        let region = self.stream.sdk.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let mut mappings = JoinSet::new();
        for consumer in self.consumers {
            let mapping = Mapping {
                consumer,
                streams: streams.clone(),
                stream_arn: stream_arn.clone(),
                region: region.clone(),
                failures: self.failures.clone(),
            };
            mappings.spawn(Arc::new(mapping).follow());
        }
        while mappings.join_next().await.is_some() {}
    }
}

fn poller_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// The table's current stream; `None` (said once in the log) when the table has none or is gone.
async fn latest_stream_arn(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Option<String> {
    let mut backoff = ErrorBackoff::default();
    loop {
        match dynamodb.describe_table().table_name(table).send().await {
            Ok(output) => {
                let arn = output.table.and_then(|table| table.latest_stream_arn);
                if arn.is_none() {
                    tracing::info!(table, "the table has no stream: its consumers are not run");
                }
                return arn;
            }
            Err(error) if error.as_service_error().is_some_and(|error| error.is_resource_not_found_exception()) => {
                tracing::warn!(table, "the table does not exist: its stream consumers are not run");
                return None;
            }
            Err(error) => {
                backoff.wait("DescribeTable", aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string()).await
            }
        }
    }
}

/// Capped exponential waits between failed calls to DynamoDB; the first failure is a warning, the
/// ones that follow it are not repeated at that level.
#[derive(Default)]
struct ErrorBackoff {
    failures: u32,
}

impl ErrorBackoff {
    async fn wait(&mut self, operation: &str, error: String) {
        if self.failures == 0 {
            tracing::warn!(operation, error = %error, "reading the table's stream failed; trying again");
        } else {
            tracing::debug!(operation, error = %error, failures = self.failures + 1, "reading the table's stream failed again");
        }
        let wait = POLL_INTERVAL.saturating_mul(2u32.saturating_pow(self.failures.min(8))).min(MAX_ERROR_BACKOFF);
        self.failures += 1;
        tokio::time::sleep(wait).await;
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// One consumer's event source mapping on the stream.
struct Mapping {
    consumer: Consumer,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    region: String,
    failures: StreamFailures,
}

/// Where a shard is read from next.
enum Position {
    TrimHorizon,
    After(String),
}

/// A record as Lambda delivers it, with what the mapping needs to know of it.
#[derive(Clone, Debug)]
struct LambdaRecord {
    json: Value,
    sequence_number: String,
    /// Seconds since the Unix epoch.
    created: i64,
}

impl Mapping {
    /// Reads every shard, each once its parent is done (Lambda keeps a shard's children waiting
    /// until it has processed the parent, so an item's changes arrive in order).
    async fn follow(self: Arc<Self>) {
        let mut started = HashSet::new();
        let mut finished = HashSet::new();
        let mut readers = JoinSet::new();
        let mut backoff = ErrorBackoff::default();
        loop {
            match self.shards().await {
                Ok(shards) => {
                    backoff.reset();
                    let listed: HashSet<&str> = shards.iter().map(|(shard, _)| shard.as_str()).collect();
                    for (shard, parent) in &shards {
                        let parent_done = parent
                            .as_ref()
                            .is_none_or(|parent| finished.contains(parent) || !listed.contains(parent.as_str()));
                        if parent_done && started.insert(shard.clone()) {
                            readers.spawn(Arc::clone(&self).read_shard(shard.clone()));
                        }
                    }
                }
                Err(error) if error.as_service_error().is_some_and(|error| error.is_resource_not_found_exception()) => {
                    tracing::info!(consumer = self.consumer.function, "the stream is gone: its consumer stops");
                    return;
                }
                Err(error) => {
                    backoff.wait("DescribeStream", DisplayErrorContext(error).to_string()).await;
                    continue;
                }
            }
            tokio::select! {
                Some(Ok(shard)) = readers.join_next() => { finished.insert(shard); }
                () = tokio::time::sleep(SHARD_DISCOVERY_INTERVAL) => {}
            }
        }
    }

    /// Every shard of the stream with its parent.
    async fn shards(&self) -> Result<Vec<(String, Option<String>)>, SdkError<DescribeStreamError>> {
        let mut shards = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .streams
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start)
                .send()
                .await?;
            let Some(description) = output.stream_description else { return Ok(shards) };
            shards.extend(
                description
                    .shards
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|shard| Some((shard.shard_id?, shard.parent_shard_id))),
            );
            start = description.last_evaluated_shard_id;
            if start.is_none() {
                return Ok(shards);
            }
        }
    }

    /// Reads one shard to its end (a closed shard) or forever (an open one); returns its id.
    async fn read_shard(self: Arc<Self>, shard_id: String) -> String {
        let mut position = Position::TrimHorizon;
        let mut iterator = None;
        let mut backoff = ErrorBackoff::default();
        loop {
            let current = match iterator.take() {
                Some(iterator) => iterator,
                None => match self.shard_iterator(&shard_id, &position).await {
                    Ok(Some(iterator)) => iterator,
                    Ok(None) => return shard_id,
                    Err(error)
                        if error.as_service_error().is_some_and(|error| error.is_resource_not_found_exception()) =>
                    {
                        return shard_id;
                    }
                    Err(error) => {
                        backoff.wait("GetShardIterator", DisplayErrorContext(error).to_string()).await;
                        continue;
                    }
                },
            };
            match self.streams.get_records().shard_iterator(&current).send().await {
                Ok(output) => {
                    backoff.reset();
                    let records = output.records.unwrap_or_default();
                    if let Some(last) = records.last().and_then(|record| record.dynamodb()?.sequence_number()) {
                        position = Position::After(last.to_owned());
                    }
                    let idle = records.is_empty();
                    self.deliver(&shard_id, &records).await;
                    match output.next_shard_iterator {
                        Some(next) => iterator = Some(next),
                        None => return shard_id,
                    }
                    if idle {
                        tokio::time::sleep(POLL_INTERVAL).await;
                    }
                }
                Err(error) => match error.as_service_error() {
                    // Iterators live 15 minutes: take a new one where this one was.
                    Some(service) if service.is_expired_iterator_exception() => {}
                    // What was not read yet has aged out of the stream: go on from the oldest record left.
                    Some(service) if service.is_trimmed_data_access_exception() => position = Position::TrimHorizon,
                    Some(service) if service.is_resource_not_found_exception() => return shard_id,
                    _ => {
                        iterator = Some(current);
                        backoff.wait("GetRecords", DisplayErrorContext(error).to_string()).await;
                    }
                },
            }
        }
    }

    async fn shard_iterator(
        &self,
        shard_id: &str,
        position: &Position,
    ) -> Result<Option<String>, SdkError<GetShardIteratorError>> {
        let request = self.streams.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(shard_id);
        let request = match position {
            Position::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Position::After(sequence_number) => {
                request.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(sequence_number)
            }
        };
        Ok(request.send().await?.shard_iterator)
    }

    /// Hands the records that pass the filter to the consumer, in batches, each until it is done
    /// or discarded; records that do not pass are skipped, as Lambda does.
    async fn deliver(&self, shard_id: &str, records: &[Record]) {
        let matching: Vec<LambdaRecord> = records
            .iter()
            .filter_map(|record| lambda_record(record, &self.stream_arn, &self.region))
            .filter(|record| {
                self.consumer.filters.is_empty()
                    || self.consumer.filters.iter().any(|pattern| filter::matches(pattern, &record.json))
            })
            .collect();
        for batch in matching.chunks(settings::BATCH_SIZE as usize) {
            self.process(shard_id, batch.to_vec()).await;
        }
    }

    /// Invokes the consumer with `batch` until every record is done or discarded. A failure leaves
    /// the records before the first failed one done and retries the rest, split in two (with
    /// `BISECT_BATCH_ON_FUNCTION_ERROR`) so that a record that keeps failing ends up alone in the
    /// on-failure destination while the ones around it get through; the halves go in shard order.
    async fn process(&self, shard_id: &str, batch: Vec<LambdaRecord>) {
        // The batches still to invoke with the retries each has had, next one last.
        let mut pending = vec![(batch, 0u32)];
        while let Some((batch, retries)) = pending.pop() {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64);
            let expired = batch
                .iter()
                .take_while(|record| now - record.created > i64::from(settings::MAXIMUM_RECORD_AGE_SECONDS))
                .count();
            if expired > 0 {
                let reason = format!("older than {} seconds", settings::MAXIMUM_RECORD_AGE_SECONDS);
                self.discard(shard_id, &batch[..expired], "RecordAgeExceeded", reason);
            }
            let batch = &batch[expired..];
            let Some(first) = batch.first() else { continue };
            tracing::info!(
                consumer = self.consumer.function,
                records = batch.len(),
                first_sequence_number = first.sequence_number,
                shard_id,
                retry = retries,
                "delivering a stream batch"
            );
            let Some((failed_from, reason)) = self.invoke(batch).await else { continue };
            let mut remainder = batch[failed_from..].to_vec();
            if retries >= settings::MAXIMUM_RETRY_ATTEMPTS {
                self.discard(shard_id, &remainder, "RetryAttemptsExhausted", reason);
                continue;
            }
            tracing::warn!(
                consumer = self.consumer.function,
                records = remainder.len(),
                first_sequence_number = remainder[0].sequence_number,
                reason,
                "stream batch failed; retrying from the first failed record"
            );
            tokio::time::sleep(FIRST_RETRY_BACKOFF.saturating_mul(1 << retries.min(10)).min(MAX_RETRY_BACKOFF)).await;
            if settings::BISECT_BATCH_ON_FUNCTION_ERROR && remainder.len() > 1 {
                let second = remainder.split_off(remainder.len() / 2);
                pending.push((second, retries + 1));
            }
            pending.push((remainder, retries + 1));
        }
    }

    /// Calls the handler as the consumer's function; a failure is where the retry starts (the
    /// lowest sequence number reported, as Lambda checkpoints) and why.
    async fn invoke(&self, batch: &[LambdaRecord]) -> Option<(usize, String)> {
        let records: Vec<&Value> = batch.iter().map(|record| &record.json).collect();
        let event: StreamEvent = match serde_json::from_value(json!({ "Records": records })) {
            Ok(event) => event,
            Err(error) => return Some((0, format!("the event does not deserialise: {error}"))),
        };
        // Its own task, so that a panic is the invocation's failure, not the reader's; in a set,
        // so that stopping the gateway stops it too. Dropped at the timeout, as Lambda stops it.
        let mut invocation = JoinSet::new();
        let handled = aws_call_log::as_function(self.consumer.function, (self.consumer.handler)(event))
            .instrument(invocation_span(self.consumer.function));
        invocation.spawn(tokio::time::timeout(self.consumer.timeout, handled));
        match invocation.join_next().await {
            Some(Ok(Ok(response))) => failed_from(batch, &response),
            Some(Ok(Err(_))) => Some((0, InvocationFailure::TimedOut(self.consumer.timeout).to_string())),
            Some(Err(error)) if error.is_panic() => {
                Some((0, format!("the function panicked: {}", panic_message(error))))
            }
            Some(Err(error)) => Some((0, format!("the invocation did not finish: {error}"))),
            None => Some((0, "the invocation did not start".to_owned())),
        }
    }

    fn discard(&self, shard_id: &str, records: &[LambdaRecord], condition: &'static str, reason: String) {
        let (Some(first), Some(last)) = (records.first(), records.last()) else { return };
        self.failures.push(FailedBatch {
            consumer: self.consumer.function.to_owned(),
            shard_id: shard_id.to_owned(),
            first_sequence_number: first.sequence_number.clone(),
            last_sequence_number: last.sequence_number.clone(),
            record_count: records.len(),
            condition,
            reason,
        });
    }
}

/// The span of one invocation of a consumer, as Lambda's runtime opens it (named after the
/// function): the records' spans link it, and those whose item carries no trace context are its
/// children.
fn invocation_span(function: &'static str) -> tracing::Span {
    tracing::info_span!(
        "Lambda function invocation",
        otel.name = function,
        faas.name = function,
        faas.trigger = "datasource",
        faas.invocation_id = %ulid::Ulid::new(),
    )
}

/// Where a partial batch failure response says to retry from. An identifier that names no record
/// of the batch (empty, missing, unknown) fails the whole batch, as it does on Lambda.
fn failed_from(batch: &[LambdaRecord], response: &DynamoDbEventResponse) -> Option<(usize, String)> {
    let mut lowest: Option<usize> = None;
    for failure in &response.batch_item_failures {
        let identifier = failure.item_identifier.as_deref().unwrap_or_default();
        match batch.iter().position(|record| record.sequence_number == identifier) {
            Some(index) => lowest = Some(lowest.map_or(index, |lowest| lowest.min(index))),
            None => return Some((0, format!("the response names no record of the batch ({identifier:?})"))),
        }
    }
    lowest.map(|index| (index, format!("record {} reported failed", batch[index].sequence_number)))
}

fn panic_message(error: tokio::task::JoinError) -> String {
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// The record as Lambda's event has it; `None` for a record without its change (never seen).
fn lambda_record(record: &Record, stream_arn: &str, region: &str) -> Option<LambdaRecord> {
    let change = record.dynamodb()?;
    let sequence_number = change.sequence_number()?.to_owned();
    let created = change.approximate_creation_date_time().map_or(0, |created| created.secs());
    let mut dynamodb = serde_json::Map::new();
    dynamodb.insert("ApproximateCreationDateTime".into(), json!(created));
    for (name, image) in [("Keys", change.keys()), ("NewImage", change.new_image()), ("OldImage", change.old_image())] {
        if let Some(image) = image {
            dynamodb.insert(name.into(), item_json(image));
        }
    }
    dynamodb.insert("SequenceNumber".into(), json!(sequence_number));
    dynamodb.insert("SizeBytes".into(), json!(change.size_bytes().unwrap_or_default()));
    if let Some(view) = change.stream_view_type() {
        dynamodb.insert("StreamViewType".into(), json!(view.as_str()));
    }
    let mut json = json!({
        "eventID": record.event_id().unwrap_or_default(),
        "eventName": record.event_name().map(|name| name.as_str()).unwrap_or_default(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
        "dynamodb": dynamodb,
    });
    // Present on deletions by TTL, which consumers may want to tell from a user's.
    if let Some(identity) = record.user_identity() {
        json["userIdentity"] = json!({
            "type": identity.r#type().unwrap_or_default(),
            "principalId": identity.principal_id().unwrap_or_default(),
        });
    }
    Some(LambdaRecord { json, sequence_number, created })
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(item.iter().map(|(name, value)| (name.clone(), attribute_json(value))).collect())
}

/// An attribute value in DynamoDB's JSON, as Lambda's event carries it (binaries in base64).
fn attribute_json(value: &AttributeValue) -> Value {
    let base64 = |blob: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(blob.as_ref())
    };
    match value {
        AttributeValue::S(text) => json!({ "S": text }),
        AttributeValue::N(number) => json!({ "N": number }),
        AttributeValue::B(blob) => json!({ "B": base64(blob) }),
        AttributeValue::Ss(texts) => json!({ "SS": texts }),
        AttributeValue::Ns(numbers) => json!({ "NS": numbers }),
        AttributeValue::Bs(blobs) => json!({ "BS": blobs.iter().map(base64).collect::<Vec<_>>() }),
        AttributeValue::M(map) => json!({ "M": item_json(map) }),
        AttributeValue::L(list) => json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::Null(is_null) => json!({ "NULL": is_null }),
        AttributeValue::Bool(boolean) => json!({ "BOOL": boolean }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodbstreams::primitives::{Blob, DateTime};
    use aws_sdk_dynamodbstreams::types::{OperationType, StreamRecord, StreamViewType};

    use super::*;
    use crate::events::test_request as request;

    fn record(sequence_number: &str) -> LambdaRecord {
        LambdaRecord { json: Value::Null, sequence_number: sequence_number.to_owned(), created: 0 }
    }

    fn response(identifiers: &[Option<&str>]) -> DynamoDbEventResponse {
        let failures: Vec<Value> =
            identifiers.iter().map(|identifier| json!({ "itemIdentifier": identifier })).collect();
        serde_json::from_value(json!({ "batchItemFailures": failures })).expect("a response")
    }

    #[test]
    fn a_stream_record_becomes_the_record_of_lambdas_event() {
        let change = StreamRecord::builder()
            .approximate_creation_date_time(DateTime::from_secs(1_700_000_000))
            .keys("PK", AttributeValue::S("USER#1".into()))
            .keys("SK", AttributeValue::S("USER".into()))
            .new_image("PK", AttributeValue::S("USER#1".into()))
            .new_image("count", AttributeValue::N("3".into()))
            .new_image("avatar", AttributeValue::B(Blob::new(*b"hi")))
            .new_image("tags", AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::Null(true)]))
            .new_image("names", AttributeValue::Ss(vec!["a".into()]))
            .new_image("profile", AttributeValue::M(HashMap::from([("bio".into(), AttributeValue::S("x".into()))])))
            .sequence_number("000100")
            .size_bytes(42)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        let stream_record = Record::builder()
            .event_id("e-1")
            .event_name(OperationType::Insert)
            .aws_region("ddblocal")
            .dynamodb(change)
            .build();

        let converted = lambda_record(&stream_record, "arn:stream", "eu-west-1").expect("a record");

        assert_eq!(
            converted.json,
            json!({
                "eventID": "e-1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1", "eventSourceARN": "arn:stream",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_700_000_000,
                    "Keys": {"PK": {"S": "USER#1"}, "SK": {"S": "USER"}},
                    "NewImage": {
                        "PK": {"S": "USER#1"}, "count": {"N": "3"}, "avatar": {"B": "aGk="},
                        "tags": {"L": [{"BOOL": true}, {"NULL": true}]}, "names": {"SS": ["a"]},
                        "profile": {"M": {"bio": {"S": "x"}}}
                    },
                    "SequenceNumber": "000100", "SizeBytes": 42, "StreamViewType": "NEW_AND_OLD_IMAGES"
                }
            })
        );
        let event: StreamEvent =
            serde_json::from_value(json!({ "Records": [converted.json] })).expect("Lambda's shape");
        assert_eq!(event.records[0].change.sequence_number.as_deref(), Some("000100"));
    }

    #[test]
    fn a_batch_is_retried_from_the_lowest_failed_record_and_an_unknown_identifier_fails_it_all() {
        let batch = [record("100"), record("200"), record("300")];

        assert_eq!(failed_from(&batch, &response(&[])), None);
        assert_eq!(failed_from(&batch, &response(&[Some("300"), Some("200")])).map(|(from, _)| from), Some(1));
        assert_eq!(failed_from(&batch, &response(&[Some("")])).map(|(from, _)| from), Some(0));
        assert_eq!(failed_from(&batch, &response(&[None])).map(|(from, _)| from), Some(0));
        assert_eq!(failed_from(&batch, &response(&[Some("999")])).map(|(from, _)| from), Some(0));
    }

    #[test]
    fn only_gets_of_the_failures_path_are_answered_here() {
        let failures = StreamFailures::default();

        let answered = answer(&request("GET", STREAM_FAILURES_PATH, &[]), &failures).expect("answered");

        assert_eq!(answered.status, 200);
        assert_eq!(serde_json::from_slice::<Value>(&answered.body).expect("JSON"), json!({ "failures": [] }));
        for (method, path) in [("POST", STREAM_FAILURES_PATH), ("GET", "/_local/outbox"), ("GET", "/api/tags")] {
            assert!(answer(&request(method, path, &[]), &failures).is_none(), "{method} {path}");
        }
    }
}
