//! The trace context stored with the items whose stream records a consumer acts on, against
//! DynamoDB Local: with traces on (a pipeline kept in this process, exporting nowhere but a
//! processor of its own), a registration stores the writing span's `traceparent` on the account
//! (whose creation brings the welcome mail) and a change of address on the notice's marker, not on
//! the claims; written outside any span, nothing is stored.

use std::collections::HashMap;
use std::sync::Once;

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::User;
use conduit_domain::ports::UserWriter;
use conduit_domain::values::{Email, PasswordHash, Timestamp, Username};
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_repository::{DynamoUsers, TRACE_PARENT_ATTRIBUTE, Table};
use conduit_telemetry::traces::sdk::error::OTelSdkResult;
use conduit_telemetry::traces::sdk::trace::{SimpleSpanProcessor, SpanData, SpanExporter};
use conduit_telemetry::traces::{ExporterChoice, TracesSetup, current_traceparent};
use tracing::Instrument;

/// Drops what it is given: the spans are not what these tests look at.
#[derive(Debug)]
struct Discarded;

impl SpanExporter for Discarded {
    async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
        Ok(())
    }
}

/// Traces on, once for every test of this process.
fn traces_on() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let setup = TracesSetup::new("repository-tests", ExporterChoice::None)
            .with_span_processor(SimpleSpanProcessor::new(Discarded));
        conduit_telemetry::init_with_traces(setup).expect("traces installed");
    });
}

fn jake() -> User {
    User::register(
        Username::parse("jake").expect("valid"),
        Email::parse("jake@example.com").expect("valid"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    )
}

/// Every item of `partition`, by sort key, as stored.
async fn partition(local: &TestTable, partition: &str) -> HashMap<String, HashMap<String, AttributeValue>> {
    let items = local
        .client
        .query()
        .table_name(&local.name)
        .key_condition_expression("PK = :partition")
        .expression_attribute_values(":partition", AttributeValue::S(partition.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("queried")
        .items
        .unwrap_or_default();
    items.into_iter().map(|item| (item["SK"].as_s().expect("a sort key").clone(), item)).collect()
}

fn trace_parent(item: &HashMap<String, AttributeValue>) -> Option<&str> {
    item.get(TRACE_PARENT_ATTRIBUTE).map(|value| value.as_s().expect("a string").as_str())
}

#[tokio::test]
async fn a_traced_registration_and_change_of_address_store_the_writing_spans_trace_context() {
    // Given traces on and a table
    traces_on();
    let local = test_table().await;
    let users = DynamoUsers::new(Table::new(local.client.clone(), local.name.clone()));
    let user = jake();

    // When the account is registered, and later given a new address, each in a request's span
    let registered_in = async {
        users.insert(&user, None).await.expect("inserted");
        current_traceparent().expect("traced")
    }
    .instrument(tracing::info_span!("request"))
    .await;
    let mut updated = user.clone();
    updated.email = Email::parse("jake@elsewhere.example").expect("valid");
    updated.version = user.version + 1;
    updated.updated_at = Timestamp::now().max(user.updated_at);
    let changed_in = async {
        users.update(&user, &updated, None).await.expect("updated");
        current_traceparent().expect("traced")
    }
    .instrument(tracing::info_span!("request"))
    .await;

    // Then the account carries the registration's context, the notice the change's
    let items = partition(&local, &format!("USER#{}", user.id)).await;
    assert_ne!(registered_in, changed_in);
    assert_eq!(trace_parent(&items["USER"]), Some(registered_in.as_str()), "the account: {items:?}");
    let notice = items.iter().find(|(sort, _)| sort.starts_with("ACCOUNT_NOTICE#")).expect("a notice").1;
    assert_eq!(trace_parent(notice), Some(changed_in.as_str()), "the notice: {notice:?}");
    // And the claims, whose records no consumer reads, carry none
    let claim = partition(&local, "EMAIL#jake@elsewhere.example").await;
    assert_eq!(trace_parent(&claim["EMAIL"]), None);
}

#[tokio::test]
async fn a_write_outside_any_span_stores_no_trace_context() {
    // Given traces on and a table
    traces_on();
    let local = test_table().await;
    let users = DynamoUsers::new(Table::new(local.client.clone(), local.name.clone()));
    let user = jake();

    // When the account is registered outside any span
    users.insert(&user, None).await.expect("inserted");

    // Then it is stored as ever, without a trace context
    let items = partition(&local, &format!("USER#{}", user.id)).await;
    assert_eq!(trace_parent(&items["USER"]), None, "{items:?}");
}
