//! Security notices through the local gateway: a changed e-mail address, a changed password and a
//! completed password reset each mail the account's former address once, a moment after the
//! change (through the table's stream), with no secret in it and a way to act: the front end's
//! page that requests a reset.

use std::time::{Duration, Instant};

use conduit_api_tests::TestApi;
use serde_json::{Value, json};

/// Where a notice sends its reader, locally.
const RESET_REQUEST_PAGE: &str = "http://localhost:4100/reset-password";

/// The notices in the outbox for `address`, oldest first (welcome and reset mails are not).
async fn notices_to(api: &TestApi, address: &str) -> Vec<Value> {
    let is_notice = |mail: &Value| mail["subject"].as_str().is_some_and(|subject| subject.starts_with("Your Conduit "));
    api.outbox().await.into_iter().filter(|mail| mail["to"] == address && is_notice(mail)).collect()
}

/// `address`'s notices once there are `count`, and after another moment for any that should not
/// come. Fails after 10 s.
async fn notices_once_there_are(api: &TestApi, address: &str, count: usize) -> Vec<Value> {
    let started = Instant::now();
    while notices_to(api, address).await.len() < count {
        assert!(started.elapsed() < Duration::from_secs(10), "fewer than {count} notices to {address} after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    notices_to(api, address).await
}

/// Both parts of `mail`.
fn parts(mail: &Value) -> [&str; 2] {
    [mail["text"].as_str().expect("a text part"), mail["html"].as_str().expect("an HTML part")]
}

/// Asserts that each part links the reset request page and holds none of `secrets`, nor any link
/// that carries a token.
fn assert_actionable_without_secrets(mail: &Value, secrets: &[&str]) {
    for part in parts(mail) {
        assert!(part.contains(RESET_REQUEST_PAGE), "{part}");
        assert!(!part.contains("token="), "{part}");
        for secret in secrets {
            assert!(!part.contains(secret), "the notice holds {secret:?}: {part}");
        }
    }
}

#[tokio::test]
async fn a_new_address_is_told_to_the_former_one_once_and_partly_masked() {
    // Given jake, signed in
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    // When he moves his account to another address
    let changes = json!({"user": {"email": "jacob.smith@elsewhere.example", "currentPassword": "password-jake"}});
    let changed = api.put("/user", changes, Some(&token)).await;

    // Then his former address gets one notice naming the new one only partly, with no secret
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let notices = notices_once_there_are(&api, "jake@example.com", 1).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["subject"], "Your Conduit e-mail address was changed");
    for part in parts(&notices[0]) {
        assert!(part.contains("j***@e***.example"), "{part}");
        assert!(!part.contains("jacob.smith") && !part.contains("elsewhere"), "{part}");
    }
    let fresh = changed.body["user"]["token"].as_str().unwrap_or_default();
    assert_actionable_without_secrets(&notices[0], &[token.as_str(), fresh, "password-jake"]);
    // ...and the new address, which made the change, gets none
    assert!(notices_to(&api, "jacob.smith@elsewhere.example").await.is_empty());
}

#[tokio::test]
async fn a_new_password_is_told_once_and_a_bio_change_tells_nothing() {
    // Given jake, signed in
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    // When he changes his bio, then his password
    let bio = api.put("/user", json!({"user": {"bio": "I like to skateboard"}}), Some(&token)).await;
    let changes = json!({"user": {"password": "password-jake-1", "currentPassword": "password-jake"}});
    let changed = api.put("/user", changes, Some(&token)).await;

    // Then his address gets one notice, of the password, with neither password nor any token
    assert_eq!((bio.status, changed.status), (200, 200), "{:?} {:?}", bio.body, changed.body);
    let notices = notices_once_there_are(&api, "jake@example.com", 1).await;
    assert_eq!(notices.len(), 1, "the bio change sent none: {notices:?}");
    assert_eq!(notices[0]["subject"], "Your Conduit password was changed");
    let fresh = changed.body["user"]["token"].as_str().expect("a fresh token");
    assert_actionable_without_secrets(&notices[0], &[token.as_str(), fresh, "password-jake-1", "password-jake"]);
}

#[tokio::test]
async fn a_completed_reset_is_told_once_without_its_link() {
    // Given jake, who asked for a reset link
    let api = TestApi::start().await;
    api.register("jake").await;
    let requested = api.post("/users/password-reset", json!({"user": {"email": "jake@example.com"}}), None).await;
    assert_eq!(requested.status, 202);
    let link = reset_link_token(&api).await;

    // When he sets a new password through it
    let confirmation = json!({"user": {"token": link, "password": "password-jake-2"}});
    let confirmed = api.post("/users/password-reset/confirm", confirmation, None).await;

    // Then his address gets one notice of the reset, with neither the link's token nor a password
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let notices = notices_once_there_are(&api, "jake@example.com", 1).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["subject"], "Your Conduit password was reset");
    let fresh = confirmed.body["user"]["token"].as_str().expect("a fresh token");
    assert_actionable_without_secrets(&notices[0], &[link.as_str(), fresh, "password-jake-2"]);
}

/// The token of the reset link mailed to jake, from the link in the mail's text part.
async fn reset_link_token(api: &TestApi) -> String {
    let started = Instant::now();
    loop {
        let mails = api.outbox().await;
        let text = mails.iter().rev().find(|mail| mail["subject"] == "Reset your Conduit password");
        if let Some((_, after)) = text.and_then(|mail| mail["text"].as_str()?.split_once("/reset-password#token=")) {
            return after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no reset mail after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
