//! The account lifecycle through the local gateway: password reset by e-mail, sign-out
//! everywhere, and revocation of every token issued before a password change.

use std::time::{Duration, Instant};

use conduit_api_tests::{TestApi, errors};
use conduit_dynamodb_local::{DynamoDbLocal, test_table_on};
use serde_json::{Value, json};

fn reset_request(email: &str) -> Value {
    json!({"user": {"email": email}})
}

fn confirmation(token: &str, password: &str) -> Value {
    json!({"user": {"token": token, "password": password}})
}

fn login(email: &str, password: &str) -> Value {
    json!({"user": {"email": email, "password": password}})
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_revokes_every_older_token() {
    // Given jake, signed in
    let api = TestApi::start().await;
    let old_token = api.register("jake").await;

    // When he asks for a reset, follows the mailed link and sets a new password
    let requested = api.post("/users/password-reset", reset_request("jake@example.com"), None).await;
    let mail = api.reset_mails().await.pop().expect("a mail");
    let reset_token = api.mailed_reset_token().await;
    let confirmed =
        api.post("/users/password-reset/confirm", confirmation(&reset_token, "a brand new password"), None).await;

    // Then the request was accepted with an empty object and the mail went to him
    assert_eq!((requested.status, requested.body.clone()), (202, json!({})));
    assert_eq!(mail["to"], "jake@example.com");
    assert_eq!(mail["subject"], "Reset your Conduit password");
    assert_eq!(reset_token.len(), 43, "256 bits, base64url");
    // ...the confirmation signs him in with a fresh token
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let fresh = confirmed.body["user"]["token"].as_str().expect("token").to_owned();
    assert_eq!(confirmed.body["user"]["username"], "jake");
    assert_eq!(api.get("/user", Some(&fresh)).await.status, 200);
    // ...the old password and the old token are refused, on a protected and an optional route
    let old_login = api.post("/users/login", login("jake@example.com", "password-jake"), None).await;
    let new_login = api.post("/users/login", login("jake@example.com", "a brand new password"), None).await;
    assert_eq!((old_login.status, new_login.status), (401, 200));
    let on_user = api.get("/user", Some(&old_token)).await;
    let on_articles = api.get("/articles", Some(&old_token)).await;
    assert_eq!((on_user.status, on_articles.status), (401, 401));
    assert_eq!(errors(&on_user, "token"), ["is revoked"]);
    assert_eq!(errors(&on_articles, "token"), ["is revoked"]);
    // ...and the link works only once
    let again =
        api.post("/users/password-reset/confirm", confirmation(&reset_token, "yet another password"), None).await;
    assert_eq!(again.status, 422);
    assert_eq!(errors(&again, "token"), ["is invalid or has expired"]);
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_mail() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let unknown = api.post("/users/password-reset", reset_request("nobody@example.com"), None).await;

    assert_eq!((unknown.status, unknown.body), (202, json!({})));
    assert!(api.reset_mails().await.is_empty());
}

#[tokio::test]
async fn answers_for_known_and_unknown_addresses_take_the_same_time() {
    // Given an account, and the endpoint's floor on how long any answer takes, on a DynamoDB Local
    // of this test's own (the shared one slows down as the suite fills it, which is not the point)
    let engine = DynamoDbLocal::start(None).await.expect("DynamoDB Local of this test");
    let api = TestApi::start_in(test_table_on(engine.endpoint()).await).await;
    api.register("jake").await;
    let floor = request_password_reset::RESPONSE_FLOOR;

    // When both kinds of address are asked for, alternately
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..3 {
        for (email, times) in [("jake@example.com", &mut known), (&*format!("nobody{round}@example.com"), &mut unknown)]
        {
            let started = Instant::now();
            let reply = api.post("/users/password-reset", reset_request(email), None).await;
            times.push(started.elapsed());
            assert_eq!(reply.status, 202);
        }
    }

    // Then every answer took the floor, and the medians differ by no more than noise
    known.sort();
    unknown.sort();
    assert!(known.iter().chain(&unknown).all(|elapsed| *elapsed >= floor), "{known:?} {unknown:?}");
    let difference = known[1].abs_diff(unknown[1]);
    assert!(difference < Duration::from_millis(100), "medians {:?} and {:?}", known[1], unknown[1]);
}

#[tokio::test]
async fn a_newer_request_makes_the_older_link_stop_working() {
    let api = TestApi::start().await;
    api.register("jake").await;
    api.post("/users/password-reset", reset_request("jake@example.com"), None).await;
    let older = api.mailed_reset_token().await;
    api.post("/users/password-reset", reset_request("jake@example.com"), None).await;
    let newer = api.mailed_reset_token().await;

    let with_older =
        api.post("/users/password-reset/confirm", confirmation(&older, "a brand new password"), None).await;
    let with_newer =
        api.post("/users/password-reset/confirm", confirmation(&newer, "a brand new password"), None).await;

    assert_ne!(older, newer);
    assert_eq!(with_older.status, 422);
    assert_eq!(errors(&with_older, "token"), ["is invalid or has expired"]);
    assert_eq!(with_newer.status, 200);
}

#[tokio::test]
async fn at_most_three_reset_mails_an_hour_and_the_fourth_request_is_still_accepted() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(api.post("/users/password-reset", reset_request("jake@example.com"), None).await.status);
    }

    assert_eq!(statuses, [202, 202, 202, 202]);
    assert_eq!(api.reset_mails().await.len(), 3);
}

#[tokio::test]
async fn of_concurrent_confirmations_of_one_link_exactly_one_succeeds() {
    let api = TestApi::start().await;
    api.register("jake").await;
    api.post("/users/password-reset", reset_request("jake@example.com"), None).await;
    let token = api.mailed_reset_token().await;

    let attempts = (0..5).map(|n| {
        api.post("/users/password-reset/confirm", confirmation(&token, &format!("new password number {n}")), None)
    });
    let replies = futures::future::join_all(attempts).await;

    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 422, 422, 422, 422], "{replies:?}");
    let winner = replies.iter().position(|reply| reply.status == 200).expect("a winner");
    let password = format!("new password number {winner}");
    assert_eq!(api.post("/users/login", login("jake@example.com", &password), None).await.status, 200);
}

#[tokio::test]
async fn malformed_input_is_refused_field_by_field() {
    let api = TestApi::start().await;

    let blank = api.post("/users/password-reset", json!({"user": {}}), None).await;
    let malformed = api.post("/users/password-reset", reset_request("not an address"), None).await;
    let bad_token = api.post("/users/password-reset/confirm", confirmation("abc", "a brand new password"), None).await;
    let weak = api.post("/users/password-reset/confirm", confirmation(&"a".repeat(43), "short"), None).await;

    assert_eq!((blank.status, errors(&blank, "email")), (422, vec!["can't be blank"]));
    assert_eq!((malformed.status, errors(&malformed, "email")), (422, vec!["is invalid"]));
    assert_eq!((bad_token.status, errors(&bad_token, "token")), (422, vec!["is invalid or has expired"]));
    assert_eq!(weak.status, 422);
    assert_eq!(errors(&weak, "password"), ["is too short (minimum is 8 characters)"]);
}

#[tokio::test]
async fn signing_out_everywhere_revokes_the_current_token_at_once() {
    // Given jake signed in on two devices
    let api = TestApi::start().await;
    let laptop = api.register("jake").await;
    // Tokens issued within the same second are identical; the phone's must be its own.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let phone = api.post("/users/login", login("jake@example.com", "password-jake"), None).await.body["user"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(api.get("/user", Some(&laptop)).await.status, 200);

    // When he signs out everywhere from the laptop
    let signed_out = api.call("DELETE", "/user/sessions", None, Some(&laptop)).await;

    // Then a token the authorizer had not seen before is refused by it on any protected route
    assert_eq!((signed_out.status, signed_out.body.clone()), (204, Value::Null));
    assert_ne!(laptop, phone);
    let feed = api.get("/articles/feed", Some(&phone)).await;
    assert_eq!((feed.status, errors(&feed, "token")), (401, vec!["is revoked"]));
    // ...and neither works any more where the account is read, even though the authorizer's
    // answer for the laptop's token is still cached
    for token in [&laptop, &phone] {
        let on_user = api.get("/user", Some(token)).await;
        assert_eq!(on_user.status, 401);
        assert_eq!(errors(&on_user, "token"), ["is revoked"]);
        assert_eq!(api.get("/profiles/jake", Some(token)).await.status, 401);
    }
    // ...and signing in again works
    assert_eq!(api.post("/users/login", login("jake@example.com", "password-jake"), None).await.status, 200);
}

#[tokio::test]
async fn a_new_password_or_email_revokes_older_tokens_and_hands_the_caller_a_fresh_one() {
    let changes = [
        json!({"user": {"password": "a brand new password", "currentPassword": "password-jake"}}),
        json!({"user": {"email": "jake@new.example", "currentPassword": "password-jake"}}),
    ];
    for change in changes {
        // Given jake signed in on two devices
        let api = TestApi::start().await;
        let token = api.register("jake").await;
        let other_device =
            api.post("/users/login", login("jake@example.com", "password-jake"), None).await.body["user"]["token"]
                .as_str()
                .expect("token")
                .to_owned();

        // When one of them changes the password or the e-mail, then only the bio
        let changed = api.put("/user", change.clone(), Some(&token)).await;
        let fresh = changed.body["user"]["token"].as_str().expect("token").to_owned();
        let bio_only = api.put("/user", json!({"user": {"bio": "hello"}}), Some(&fresh)).await;

        // Then every older token is revoked, the fresh one works, and a bio brings no new token
        assert_eq!(changed.status, 200, "{change}: {:?}", changed.body);
        assert_ne!(fresh, token);
        for old in [&token, &other_device] {
            assert_eq!(errors(&api.get("/user", Some(old)).await, "token"), ["is revoked"], "{change}");
            assert_eq!(api.put("/user", json!({"user": {"bio": "x"}}), Some(old)).await.status, 401);
            assert_eq!(api.get("/articles", Some(old)).await.status, 401);
        }
        assert_eq!(api.get("/user", Some(&fresh)).await.status, 200);
        assert_eq!(bio_only.body["user"]["token"], fresh.as_str(), "no new password or e-mail, no new token");
    }
}

#[tokio::test]
async fn a_link_mailed_to_an_address_the_account_no_longer_has_is_refused() {
    // Given a reset link mailed to jake's address
    let api = TestApi::start().await;
    let token = api.register("jake").await;
    api.post("/users/password-reset", reset_request("jake@example.com"), None).await;
    let reset_token = api.mailed_reset_token().await;

    // When jake moves to another address, then the old link is used
    let move_to = json!({"user": {"email": "jake@elsewhere.example", "currentPassword": "password-jake"}});
    let moved = api.put("/user", move_to, Some(&token)).await;
    let confirmed =
        api.post("/users/password-reset/confirm", confirmation(&reset_token, "a brand new password"), None).await;

    // Then the link no longer works, and the password is unchanged
    assert_eq!(moved.status, 200);
    assert_eq!((confirmed.status, errors(&confirmed, "token")), (422, vec!["is invalid or has expired"]));
    assert_eq!(api.post("/users/login", login("jake@elsewhere.example", "password-jake"), None).await.status, 200);
}
