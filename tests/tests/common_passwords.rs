//! A common password is refused wherever a password is set (registration, a change through
//! `PUT /api/user`, a reset link), with a 422 that says why; logging in is not concerned.

use conduit_api_tests::{Reply, TestApi, errors};
use serde_json::{Value, json};

const TOO_COMMON: &str = "is too common (found in a list of breached passwords)";

/// The refusal a client gets: the field's message, and the official list's sentence.
fn assert_refused_as_too_common(reply: &Reply) {
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(errors(reply, "password"), [TOO_COMMON]);
    let sentences = reply.body["errors"]["body"].as_array().expect("errors.body");
    assert!(sentences.contains(&Value::from(format!("password {TOO_COMMON}"))), "{sentences:?}");
}

fn login(email: &str, password: &str) -> Value {
    json!({"user": {"email": email, "password": password}})
}

#[tokio::test]
async fn registering_with_a_common_password_is_refused_and_creates_no_account() {
    // Given a new API
    let api = TestApi::start().await;

    // When someone registers with a password from the list, in capitals
    let registration = json!({"user": {"username": "jake", "email": "jake@example.com", "password": "PASSWORD1"}});
    let reply = api.post("/users", registration, None).await;

    // Then it is refused, and the name stays free for a password that is not on the list
    assert_refused_as_too_common(&reply);
    let retried = json!({"user": {"username": "jake", "email": "jake@example.com", "password": "jake-skateboard-42"}});
    assert_eq!(api.post("/users", retried, None).await.status, 201);
}

#[tokio::test]
async fn changing_to_a_common_password_is_refused_and_the_old_one_keeps_working() {
    // Given jake, signed in
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    // When he changes his password to one from the list (with his current password, which a
    // change of password is to require)
    let change = json!({"user": {"password": "qwertyuiop", "currentPassword": "password-jake"}});
    let reply = api.put("/user", change, Some(&token)).await;

    // Then it is refused and his password is unchanged
    assert_refused_as_too_common(&reply);
    let old = api.post("/users/login", login("jake@example.com", "password-jake"), None).await;
    let common = api.post("/users/login", login("jake@example.com", "qwertyuiop"), None).await;
    assert_eq!((old.status, common.status), (200, 401));
}

#[tokio::test]
async fn a_reset_link_refuses_a_common_password_and_stays_usable() {
    // Given jake, with a reset link in his mailbox
    let api = TestApi::start().await;
    api.register("jake").await;
    let requested = api.post("/users/password-reset", json!({"user": {"email": "jake@example.com"}}), None).await;
    assert_eq!(requested.status, 202);
    let link_token = api.mailed_reset_token().await;

    // When he sets a password from the list through it
    let confirmation = |password: &str| json!({"user": {"token": link_token, "password": password}});
    let reply = api.post("/users/password-reset/confirm", confirmation("iloveyou12"), None).await;

    // Then it is refused, and the link still sets a password that is not on the list
    assert_refused_as_too_common(&reply);
    let retried = api.post("/users/password-reset/confirm", confirmation("jake-skateboard-42"), None).await;
    assert_eq!(retried.status, 200, "{:?}", retried.body);
}

#[tokio::test]
async fn a_login_with_a_common_password_is_judged_by_the_stored_hash_only() {
    // Given jake
    let api = TestApi::start().await;
    api.register("jake").await;

    // When someone logs in as jake with a password from the list
    let reply = api.post("/users/login", login("jake@example.com", "password1"), None).await;

    // Then it is the wrong password, not a refused one
    assert_eq!(reply.status, 401);
    assert_eq!(errors(&reply, "credentials"), ["are invalid"]);
}
