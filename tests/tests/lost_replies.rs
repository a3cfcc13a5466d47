//! A write that commits but whose reply is lost: a proxy in front of DynamoDB forwards the
//! publication's transaction, DynamoDB commits it, and the answer never comes back, so the client
//! gets 503 for an article that exists. Under an `Idempotency-Key` the retry gets that article
//! and the table holds it once; without one, the retry publishes it a second time.
//!
//! The SDK resends a transaction whose answer did not come in time, with the same
//! `ClientRequestToken`, and DynamoDB answers such a resend as the first one without writing
//! again. A resend whose answer got through would turn the lost reply into a plain 201, so the
//! proxy loses every transaction's answer until the test tells it to stop: the client always
//! sees the 503, whichever number of attempts fit in the budget.

use std::time::{Duration, Instant};

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use common::published_by;
use conduit_api_tests::dynamodb_proxy::DynamoDbProxy;
use conduit_api_tests::faults::{BUDGET, MARGIN, inconsistencies};
use conduit_api_tests::{Reply, TestApi, scan_table};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_dynamodb_local::{TestTable, local_sdk_config, test_table};
use serde_json::{Value, json};

/// A gateway whose DynamoDB calls all go through a [`DynamoDbProxy`] to a table of this test. Its
/// log lines (the 503 with its cause) are shown with a failing test's output.
async fn gateway_behind_a_lossy_proxy() -> (TestTable, DynamoDbProxy, TestApi) {
    let logs = tracing_subscriber::fmt().with_max_level(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = logs.with_test_writer().try_init();
    let table = test_table().await;
    let proxy = DynamoDbProxy::start(table.sdk_config.endpoint_url().expect("DynamoDB Local's endpoint")).await;
    let key = SigningKey::generate("lost-replies-key");
    let keys = KeyRing { current: key.clone(), previous: None };
    let adapters =
        Adapters::local(local_sdk_config(proxy.endpoint()), table.name.clone(), keys).with_time_budget(BUDGET);
    let api = TestApi::start_on(adapters, key).await;
    (table, proxy, api)
}

fn article(title: &str) -> Value {
    json!({"article": {"title": title, "description": "d", "body": "b", "tagList": ["lost"]}})
}

/// 503 with `Retry-After` in whole seconds and the errors shape, within the request budget.
fn assert_unavailable(reply: &Reply, elapsed: Duration) {
    assert_eq!(reply.status, 503, "{:?}", reply.body);
    let retry_after = reply.header("retry-after").and_then(|value| value.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| seconds > 0), "Retry-After {:?}", reply.header("retry-after"));
    let messages = reply.body["errors"]["server"].as_array().unwrap_or_else(|| panic!("{}", reply.body));
    assert!(!messages.is_empty() && messages.iter().all(Value::is_string), "{}", reply.body);
    assert!(elapsed <= BUDGET.request + MARGIN, "answered after {elapsed:?}");
}

/// The answers the proxy kept back were all DynamoDB's success for one and the same transaction:
/// the first attempt committed, and any resend by the SDK carried its token.
fn assert_one_transaction_committed_unheard(proxy: &DynamoDbProxy) {
    let dropped = proxy.dropped();
    assert!(!dropped.is_empty(), "no transaction reached DynamoDB");
    assert!(dropped.iter().all(|answer| answer.status == 200), "{dropped:?}");
    let token = dropped[0].client_request_token.as_deref();
    assert!(token.is_some(), "{dropped:?}");
    assert!(dropped.iter().all(|answer| answer.client_request_token.as_deref() == token), "{dropped:?}");
    eprintln!("answers lost: {} attempt(s) of one transaction", dropped.len());
}

/// The table's items whose partition key starts with `prefix` and whose sort key is `sort`.
async fn items(table: &TestTable, prefix: &str, sort: &str) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    let text = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
        item.get(name).and_then(|value| value.as_s().ok()).cloned().unwrap_or_default()
    };
    scan_table(&table.client, &table.name)
        .await
        .into_iter()
        .filter(|item| text(item, "PK").starts_with(prefix) && text(item, "SK") == sort)
        .collect()
}

#[tokio::test]
async fn a_keyed_publication_whose_reply_is_lost_answers_503_and_the_retry_gets_the_one_article_created() {
    // Given an author, and a proxy that from now on loses the answers of DynamoDB transactions
    let (table, proxy, api) = gateway_behind_a_lossy_proxy().await;
    let token = api.register("lostkeyed").await;
    proxy.start_dropping();

    // When a keyed publication's transaction commits and its answer is lost
    let started = Instant::now();
    let first = api.keyed("POST", "/articles", Some(article("Lost and found")), Some(&token), "lost-1").await;
    let elapsed = started.elapsed();
    proxy.stop_dropping();

    // Then the client gets 503, though DynamoDB committed the article
    assert_unavailable(&first, elapsed);
    assert_one_transaction_committed_unheard(&proxy);
    eprintln!("the lost reply answered 503 after {} ms", elapsed.as_millis());

    // When the client retries with the same key and body
    let retry = api.keyed("POST", "/articles", Some(article("Lost and found")), Some(&token), "lost-1").await;

    // Then it gets the article the first request created, marked as replayed
    assert_eq!(retry.status, 201, "{:?}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body["article"]["slug"], "lost-and-found");
    assert_eq!(retry.body["article"]["title"], "Lost and found");
    assert_eq!(retry.body["article"]["author"]["username"], "lostkeyed");
    let stored = api.get("/articles/lost-and-found", None).await;
    assert_eq!(stored.status, 200, "{:?}", stored.body);
    assert_eq!(stored.body["article"]["createdAt"], retry.body["article"]["createdAt"]);

    // And the article exists once, to the API and in the table, whose record of the key still
    // holds the answer (releasing the claim after the 503 found it completed and left it)
    assert_eq!(published_by(&api, "lostkeyed").await, 1);
    assert_eq!(items(&table, "ARTICLE#", "ARTICLE").await.len(), 1);
    let records = items(&table, "IDEMPOTENCY#", "IDEMPOTENCY").await;
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].get("record_state").and_then(|state| state.as_s().ok()).map(String::as_str),
        Some("completed")
    );
    let problems = inconsistencies(&table).await;
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn without_a_key_the_same_lost_reply_and_its_retry_publish_the_article_twice() {
    // Given an author, and a proxy that loses the answers of transactions
    let (table, proxy, api) = gateway_behind_a_lossy_proxy().await;
    let token = api.register("lostunkeyed").await;
    proxy.start_dropping();

    // When a publication without a key commits and its answer is lost, and the client retries
    let started = Instant::now();
    let first = api.post("/articles", article("Lost twice"), Some(&token)).await;
    let elapsed = started.elapsed();
    proxy.stop_dropping();
    assert_unavailable(&first, elapsed);
    assert_one_transaction_committed_unheard(&proxy);
    let retry = api.post("/articles", article("Lost twice"), Some(&token)).await;

    // Then the retry is a publication of its own: the article now exists twice
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (201, None), "{:?}", retry.body);
    assert_ne!(retry.body["article"]["slug"], "lost-twice", "the first one holds that slug");
    assert_eq!(published_by(&api, "lostunkeyed").await, 2);
    assert_eq!(items(&table, "ARTICLE#", "ARTICLE").await.len(), 2);
}
