//! The welcome mail follows a registration through the table's change stream, once.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::TestApi;
use serde_json::{Value, json};

const SUBJECT: &str = "Welcome to Conduit";

async fn welcome_mails_to(api: &TestApi, address: &str) -> Vec<Value> {
    api.outbox().await.into_iter().filter(|mail| mail["subject"] == SUBJECT && mail["to"] == address).collect()
}

/// Waits up to `limit` for `address`'s first welcome mail; how long it took.
async fn first_welcome_mail(api: &TestApi, address: &str, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if !welcome_mails_to(api, address).await.is_empty() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_registration_is_answered_at_once_and_the_welcome_mail_follows_within_seconds() {
    // Given the local gateway, which reads the table's stream as Lambda would
    let api = TestApi::start().await;

    // When jake registers
    let started = Instant::now();
    api.register("jake").await;
    let answered_after = started.elapsed();

    // Then the answer did not wait for the mail, and the mail came within 10 s
    let mailed_after = first_welcome_mail(&api, "jake@example.com", Duration::from_secs(10)).await;
    assert!(mailed_after.is_some(), "no welcome mail within 10 s");
    let mail = welcome_mails_to(&api, "jake@example.com").await.remove(0);
    assert!(mail["text"].as_str().is_some_and(|text| text.contains("jake")), "{mail}");
    eprintln!("registration answered in {answered_after:?}; welcome mail {mailed_after:?} later");
}

#[tokio::test]
async fn a_replayed_record_sends_nothing_more() {
    // Given jake registered and welcomed
    let api = TestApi::start().await;
    api.register("jake").await;
    first_welcome_mail(&api, "jake@example.com", Duration::from_secs(10)).await.expect("welcomed");

    // When the record of his account's creation reaches the consumer again, twice
    let record = account_created_record(&api, "jake").await;
    let consumers = conduit_local_gateway::build_stream_consumers(&api.adapters).expect("consumers");
    let consumer = consumers.iter().find(|entry| entry.function == "send-welcome-mail").expect("the consumer");
    for _ in 0..2 {
        let event = serde_json::from_value(json!({ "Records": [record.clone()] })).expect("a stream event");
        // As the gateway calls it: its AWS calls are the function's (the IAM contract reads them).
        let response =
            conduit_bootstrap::aws_call_log::as_function("send-welcome-mail", (consumer.handler)(event)).await;
        assert!(response.batch_item_failures.is_empty(), "{:?}", response.batch_item_failures);
    }

    // Then he still has exactly one welcome mail
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(welcome_mails_to(&api, "jake@example.com").await.len(), 1);
}

/// The INSERT record of `username`'s account item, shaped as Lambda delivers it, built from the
/// item as stored.
async fn account_created_record(api: &TestApi, username: &str) -> Value {
    let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
    let table = api.adapters.table().name().to_owned();
    let claim = client
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S(format!("USERNAME#{username}")))
        .key("SK", AttributeValue::S("USERNAME".into()))
        .send()
        .await
        .expect("claim read")
        .item
        .expect("the username is claimed");
    let id = claim["user_id"].as_s().expect("user id").clone();
    let item = client
        .get_item()
        .table_name(&table)
        .key("PK", AttributeValue::S(format!("USER#{id}")))
        .key("SK", AttributeValue::S("USER".into()))
        .send()
        .await
        .expect("account read")
        .item
        .expect("the account exists");
    let image: serde_dynamo::Item = item.into();
    let keys = json!({ "PK": { "S": format!("USER#{id}") }, "SK": { "S": "USER" } });
    json!({
        "eventID": "replayed", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": { "ApproximateCreationDateTime": 1_795_456_800, "Keys": keys, "NewImage": image,
                      "SequenceNumber": "1", "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES" },
    })
}
