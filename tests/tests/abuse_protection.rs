//! Abuse protection through the local gateway, with limits small enough to reach: an address's
//! failed logins throttled with a growing delay, one source's failed logins, sign-ups and reset
//! requests throttled whatever the accounts, and the step-up that a new e-mail or password needs.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use conduit_api_tests::{Reply, TestApi, errors};
use conduit_bootstrap::AbuseLimits;
use conduit_domain::throttling::{LoginBackoff, WindowQuota};
use serde_json::{Value, json};

fn login(email: &str, password: &str) -> Value {
    json!({"user": {"email": email, "password": password}})
}

/// Three free attempts per address, then waits of 1 s doubling up to 4 s.
fn small_backoff() -> AbuseLimits {
    AbuseLimits {
        login_backoff: LoginBackoff {
            free_attempts: 3,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
        },
        ..AbuseLimits::default()
    }
}

fn quota(max: u32) -> WindowQuota {
    WindowQuota { max, window: Duration::from_secs(3600) }
}

/// A 429 of the given field, with its `Retry-After` (whole seconds).
fn throttled(reply: &Reply, field: &str) -> u64 {
    assert_eq!(reply.status, 429, "{:?}", reply.body);
    assert!(!errors(reply, field).is_empty(), "{:?}", reply.body);
    reply.header("retry-after").and_then(|seconds| seconds.parse().ok()).expect("a Retry-After in seconds")
}

#[tokio::test]
async fn past_the_free_attempts_an_address_waits_a_growing_delay_even_with_the_right_password() {
    // Given jake, and three wrong passwords tried on his address
    let api = TestApi::start_with_abuse_limits(small_backoff()).await;
    api.register("jake").await;
    api.register("anne").await;
    for _ in 0..3 {
        assert_eq!(api.post("/users/login", login("jake@example.com", "wrong-password"), None).await.status, 401);
    }

    // When the right password comes at once
    let right_at_once = api.post("/users/login", login("jake@example.com", "password-jake"), None).await;
    // and another account logs in meanwhile
    let anne = api.post("/users/login", login("anne@example.com", "password-anne"), None).await;

    // Then jake's is refused unchecked, told to wait the first delay; anne is not affected
    assert_eq!(throttled(&right_at_once, "credentials"), 1);
    assert_eq!(
        errors(&right_at_once, "credentials"),
        ["have failed too many times: try again in 1 s"],
        "the answer names no account"
    );
    assert_eq!(anne.status, 200);

    // When a wrong one comes after the delay, then one more at once
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after_the_delay = api.post("/users/login", login("jake@example.com", "wrong-password"), None).await;
    let again = api.post("/users/login", login("jake@example.com", "wrong-password"), None).await;

    // Then the first is checked (401) and the wait has doubled
    assert_eq!(after_the_delay.status, 401);
    assert_eq!(throttled(&again, "credentials"), 2);

    // And after that wait the right password logs in, which forgets the failures
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(api.post("/users/login", login("jake@example.com", "password-jake"), None).await.status, 200);
    for _ in 0..3 {
        assert_eq!(api.post("/users/login", login("jake@example.com", "wrong-password"), None).await.status, 401);
    }
}

#[tokio::test]
async fn an_address_without_an_account_is_throttled_exactly_like_one_with_an_account() {
    let api = TestApi::start_with_abuse_limits(small_backoff()).await;
    api.register("jake").await;

    let mut answers = Vec::new();
    for email in ["jake@example.com", "nobody@example.com"] {
        let statuses: Vec<u16> = {
            let mut statuses = Vec::new();
            for _ in 0..4 {
                statuses.push(api.post("/users/login", login(email, "wrong-password"), None).await.status);
            }
            statuses
        };
        answers.push(statuses);
    }

    assert_eq!(answers[0], [401, 401, 401, 429]);
    assert_eq!(answers[0], answers[1]);
}

#[tokio::test]
async fn a_completed_password_reset_lifts_the_throttle_at_once() {
    // Given jake's address throttled
    let api = TestApi::start_with_abuse_limits(small_backoff()).await;
    api.register("jake").await;
    for _ in 0..4 {
        api.post("/users/login", login("jake@example.com", "wrong-password"), None).await;
    }

    // When he resets his password through the mailed link
    api.post("/users/password-reset", json!({"user": {"email": "jake@example.com"}}), None).await;
    let token = api.mailed_reset_token().await;
    let confirm = json!({"user": {"token": token, "password": "jake-after-the-reset"}});
    assert_eq!(api.post("/users/password-reset/confirm", confirm, None).await.status, 200);

    // Then he can log in with it at once
    let reply = api.post("/users/login", login("jake@example.com", "jake-after-the-reset"), None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[tokio::test]
async fn of_sixteen_concurrent_wrong_attempts_on_one_account_only_the_free_ones_are_checked() {
    // Given the default limits: five free attempts per address
    let api = TestApi::start().await;
    api.register("jake").await;

    // When sixteen wrong passwords arrive at once
    let attempts = (0..16).map(|n| api.post("/users/login", login("jake@example.com", &format!("guess-{n}")), None));
    let replies = futures::future::join_all(attempts).await;

    // Then five were checked (401) and the rest refused unchecked (429)
    let checked = replies.iter().filter(|reply| reply.status == 401).count();
    let refused = replies.iter().filter(|reply| reply.status == 429).count();
    assert_eq!((checked, refused), (5, 11), "{:?}", replies.iter().map(|reply| reply.status).collect::<Vec<_>>());
}

#[tokio::test]
async fn one_source_guessing_across_many_accounts_is_throttled_but_its_successes_do_not_count() {
    // Given a source allowed four failed logins, whatever the accounts
    let limits = AbuseLimits { failed_logins_per_source: quota(4), ..AbuseLimits::default() };
    let api = TestApi::start_with_abuse_limits(limits).await;
    api.register("jake").await;

    // When it logs in successfully many times, then guesses one password on each of five
    // addresses, each request claiming another origin in X-Forwarded-For
    for _ in 0..6 {
        assert_eq!(api.post("/users/login", login("jake@example.com", "password-jake"), None).await.status, 200);
    }
    let mut statuses = Vec::new();
    for n in 0..5 {
        let forwarded = format!("198.51.100.{n}");
        let body = login(&format!("user{n}@example.com"), "password-123456").to_string();
        let headers = [("content-type", "application/json"), ("x-forwarded-for", forwarded.as_str())];
        let reply = api.raw("POST", "/users/login", &headers, body).await;
        statuses.push((reply.status, reply.header("retry-after").map(str::to_owned)));
    }
    let right_password_now = api.post("/users/login", login("jake@example.com", "password-jake"), None).await;
    let from_elsewhere = api
        .post_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), "/users/login", login("jake@example.com", "password-jake"))
        .await;

    // Then the fifth guess is refused for the source (the header changes nothing), the source's
    // own logins too while it lasts, and another source is not affected
    assert_eq!(statuses.iter().map(|(status, _)| *status).collect::<Vec<_>>(), [401, 401, 401, 401, 429]);
    let wait: u64 = statuses[4].1.as_deref().and_then(|seconds| seconds.parse().ok()).expect("Retry-After");
    assert!((1..=3600).contains(&wait), "{wait}");
    assert!(throttled(&right_password_now, "requests") >= 1);
    assert_eq!(from_elsewhere.status, 200, "{:?}", from_elsewhere.body);
}

#[tokio::test]
async fn one_source_signing_up_or_asking_for_resets_past_its_allowance_is_throttled() {
    let limits = AbuseLimits {
        registrations_per_source: quota(2),
        reset_requests_per_source: quota(2),
        ..AbuseLimits::default()
    };
    let api = TestApi::start_with_abuse_limits(limits).await;

    api.register("anne").await;
    api.register("bert").await;
    let third = api.post("/users", conduit_api_tests::registration("carl"), None).await;
    let elsewhere =
        api.post_from(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)), "/users", conduit_api_tests::registration("dora")).await;
    let mut resets = Vec::new();
    for email in ["anne@example.com", "nobody@example.com", "bert@example.com"] {
        resets.push(api.post("/users/password-reset", json!({"user": {"email": email}}), None).await);
    }

    assert!(throttled(&third, "requests") > 0);
    assert_eq!(elsewhere.status, 201);
    assert_eq!(resets.iter().map(|reply| reply.status).collect::<Vec<_>>(), [202, 202, 429]);
    assert!(throttled(&resets[2], "requests") > 0);
}

#[tokio::test]
async fn a_new_email_or_password_needs_the_current_password_and_a_wrong_one_counts_as_a_failed_login() {
    // Given jake signed in, with three free attempts on his address
    let api = TestApi::start_with_abuse_limits(small_backoff()).await;
    let token = api.register("jake").await;

    // When his token alone asks for a new e-mail, then with a wrong current password, then the
    // same e-mail sent back without one (the official collection does that)
    let without = api.put("/user", json!({"user": {"email": "thief@evil.example"}}), Some(&token)).await;
    let wrong = json!({"user": {"password": "taken-over-now", "currentPassword": "not-his-password"}});
    let wrong = api.put("/user", wrong, Some(&token)).await;
    let same_email = api.put("/user", json!({"user": {"email": "JAKE@example.com", "bio": "hi"}}), Some(&token)).await;

    // Then both changes are refused in the errors shape, the same e-mail needs nothing
    assert_eq!(
        (without.status, errors(&without, "currentPassword")),
        (422, vec!["is required to change the e-mail or password"])
    );
    assert_eq!((wrong.status, errors(&wrong, "currentPassword")), (422, vec!["is incorrect"]));
    assert_eq!(same_email.status, 200, "{:?}", same_email.body);

    // And the wrong current password counted: two more failed logins reach the limit
    for _ in 0..2 {
        assert_eq!(api.post("/users/login", login("jake@example.com", "wrong-password"), None).await.status, 401);
    }
    let throttled_change = json!({"user": {"email": "jake@new.example", "currentPassword": "password-jake"}});
    let throttled_change = api.put("/user", throttled_change, Some(&token)).await;
    assert!(throttled(&throttled_change, "credentials") >= 1);
}
