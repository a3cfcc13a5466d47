//! The DynamoDB password-reset store and session generations, against DynamoDB Local.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::User;
use conduit_domain::password_reset::PasswordReset;
use conduit_domain::ports::{PasswordResets, SessionReader, StoreError, UserReader, UserWriter};
use conduit_domain::values::{Email, PasswordHash, SessionGeneration, Timestamp, TokenDigest, UserId, Username};
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_repository::{DynamoPasswordResets, DynamoUsers, Table};

struct Stores {
    users: DynamoUsers,
    resets: DynamoPasswordResets,
    table: TestTable,
}

async fn stores() -> Stores {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    Stores { users: DynamoUsers::new(table.clone()), resets: DynamoPasswordResets::new(table), table: local }
}

async fn registered(users: &DynamoUsers) -> User {
    let user = User::register(
        Username::parse("jake").expect("valid"),
        Email::parse("jake@example.com").expect("valid"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    );
    users.insert(&user, None).await.expect("inserted");
    user
}

fn digest(text: &str) -> TokenDigest {
    TokenDigest::from_hex(text.to_owned())
}

#[tokio::test]
async fn a_requested_link_is_stored_with_its_owner_and_a_purge_time() {
    let Stores { users, resets, table } = stores().await;
    let jake = registered(&users).await;
    let now = Timestamp::now();

    let requested = PasswordReset::none_yet(jake.id).request(digest("aaaa"), &jake.email, now).expect("admitted");
    resets.save_request(&requested, None).await.expect("saved");

    assert_eq!(resets.find(jake.id).await.expect("read"), Some(requested.clone()));
    assert_eq!(resets.holder_of(&digest("aaaa")).await.expect("read"), Some(jake.id));
    assert_eq!(resets.holder_of(&digest("bbbb")).await.expect("read"), None);
    let stored = raw_item(&table, &format!("USER#{}", jake.id), "PASSWORD_RESET").await;
    let purge_after: i64 = stored["purge_after"].as_n().expect("a number").parse().expect("whole");
    assert_eq!(purge_after, now.plus(PasswordReset::RATE_WINDOW).unix_seconds());
    let link = raw_item(&table, "RESET_LINK#aaaa", "RESET_LINK").await;
    assert_eq!(
        link["purge_after"].as_n().expect("a number"),
        &now.plus(PasswordReset::LINK_LIFETIME).unix_seconds().to_string()
    );
}

#[tokio::test]
async fn a_state_derived_from_an_outdated_read_is_refused() {
    let Stores { users, resets, .. } = stores().await;
    let jake = registered(&users).await;
    let first_read = PasswordReset::none_yet(jake.id);
    resets
        .save_request(&first_read.request(digest("aaaa"), &jake.email, Timestamp::now()).expect("admitted"), None)
        .await
        .expect("saved");

    let racing = resets
        .save_request(&first_read.request(digest("bbbb"), &jake.email, Timestamp::now()).expect("admitted"), None)
        .await;

    assert!(matches!(racing, Err(StoreError::Conflict)), "{racing:?}");
    assert_eq!(resets.holder_of(&digest("bbbb")).await.expect("read"), None, "nothing of the refused write");
}

#[tokio::test]
async fn completing_a_reset_changes_the_password_and_the_generation_in_one_write_once() {
    let Stores { users, resets, .. } = stores().await;
    let jake = registered(&users).await;
    let requested =
        PasswordReset::none_yet(jake.id).request(digest("aaaa"), &jake.email, Timestamp::now()).expect("admitted");
    resets.save_request(&requested, None).await.expect("saved");
    let changed = jake.with_password(PasswordHash::from_phc("new-hash".into()), Timestamp::now());

    resets.complete(&requested.completed(), &jake, &changed, None).await.expect("completed");
    let twice = resets.complete(&requested.completed(), &jake, &changed, None).await;

    assert!(matches!(twice, Err(StoreError::Conflict)), "{twice:?}");
    let stored = users.find_by_id(jake.id).await.expect("read").expect("exists");
    assert_eq!(stored.password_hash.as_phc(), "new-hash");
    assert_eq!(stored.session_generation, SessionGeneration::FIRST.next());
    assert_eq!(resets.find(jake.id).await.expect("read").and_then(|state| state.pending), None);
}

#[tokio::test]
async fn the_session_generation_is_read_alone_and_is_absent_for_an_unknown_account() {
    let Stores { users, .. } = stores().await;
    let jake = registered(&users).await;
    users.update(&jake, &jake.revoking_sessions(Timestamp::now()), None).await.expect("revoked");

    let current = users.current_generation(jake.id).await.expect("read");
    let unknown = users.current_generation(UserId::generate()).await.expect("read");

    assert_eq!(current, Some(SessionGeneration::FIRST.next()));
    assert_eq!(unknown, None);
}

#[tokio::test]
async fn an_account_stored_before_generations_existed_is_of_the_first_generation() {
    let Stores { users, table, .. } = stores().await;
    let jake = registered(&users).await;
    remove_attribute(&table, &format!("USER#{}", jake.id), "USER", "session_generation").await;

    assert_eq!(users.current_generation(jake.id).await.expect("read"), Some(SessionGeneration::FIRST));
    let read = users.find_by_id(jake.id).await.expect("read").expect("exists");
    assert_eq!(read.session_generation, SessionGeneration::FIRST);
}

async fn raw_item(table: &TestTable, partition: &str, sort: &str) -> HashMap<String, AttributeValue> {
    table
        .client
        .get_item()
        .table_name(&table.name)
        .key("PK", AttributeValue::S(partition.into()))
        .key("SK", AttributeValue::S(sort.into()))
        .send()
        .await
        .expect("read")
        .item
        .expect("stored")
}

async fn remove_attribute(table: &TestTable, partition: &str, sort: &str, attribute: &str) {
    table
        .client
        .update_item()
        .table_name(&table.name)
        .key("PK", AttributeValue::S(partition.into()))
        .key("SK", AttributeValue::S(sort.into()))
        .update_expression(format!("REMOVE {attribute}"))
        .send()
        .await
        .expect("updated");
}
