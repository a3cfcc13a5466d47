//! `Idempotency-Key` on the account routes, through the local gateway: a retried sign-up, profile
//! change, reset request or reset confirmation takes effect once and the retry gets the first
//! answer; a retry of a write that revoked the token it came with is refused for that token.

use std::net::{IpAddr, Ipv4Addr};

use conduit_api_tests::{TestApi, errors, registration};
use serde_json::{Value, json};

const REPLAYED: &str = "idempotent-replayed";

fn login(email: &str, password: &str) -> Value {
    json!({"user": {"email": email, "password": password}})
}

fn reset_request(email: &str) -> Value {
    json!({"user": {"email": email}})
}

fn confirmation(token: &str, password: &str) -> Value {
    json!({"user": {"token": token, "password": password}})
}

fn token_of(reply: &conduit_api_tests::Reply) -> String {
    reply.body["user"]["token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn a_keyed_registration_retried_creates_one_account_and_the_retry_gets_the_first_answer() {
    // Given a sign-up sent with a key
    let api = TestApi::start().await;
    let first = api.keyed("POST", "/users", Some(registration("kelly")), None, "signup-1").await;
    assert_eq!((first.status, first.header(REPLAYED)), (201, None), "{:?}", first.body);

    // When the same sign-up is sent again with the same key (its answer was lost, say)
    let retry = api.keyed("POST", "/users", Some(registration("kelly")), None, "signup-1").await;

    // Then the retry gets the first answer, token included, instead of "email has already been
    // taken", and that token belongs to the one account, which signs in with its password
    assert_eq!((retry.status, retry.header(REPLAYED)), (201, Some("true")), "{:?}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("cache-control"), Some("no-store"));
    assert_eq!(api.get("/user", Some(&token_of(&retry))).await.body["user"]["username"], "kelly");
    let signed_in = api.post("/users/login", login("kelly@example.com", "password-kelly"), None).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
    let again_unkeyed = api.post("/users", registration("kelly"), None).await;
    assert_eq!(errors(&again_unkeyed, "email"), ["has already been taken"]);
}

#[tokio::test]
async fn a_registration_key_is_its_sources_own_another_source_using_it_makes_its_own_request() {
    // Given a sign-up keyed "shared" from 127.0.0.1
    let api = TestApi::start().await;
    let first = api.keyed("POST", "/users", Some(registration("lena")), None, "shared").await;
    assert_eq!(first.status, 201, "{:?}", first.body);

    // When another source sends the same sign-up under the same key, and a third source another
    // sign-up under it
    let same = api.keyed_post_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), "/users", registration("lena"), "shared");
    let other = api.keyed_post_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)), "/users", registration("mona"), "shared");
    let (same, other) = (same.await, other.await);

    // Then the first is judged as a request of its own (the address is taken), never given lena's
    // answer and token; the second registers, not refused as a key reused
    assert_eq!((same.status, same.header(REPLAYED)), (422, None), "{:?}", same.body);
    assert_eq!(errors(&same, "email"), ["has already been taken"]);
    assert_eq!((other.status, other.header(REPLAYED)), (201, None), "{:?}", other.body);
    assert_eq!(other.body["user"]["username"], "mona");
}

#[tokio::test]
async fn a_keyed_bio_change_retried_gets_the_first_answer_and_is_not_made_again() {
    // Given nina, who changes her bio with a key, then once more without one
    let api = TestApi::start().await;
    let token = api.register("nina").await;
    let change = json!({"user": {"bio": "Skates on weekends"}});
    let first = api.keyed("PUT", "/user", Some(change.clone()), Some(&token), "bio-1").await;
    assert_eq!((first.status, first.header(REPLAYED)), (200, None), "{:?}", first.body);
    let later = api.put("/user", json!({"user": {"bio": "Skates every day"}}), Some(&token)).await;
    assert_eq!(later.status, 200, "{:?}", later.body);

    // When the keyed change is retried
    let retry = api.keyed("PUT", "/user", Some(change), Some(&token), "bio-1").await;

    // Then it gets the first answer, and the later bio stands: the change was not made twice
    assert_eq!((retry.status, retry.header(REPLAYED)), (200, Some("true")), "{:?}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.body["user"]["bio"], "Skates on weekends");
    assert_eq!(api.get("/user", Some(&token)).await.body["user"]["bio"], "Skates every day");
}

#[tokio::test]
async fn a_keyed_password_change_retried_is_refused_for_the_token_it_revoked_and_the_new_password_signs_in() {
    // Given olga, who changes her password with a key
    let api = TestApi::start().await;
    let old_token = api.register("olga").await;
    let change = json!({"user": {"password": "a brand new password", "currentPassword": "password-olga"}});
    let first = api.keyed("PUT", "/user", Some(change.clone()), Some(&old_token), "password-1").await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let fresh = token_of(&first);

    // When the change is retried with the token it was made with
    let retry = api.keyed("PUT", "/user", Some(change), Some(&old_token), "password-1").await;

    // Then the retry is refused for that token and never given the stored answer with the fresh
    // one; the change was made once (the fresh token still works) and the new password signs in
    assert_eq!((retry.status, retry.header(REPLAYED)), (401, None), "{:?}", retry.body);
    assert_eq!(errors(&retry, "token"), ["is revoked"]);
    assert!(retry.body.get("user").is_none(), "{:?}", retry.body);
    assert_eq!(api.get("/user", Some(&fresh)).await.status, 200);
    let signed_in = api.post("/users/login", login("olga@example.com", "a brand new password"), None).await;
    assert_eq!(signed_in.status, 200, "{:?}", signed_in.body);
}

#[tokio::test]
async fn a_keyed_sign_out_everywhere_retried_is_refused_for_the_token_it_revoked() {
    // Given pia, who signs out everywhere with a key, then signs in again
    let api = TestApi::start().await;
    let token = api.register("pia").await;
    let first = api.keyed("DELETE", "/user/sessions", None, Some(&token), "sign-out-1").await;
    assert_eq!(first.status, 204, "{:?}", first.body);
    let signed_in = api.post("/users/login", login("pia@example.com", "password-pia"), None).await;
    let new_token = token_of(&signed_in);

    // When the sign-out is retried with the token it revoked
    let retry = api.keyed("DELETE", "/user/sessions", None, Some(&token), "sign-out-1").await;

    // Then the retry is refused for that token, and it revoked nothing more: the session begun
    // after the sign-out still works
    assert_eq!((retry.status, retry.header(REPLAYED)), (401, None), "{:?}", retry.body);
    assert_eq!(errors(&retry, "token"), ["is revoked"]);
    assert_eq!(api.get("/user", Some(&new_token)).await.status, 200);
}

#[tokio::test]
async fn a_keyed_reset_request_retried_sends_one_mail_and_the_retry_gets_the_first_answer() {
    // Given rita, who asks for a reset link with a key
    let api = TestApi::start().await;
    api.register("rita").await;
    let first =
        api.keyed("POST", "/users/password-reset", Some(reset_request("rita@example.com")), None, "reset-1").await;
    assert_eq!((first.status, first.body.clone(), first.header(REPLAYED)), (202, json!({}), None));

    // When the request is retried with the same key
    let retry =
        api.keyed("POST", "/users/password-reset", Some(reset_request("rita@example.com")), None, "reset-1").await;

    // Then the retry gets the first answer and no second mail goes out
    assert_eq!((retry.status, &retry.body, retry.header(REPLAYED)), (202, &json!({}), Some("true")));
    assert_eq!(api.reset_mails().await.len(), 1);
}

#[tokio::test]
async fn a_keyed_reset_request_for_an_unknown_address_is_replayed_like_one_for_a_known_address() {
    // Given a keyed reset request for an address without an account
    let api = TestApi::start().await;
    let body = reset_request("nobody@example.com");
    let first = api.keyed("POST", "/users/password-reset", Some(body.clone()), None, "reset-2").await;
    assert_eq!((first.status, first.body.clone()), (202, json!({})));

    // When it is retried
    let retry = api.keyed("POST", "/users/password-reset", Some(body), None, "reset-2").await;

    // Then the retry is answered exactly as a retry for a known address is: the replay tells no
    // more than the first answer did
    assert_eq!((retry.status, &retry.body, retry.header(REPLAYED)), (202, &json!({}), Some("true")));
    assert!(api.reset_mails().await.is_empty());
}

#[tokio::test]
async fn a_keyed_reset_confirmation_retried_gets_the_first_answer_instead_of_a_used_link() {
    // Given sara, who sets a new password through her link with a key
    let api = TestApi::start().await;
    api.register("sara").await;
    api.post("/users/password-reset", reset_request("sara@example.com"), None).await;
    let link = api.mailed_reset_token().await;
    let body = confirmation(&link, "a brand new password");
    let first = api.keyed("POST", "/users/password-reset/confirm", Some(body.clone()), None, "confirm-1").await;
    assert_eq!((first.status, first.header(REPLAYED)), (200, None), "{:?}", first.body);

    // When the confirmation is retried with the same key
    let retry = api.keyed("POST", "/users/password-reset/confirm", Some(body), None, "confirm-1").await;

    // Then the retry gets the first answer, with the same fresh token, which works, rather than
    // "the link is used"
    assert_eq!((retry.status, retry.header(REPLAYED)), (200, Some("true")), "{:?}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(api.get("/user", Some(&token_of(&retry))).await.status, 200);
}

#[tokio::test]
async fn a_keyed_sign_up_or_reset_request_refused_by_the_sources_allowance_is_judged_afresh_on_retry() {
    // Given a source allowed one sign-up and one reset request an hour, which it has used
    let one = conduit_domain::throttling::WindowQuota { max: 1, window: std::time::Duration::from_secs(3600) };
    let limits = conduit_bootstrap::AbuseLimits {
        registrations_per_source: one,
        reset_requests_per_source: one,
        ..conduit_api_tests::many_accounts_limits()
    };
    let api = TestApi::start_with_abuse_limits(limits).await;
    api.register("allowance").await;
    let reset = json!({"user": {"email": "allowance@example.com"}});
    assert_eq!(api.post("/users/password-reset", reset.clone(), None).await.status, 202);

    for (path, body) in [("/users", registration("allowance2")), ("/users/password-reset", reset)] {
        // When a keyed request is refused by the allowance, and retried under the same key
        let first = api.keyed("POST", path, Some(body.clone()), None, "not-now").await;
        let retry = api.keyed("POST", path, Some(body), None, "not-now").await;

        // Then the retry ran again (and is refused again), not replayed: a 429 says "not now"
        assert_eq!(first.status, 429, "{path}: {:?}", first.body);
        assert_eq!((retry.status, retry.header(REPLAYED)), (429, None), "{path}");
    }
}
