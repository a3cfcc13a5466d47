//! The DynamoDB user store, against DynamoDB Local; each test has a table of its own.

use std::sync::Arc;

use conduit_domain::User;
use conduit_domain::ports::{StoreError, UniqueField, UserReader, UserWriter};
use conduit_domain::values::{Bio, Email, PasswordHash, UserId, Username};
use conduit_dynamodb_local::test_table;
use conduit_repository::{DynamoUsers, Table};

async fn store() -> DynamoUsers {
    let table = test_table().await;
    DynamoUsers::new(Table::new(table.client, table.name))
}

fn new_user(username: &str, email: &str) -> User {
    User::register(
        Username::parse(username).expect("valid username"),
        Email::parse(email).expect("valid email"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    )
}

#[tokio::test]
async fn a_stored_user_is_found_by_id_email_and_username_in_any_case() {
    let users = store().await;
    let jake = new_user("Jake", "Jake@Example.com");

    users.insert(&jake, None).await.expect("inserted");

    assert_eq!(users.find_by_id(jake.id).await.expect("read"), Some(jake.clone()));
    let by_email = users.find_by_email(&Email::parse("jake@example.COM").expect("valid")).await.expect("read");
    assert_eq!(by_email, Some(jake.clone()));
    let by_name = users.find_by_username(&Username::parse("JAKE").expect("valid")).await.expect("read");
    assert_eq!(by_name, Some(jake));
}

#[tokio::test]
async fn unknown_users_are_absent_not_errors() {
    let users = store().await;

    assert_eq!(users.find_by_id(UserId::generate()).await.expect("read"), None);
    assert_eq!(users.find_by_email(&Email::parse("no@one.com").expect("valid")).await.expect("read"), None);
}

#[tokio::test]
async fn a_taken_email_or_username_refuses_the_whole_registration() {
    let users = store().await;
    users.insert(&new_user("jake", "jake@example.com"), None).await.expect("first");

    let both = users.insert(&new_user("JAKE", "JAKE@example.com"), None).await.expect_err("refused");
    let email_only = users.insert(&new_user("other", "jake@EXAMPLE.com"), None).await.expect_err("refused");

    assert!(
        matches!(both, StoreError::AlreadyTaken(ref f) if f == &[UniqueField::Email, UniqueField::Username]),
        "{both:?}"
    );
    assert!(matches!(email_only, StoreError::AlreadyTaken(ref f) if f == &[UniqueField::Email]), "{email_only:?}");
    // Nothing of the refused registrations was written: "other" is still free.
    users.insert(&new_user("other", "other@example.com"), None).await.expect("username still free");
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_have_exactly_one_winner() {
    let users = Arc::new(store().await);

    let attempts = (0..10).map(|n| {
        let users = Arc::clone(&users);
        tokio::spawn(async move { users.insert(&new_user(&format!("racer{n}"), "race@example.com"), None).await })
    });
    let outcomes = futures_join(attempts).await;

    let winners = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|e| matches!(e, StoreError::AlreadyTaken(_))));
}

#[tokio::test]
async fn changing_email_and_username_moves_the_claims() {
    let users = store().await;
    let jake = new_user("jake", "jake@example.com");
    users.insert(&jake, None).await.expect("inserted");

    let mut renamed = jake.clone();
    renamed.username = Username::parse("jacob").expect("valid");
    renamed.email = Email::parse("jacob@example.com").expect("valid");
    renamed.bio = Bio::parse("hello").expect("valid");
    renamed.version = 2;
    users.update(&jake, &renamed, None).await.expect("updated");

    assert_eq!(users.find_by_id(jake.id).await.expect("read"), Some(renamed.clone()));
    assert_eq!(users.find_by_username(&renamed.username).await.expect("read"), Some(renamed));
    assert_eq!(users.find_by_email(&jake.email).await.expect("read"), None);
    // The old values are free again for somebody else.
    users.insert(&new_user("jake", "jake@example.com"), None).await.expect("old values reusable");
}

#[tokio::test]
async fn an_update_based_on_a_stale_read_is_a_conflict_and_writes_nothing() {
    let users = store().await;
    let jake = new_user("jake", "jake@example.com");
    users.insert(&jake, None).await.expect("inserted");
    let mut first = jake.clone();
    first.bio = Bio::parse("first").expect("valid");
    first.version = 2;
    users.update(&jake, &first, None).await.expect("first update");

    let mut stale = jake.clone();
    stale.username = Username::parse("stale").expect("valid");
    stale.version = 2;
    let error = users.update(&jake, &stale, None).await.expect_err("conflict");

    assert!(matches!(error, StoreError::Conflict), "{error:?}");
    assert_eq!(users.find_by_id(jake.id).await.expect("read"), Some(first));
    assert_eq!(users.find_by_username(&stale.username).await.expect("read"), None);
}

#[tokio::test]
async fn moving_to_a_taken_username_is_refused() {
    let users = store().await;
    let jake = new_user("jake", "jake@example.com");
    users.insert(&jake, None).await.expect("inserted");
    users.insert(&new_user("anne", "anne@example.com"), None).await.expect("inserted");

    let mut clash = jake.clone();
    clash.username = Username::parse("Anne").expect("valid");
    clash.version = 2;
    let error = users.update(&jake, &clash, None).await.expect_err("taken");

    assert!(matches!(error, StoreError::AlreadyTaken(ref f) if f == &[UniqueField::Username]), "{error:?}");
    assert_eq!(users.find_by_id(jake.id).await.expect("read"), Some(jake));
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await.expect("task finished"));
    }
    results
}
