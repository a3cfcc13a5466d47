//! The welcome-mail ledger against DynamoDB Local.

use std::time::Duration;

use conduit_domain::ports::MailLedger;
use conduit_domain::values::{Timestamp, UserId};
use conduit_dynamodb_local::test_table;
use conduit_repository::{DynamoWelcomeMails, Table};

async fn ledger() -> DynamoWelcomeMails {
    let local = test_table().await;
    DynamoWelcomeMails::new(Table::new(local.client, local.name))
}

#[tokio::test]
async fn only_one_of_concurrent_claims_wins_and_a_sent_mail_is_never_claimed_again() {
    let ledger = ledger().await;
    let user = UserId::generate();
    let now = Timestamp::now();
    let until = now.plus(Duration::from_secs(60));

    let claims = futures::future::join_all((0..5).map(|_| ledger.claim(&user, now, until))).await;
    ledger.record_sent(&user, now).await.expect("recorded");
    let after_sending = ledger.claim(&user, now.plus(Duration::from_secs(3600)), until).await.expect("answered");
    ledger.release(&user).await.expect("nothing to release");
    let after_release = ledger.claim(&user, now.plus(Duration::from_secs(3600)), until).await.expect("answered");

    let won = claims.into_iter().map(|claim| claim.expect("answered")).filter(|won| *won).count();
    assert_eq!(won, 1);
    assert!(!after_sending, "a sent mail is not claimed again");
    assert!(!after_release, "releasing never undoes a sent mail");
}

#[tokio::test]
async fn a_released_or_expired_claim_can_be_taken_again() {
    let ledger = ledger().await;
    let (released, expired) = (UserId::generate(), UserId::generate());
    let now = Timestamp::now();
    let until = now.plus(Duration::from_secs(60));
    ledger.claim(&released, now, until).await.expect("claimed");
    ledger.claim(&expired, now, until).await.expect("claimed");

    ledger.release(&released).await.expect("released");
    let retaken = ledger.claim(&released, now, until).await.expect("answered");
    let while_held = ledger.claim(&expired, now.plus(Duration::from_secs(30)), until).await.expect("answered");
    let once_expired = ledger.claim(&expired, now.plus(Duration::from_secs(61)), until).await.expect("answered");

    assert!(retaken);
    assert!(!while_held);
    assert!(once_expired);
}
