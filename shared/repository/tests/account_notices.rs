//! Account notices against DynamoDB Local: the marker a change of e-mail or password writes in
//! its own transaction, and the mail ledger kept on it.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::User;
use conduit_domain::account_notice::{AccountNotice, PasswordChange};
use conduit_domain::password_reset::PasswordReset;
use conduit_domain::ports::{MailLedger, PasswordResets, StoreError, UserReader, UserWriter};
use conduit_domain::values::{Bio, Email, PasswordHash, Timestamp, TokenDigest, Username};
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_repository::{AccountNoticeItem, DynamoAccountNotices, DynamoPasswordResets, DynamoUsers, Table};

struct Stores {
    users: DynamoUsers,
    resets: DynamoPasswordResets,
    notices: DynamoAccountNotices,
    local: TestTable,
}

async fn stores() -> Stores {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    Stores {
        users: DynamoUsers::new(table.clone()),
        resets: DynamoPasswordResets::new(table.clone()),
        notices: DynamoAccountNotices::new(table),
        local,
    }
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

/// `user` as stored one version later, changed by `change`.
fn changed(user: &User, change: impl FnOnce(&mut User)) -> User {
    let mut updated = user.clone();
    change(&mut updated);
    updated.version = user.version + 1;
    updated.updated_at = Timestamp::now().max(user.updated_at);
    updated
}

fn new_address(user: &mut User) {
    user.email = Email::parse("jake@elsewhere.example").expect("valid");
}

/// Every notice marker in `user`'s partition, as stored.
async fn markers(local: &TestTable, user: &User) -> Vec<HashMap<String, AttributeValue>> {
    local
        .client
        .query()
        .table_name(&local.name)
        .key_condition_expression("PK = :user AND begins_with(SK, :notice)")
        .expression_attribute_values(":user", AttributeValue::S(format!("USER#{}", user.id)))
        .expression_attribute_values(":notice", AttributeValue::S("ACCOUNT_NOTICE#".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("queried")
        .items
        .unwrap_or_default()
}

fn notice_of(marker: HashMap<String, AttributeValue>) -> AccountNotice {
    let item: AccountNoticeItem = serde_dynamo::from_item(marker).expect("a notice marker");
    item.into_notice().expect("a valid notice")
}

#[tokio::test]
async fn a_new_address_writes_its_notice_with_the_change_and_a_bio_writes_none() {
    // Given jake's account
    let Stores { users, local, .. } = stores().await;
    let jake = registered(&users).await;

    // When he changes his bio, then his address
    let with_bio = changed(&jake, |user| user.bio = Bio::parse("I like to skateboard").expect("valid"));
    users.update(&jake, &with_bio, None).await.expect("updated");
    let moved = changed(&with_bio, new_address);
    users.update(&with_bio, &moved, None).await.expect("updated");

    // Then one marker tells the old address of the new one, keyed and kept as documented
    let mut stored = markers(&local, &jake).await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let marker = stored.remove(0);
    assert_eq!(marker["SK"].as_s().expect("a string"), &format!("ACCOUNT_NOTICE#{:020}", moved.version));
    let purge_after: i64 = marker["purge_after"].as_n().expect("a number").parse().expect("whole");
    assert_eq!(purge_after, moved.updated_at.plus(AccountNotice::KEPT_FOR).unix_seconds());
    let notice = notice_of(marker);
    assert_eq!(Some(notice), AccountNotice::for_change(&with_bio, &moved));
}

#[tokio::test]
async fn the_notice_is_part_of_the_change_write_so_neither_is_stored_without_the_other() {
    // Given jake's account, and a marker already standing where the change's notice would go
    let Stores { users, notices, local, .. } = stores().await;
    let jake = registered(&users).await;
    let with_password = changed(&jake, |user| user.password_hash = PasswordHash::from_phc("new-hash".into()));
    let notice = AccountNotice::for_change(&jake, &with_password).expect("a notice");
    assert!(notices.claim(&notice, Timestamp::now(), Timestamp::now()).await.expect("answered"));

    // When the password change is written, and an address change based on a stale read
    let refused = users.update(&jake, &with_password, None).await;
    let stale_read = User { version: jake.version + 5, ..jake.clone() };
    let stale_refused = users.update(&stale_read, &changed(&stale_read, new_address), None).await;

    // Then each is refused whole: the account is as it was, and no notice was added
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
    assert!(matches!(stale_refused, Err(StoreError::Conflict)), "{stale_refused:?}");
    assert_eq!(users.find_by_id(jake.id).await.expect("read"), Some(jake.clone()));
    assert_eq!(markers(&local, &jake).await.len(), 1, "only the marker that stood before");
}

#[tokio::test]
async fn a_completed_reset_writes_a_reset_notice_once() {
    // Given jake's pending reset link
    let Stores { users, resets, local, .. } = stores().await;
    let jake = registered(&users).await;
    let digest = TokenDigest::from_hex("aaaa".to_owned());
    let requested = PasswordReset::none_yet(jake.id).request(digest, &jake.email, Timestamp::now()).expect("admitted");
    resets.save_request(&requested, None).await.expect("saved");
    let reset = jake.with_password(PasswordHash::from_phc("new-hash".into()), Timestamp::now());

    // When the reset is completed, twice
    resets.complete(&requested.completed(), &jake, &reset, None).await.expect("completed");
    let twice = resets.complete(&requested.completed(), &jake, &reset, None).await;

    // Then one notice tells jake's address of the reset
    assert!(matches!(twice, Err(StoreError::Conflict)), "{twice:?}");
    let stored: Vec<AccountNotice> = markers(&local, &jake).await.into_iter().map(notice_of).collect();
    assert_eq!(stored, vec![AccountNotice::for_reset(&jake, &reset)]);
    assert_eq!(stored[0].password(), Some(PasswordChange::Reset));
    assert_eq!(stored[0].recipient(), &jake.email);
}

#[tokio::test]
async fn the_ledger_on_a_marker_grants_one_claim_and_leaves_what_the_marker_says() {
    // Given the marker of jake's address change
    let Stores { users, notices, local, .. } = stores().await;
    let jake = registered(&users).await;
    let moved = changed(&jake, new_address);
    users.update(&jake, &moved, None).await.expect("updated");
    let notice = AccountNotice::for_change(&jake, &moved).expect("a notice");
    let now = Timestamp::now();
    let until = now.plus(Duration::from_secs(60));

    // When concurrent deliveries claim it, the claim is given back, taken again, and the mail sent
    let claims = futures::future::join_all((0..5).map(|_| notices.claim(&notice, now, until))).await;
    notices.release(&notice).await.expect("released");
    let retaken = notices.claim(&notice, now, until).await.expect("answered");
    notices.record_sent(&notice, now).await.expect("recorded");
    let after_sending = notices.claim(&notice, now.plus(Duration::from_secs(3600)), until).await.expect("answered");

    // Then one claim won at a time, a sent notice is never claimed again, and the marker still
    // holds the notice and its expiry
    let won = claims.into_iter().map(|claim| claim.expect("answered")).filter(|won| *won).count();
    assert_eq!(won, 1);
    assert!(retaken, "a released claim can be taken again");
    assert!(!after_sending, "a sent notice is not claimed again");
    let mut stored = markers(&local, &jake).await;
    assert_eq!(stored.len(), 1);
    let marker = stored.remove(0);
    assert_eq!(marker["mail_state"].as_s().expect("a string"), "sent");
    assert!(marker.contains_key("purge_after"));
    assert_eq!(notice_of(marker), notice);
}
