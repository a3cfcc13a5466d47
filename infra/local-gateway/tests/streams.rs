//! The local event source mappings on the table's stream, against DynamoDB Local: each consumer
//! gets the records its filter lets through, in shard order and in Lambda's event shape, with
//! Lambda's retries, bisection and on-failure destination (`GET /_local/stream-failures`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_dynamodb_local::TestTable;
use conduit_local_gateway::{AwsLimits, FailedBatch, Gateway, STREAM_FAILURES_PATH, StreamConsumerEntry, serve};
use conduit_streams::{DynStreamHandler, DynamoDbEventResponse, StreamEvent};
use conduit_streams::{Invocation, RecordError, RecordOutcome, StreamConsumer, StreamRecord, erase, settings};
use serde_json::{Value, json};

/// Generous: DynamoDB Local and the test machine may both be busy.
const PATIENCE: Duration = Duration::from_secs(30);
/// Longer than the poller takes to read an idle shard again.
const QUIET_PERIOD: Duration = Duration::from_millis(1500);

/// A consumer that remembers every record it is handed and fails or panics on the sort keys it is
/// told to.
#[derive(Clone, Default)]
struct Recorder {
    seen: Arc<Mutex<Vec<StreamRecord>>>,
    /// How many more times each sort key fails.
    failures_left: Arc<Mutex<HashMap<String, u32>>>,
    panics_on: Option<&'static str>,
}

impl StreamConsumer for Recorder {
    const NAME: &'static str = "recorder";

    async fn handle(&self, record: &StreamRecord, _invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        self.seen.lock().expect("lock").push(record.clone());
        let sort_key = sort_key(record);
        if self.panics_on == Some(sort_key.as_str()) {
            panic!("told to panic on {sort_key}");
        }
        match self.failures_left.lock().expect("lock").get_mut(&sort_key) {
            Some(left) if *left > 0 => {
                *left -= 1;
                Err(RecordError::Unreadable(format!("told to fail on {sort_key}")))
            }
            _ => Ok(RecordOutcome::Handled),
        }
    }
}

impl Recorder {
    fn failing(sort_key: &str, times: u32) -> Self {
        let recorder = Self::default();
        recorder.failures_left.lock().expect("lock").insert(sort_key.to_owned(), times);
        recorder
    }

    fn panicking_on(sort_key: &'static str) -> Self {
        Self { panics_on: Some(sort_key), ..Self::default() }
    }

    fn entry(&self, function: &'static str, filter: Value) -> StreamConsumerEntry {
        StreamConsumerEntry { function, filters: vec![filter], handler: erase(self.clone()) }
    }

    fn records(&self) -> Vec<StreamRecord> {
        self.seen.lock().expect("lock").clone()
    }

    fn sort_keys(&self) -> Vec<String> {
        self.records().iter().map(sort_key).collect()
    }

    fn times_seen(&self, wanted: &str) -> usize {
        self.sort_keys().iter().filter(|sort_key| *sort_key == wanted).count()
    }

    async fn wait_for(&self, wanted: &str) {
        eventually(&format!("{wanted} delivered"), || self.sort_keys().iter().any(|sort_key| sort_key == wanted)).await;
    }
}

/// The record's sort key, read from its keys in DynamoDB's JSON, as Lambda delivers them.
fn sort_key(record: &StreamRecord) -> String {
    let keys = serde_json::to_value(&record.change.keys).expect("keys as JSON");
    keys["SK"]["S"].as_str().unwrap_or_default().to_owned()
}

fn sequence_number(record: &StreamRecord) -> String {
    record.change.sequence_number.clone().expect("a sequence number")
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A served gateway on `table`, whose stream consumers are `consumers`.
struct Served {
    gateway: Arc<Gateway>,
    address: SocketAddr,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn serve_following(table: &TestTable, consumers: Vec<StreamConsumerEntry>) -> Served {
    serve_following_limited(table, consumers, AwsLimits::deployed().expect("the template's timeouts")).await
}

async fn serve_following_limited(table: &TestTable, consumers: Vec<StreamConsumerEntry>, limits: AwsLimits) -> Served {
    let keys = KeyRing { current: SigningKey::generate("streams-test"), previous: None };
    let adapters = Adapters::local(table.sdk_config.clone(), table.name.clone(), keys);
    let gateway = Gateway::new(&adapters).expect("gateway built").with_stream_consumers(consumers);
    let gateway = Arc::new(gateway.with_aws_limits(limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    let server = tokio::spawn(serve(listener, Arc::clone(&gateway)));
    Served { gateway, address, server }
}

impl Served {
    async fn wait_for_failures(&self, count: usize) -> Vec<FailedBatch> {
        eventually(&format!("{count} failed batches"), || self.gateway.stream_failures().batches().len() >= count)
            .await;
        self.gateway.stream_failures().batches()
    }

    /// The failed batches as `GET /_local/stream-failures` serves them.
    async fn failures_served(&self) -> Value {
        let address = self.address;
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(address).expect("connected to the gateway");
            write!(stream, "GET {STREAM_FAILURES_PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
                .expect("sent");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("answer read");
            answer
        });
        let answer = answer.await.expect("the client ran");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: application/json"), "{head}");
        serde_json::from_str(body).expect("JSON")
    }
}

/// Writes the item `STREAMTEST`/`sort_key` (every item in one partition, so in one shard, in order).
async fn put(table: &TestTable, sort_key: &str, kind: &str) {
    table
        .client
        .put_item()
        .table_name(&table.name)
        .item("PK", AttributeValue::S("STREAMTEST".into()))
        .item("SK", AttributeValue::S(sort_key.into()))
        .item("kind", AttributeValue::S(kind.into()))
        .send()
        .await
        .expect("item written");
}

async fn put_all(table: &TestTable, sort_keys: &[&str]) {
    for sort_key in sort_keys {
        put(table, sort_key, "any").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_items_written_then_the_consumer_gets_those_its_filter_lets_through_in_order_in_lambdas_shape() {
    let table = conduit_dynamodb_local::test_table().await;
    let recorder = Recorder::default();
    let filter = json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["wanted"]}}}});
    let _served = serve_following(&table, vec![recorder.entry("recording-consumer", filter)]).await;

    put(&table, "1", "wanted").await;
    put(&table, "2", "unwanted").await;
    put(&table, "3", "wanted").await;
    put(&table, "1", "wanted").await;
    put(&table, "4", "wanted").await;
    recorder.wait_for("4").await;

    assert_eq!(recorder.sort_keys(), ["1", "3", "4"], "only inserts of wanted items, in the order written");
    let records = recorder.records();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64;
    for record in &records {
        assert_eq!(record.event_name, "INSERT");
        assert_eq!(record.event_source.as_deref(), Some("aws:dynamodb"));
        assert_eq!(record.event_version.as_deref(), Some("1.1"));
        assert_eq!(record.aws_region, "us-east-1");
        assert!(record.event_source_arn.as_deref().is_some_and(|arn| arn.contains(&table.name)), "{record:?}");
        assert!(!record.event_id.is_empty());
        let change = &record.change;
        let sort_key = sort_key(record);
        assert_eq!(
            serde_json::to_value(&change.keys).expect("JSON"),
            json!({"PK": {"S": "STREAMTEST"}, "SK": {"S": sort_key}})
        );
        assert_eq!(
            serde_json::to_value(&change.new_image).expect("JSON"),
            json!({"PK": {"S": "STREAMTEST"}, "SK": {"S": sort_key}, "kind": {"S": "wanted"}})
        );
        assert!(change.old_image.is_empty(), "an insert has no old image");
        assert!(change.size_bytes > 0);
        assert_eq!(serde_json::to_value(&change.stream_view_type).expect("JSON"), json!("NEW_AND_OLD_IMAGES"));
        assert!((now - change.approximate_creation_date_time.timestamp()).abs() < 120, "{change:?}");
    }
    let sequence_numbers: Vec<u128> =
        records.iter().map(|record| sequence_number(record).parse().expect("a number")).collect();
    assert!(sequence_numbers.is_sorted(), "{sequence_numbers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_consumer_that_fails_a_record_once_then_it_gets_that_record_and_those_after_it_again_but_not_those_before()
 {
    let table = conduit_dynamodb_local::test_table().await;
    let recorder = Recorder::failing("2", 1);
    let served = serve_following(&table, vec![recorder.entry("flaky-consumer", json!({}))]).await;

    put_all(&table, &["1", "2", "3"]).await;
    recorder.wait_for("3").await;

    assert_eq!(recorder.sort_keys(), ["1", "2", "2", "3"]);
    let records = recorder.records();
    assert_eq!(sequence_number(&records[1]), sequence_number(&records[2]), "the same record, delivered again");
    assert!(served.gateway.stream_failures().batches().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_consumer_that_keeps_failing_a_record_then_after_the_retries_that_record_alone_is_a_stream_failure_and_later_records_still_come()
 {
    let table = conduit_dynamodb_local::test_table().await;
    let recorder = Recorder::failing("2", u32::MAX);
    let served = serve_following(&table, vec![recorder.entry("failing-consumer", json!({}))]).await;

    put_all(&table, &["1", "2", "3"]).await;
    let failures = served.wait_for_failures(1).await;
    put(&table, "4", "any").await;
    recorder.wait_for("4").await;

    let attempts = 1 + settings::MAXIMUM_RETRY_ATTEMPTS as usize;
    assert_eq!(recorder.times_seen("2"), attempts, "the first attempt and every retry");
    for delivered_once in ["1", "3", "4"] {
        assert_eq!(recorder.times_seen(delivered_once), 1, "{delivered_once}: bisection kept it apart from 2");
    }
    let failing = recorder.records().into_iter().find(|record| sort_key(record) == "2").expect("2 delivered");
    assert_eq!(failures.len(), 1, "{failures:?}");
    let served_failures = served.failures_served().await;
    let failure = &served_failures["failures"][0];
    assert_eq!(served_failures["failures"].as_array().map(Vec::len), Some(1), "{served_failures}");
    assert_eq!(failure["consumer"], "failing-consumer");
    assert_eq!(failure["recordCount"], 1);
    assert_eq!(failure["firstSequenceNumber"], sequence_number(&failing));
    assert_eq!(failure["lastSequenceNumber"], sequence_number(&failing));
    assert_eq!(failure["condition"], "RetryAttemptsExhausted");
    assert!(failure["shardId"].as_str().is_some_and(|shard| !shard.is_empty()), "{failure}");
    assert!(failure["reason"].as_str().is_some_and(|reason| reason.contains("reported failed")), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_consumer_that_panics_on_a_record_then_its_whole_batch_fails_and_the_record_ends_alone_as_a_stream_failure()
 {
    let table = conduit_dynamodb_local::test_table().await;
    let recorder = Recorder::panicking_on("2");
    let served = serve_following(&table, vec![recorder.entry("panicking-consumer", json!({}))]).await;

    put_all(&table, &["1", "2", "3"]).await;
    let failures = served.wait_for_failures(1).await;
    recorder.wait_for("3").await;

    let panicked_on = recorder.records().into_iter().find(|record| sort_key(record) == "2").expect("2 delivered");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].consumer, "panicking-consumer");
    assert_eq!(failures[0].record_count, 1);
    assert_eq!(failures[0].first_sequence_number, sequence_number(&panicked_on));
    assert!(failures[0].reason.contains("panicked"), "{:?}", failures[0]);
    assert_eq!(recorder.times_seen("2"), 1 + settings::MAXIMUM_RETRY_ATTEMPTS as usize);
}

/// A consumer that waits for ever the first time it is handed the record it is told, as on a
/// dependency that never answers; it remembers the sort keys it is handed and whether that wait
/// was cut off (its future dropped, as Lambda stops the function).
#[derive(Clone, Default)]
struct Stalling {
    seen: Arc<Mutex<Vec<String>>>,
    stalled: Arc<AtomicBool>,
    cut_off: Arc<AtomicBool>,
}

/// Marks the stalled invocation as cut off when its future is dropped.
struct CutOffWitness(Arc<AtomicBool>);

impl Drop for CutOffWitness {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Stalling {
    fn entry(&self, function: &'static str, stalls_on: &'static str) -> StreamConsumerEntry {
        let stalling = self.clone();
        let handler: DynStreamHandler = Arc::new(move |event: StreamEvent| {
            let stalling = stalling.clone();
            Box::pin(async move {
                let sort_keys: Vec<String> = event.records.iter().map(sort_key).collect();
                stalling.seen.lock().expect("lock").extend(sort_keys.iter().cloned());
                if sort_keys.iter().any(|key| key == stalls_on) && !stalling.stalled.swap(true, Ordering::SeqCst) {
                    let _witness = CutOffWitness(Arc::clone(&stalling.cut_off));
                    std::future::pending::<()>().await;
                }
                DynamoDbEventResponse::default()
            })
        });
        StreamConsumerEntry { function, filters: vec![json!({})], handler }
    }

    fn times_seen(&self, wanted: &str) -> usize {
        self.seen.lock().expect("lock").iter().filter(|sort_key| *sort_key == wanted).count()
    }
}

fn with_function_timeout_of_one_second() -> AwsLimits {
    let limits = AwsLimits::deployed().expect("the template's timeouts");
    limits.with_function_timeout_seconds(1).expect("a valid timeout")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_consumer_running_past_its_timeout_then_the_invocation_is_cut_off_there_and_its_batch_retried() {
    let table = conduit_dynamodb_local::test_table().await;
    let stalling = Stalling::default();
    let served = serve_following_limited(
        &table,
        vec![stalling.entry("stalling-consumer", "2")],
        with_function_timeout_of_one_second(),
    )
    .await;

    put_all(&table, &["1", "2", "3"]).await;
    eventually("2 delivered again and 3 delivered", || stalling.times_seen("2") == 2 && stalling.times_seen("3") > 0)
        .await;

    assert!(stalling.cut_off.load(Ordering::SeqCst), "the stalled invocation was ended, not left running");
    assert!(served.gateway.stream_failures().batches().is_empty(), "the retry succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_consumer_that_always_runs_past_its_timeout_then_its_record_ends_as_a_stream_failure_saying_so() {
    let table = conduit_dynamodb_local::test_table().await;
    let never_done: DynStreamHandler = Arc::new(|_| Box::pin(std::future::pending()));
    let stuck = StreamConsumerEntry { function: "stuck-consumer", filters: vec![json!({})], handler: never_done };
    let served = serve_following_limited(&table, vec![stuck], with_function_timeout_of_one_second()).await;

    put(&table, "1", "any").await;
    let failures = served.wait_for_failures(1).await;

    assert_eq!(failures[0].consumer, "stuck-consumer");
    assert_eq!(failures[0].condition, "RetryAttemptsExhausted");
    assert_eq!(failures[0].reason, "Task timed out after 1.00 seconds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_two_consumers_then_each_gets_its_own_copy_and_one_failing_does_not_redeliver_to_the_other() {
    let table = conduit_dynamodb_local::test_table().await;
    let flaky = Recorder::failing("2", 1);
    let steady = Recorder::default();
    let _served = serve_following(
        &table,
        vec![flaky.entry("flaky-consumer", json!({})), steady.entry("steady-consumer", json!({}))],
    )
    .await;

    put_all(&table, &["1", "2", "3"]).await;
    flaky.wait_for("3").await;
    steady.wait_for("3").await;

    assert_eq!(flaky.sort_keys(), ["1", "2", "2", "3"]);
    assert_eq!(steady.sort_keys(), ["1", "2", "3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_server_task_is_stopped_then_its_consumers_get_nothing_more() {
    let table = conduit_dynamodb_local::test_table().await;
    let recorder = Recorder::default();
    let served = serve_following(&table, vec![recorder.entry("recording-consumer", json!({}))]).await;
    put(&table, "1", "any").await;
    recorder.wait_for("1").await;

    drop(served);
    put(&table, "2", "any").await;
    tokio::time::sleep(QUIET_PERIOD).await;

    assert_eq!(recorder.sort_keys(), ["1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_a_table_without_a_stream_then_the_gateway_serves_and_its_consumers_get_nothing() {
    let mut table = conduit_dynamodb_local::test_table().await;
    let streamless = format!("{}-streamless", table.name);
    table
        .client
        .create_table()
        .table_name(&streamless)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("PK")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("SK")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("PK")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .expect("key"),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("SK")
                .key_type(aws_sdk_dynamodb::types::KeyType::Range)
                .build()
                .expect("key"),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .expect("a table without a stream");
    table.name = streamless;
    let recorder = Recorder::default();
    let served = serve_following(&table, vec![recorder.entry("recording-consumer", json!({}))]).await;

    put(&table, "1", "any").await;
    tokio::time::sleep(QUIET_PERIOD).await;

    assert!(recorder.records().is_empty());
    assert_eq!(served.failures_served().await, json!({"failures": []}));
}
