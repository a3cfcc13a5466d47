//! Accounts through the local gateway: register, login, current user, update, and how each of
//! them fails.

use std::time::Duration;

use conduit_api_tests::{TestApi, errors, registration};
use conduit_domain::values::UserId;
use serde_json::json;

#[tokio::test]
async fn registering_answers_201_with_every_user_field_and_a_working_token() {
    let api = TestApi::start().await;

    let reply = api.post("/users", registration("jake"), None).await;

    assert_eq!(reply.status, 201);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let user = &reply.body["user"];
    assert_eq!(user["username"], "jake");
    assert_eq!(user["email"], "jake@example.com");
    assert!(user["bio"].is_null() && user.as_object().expect("object").contains_key("bio"));
    assert!(user["image"].is_null() && user.as_object().expect("object").contains_key("image"));
    assert!(user.get("password").is_none());
    let token = user["token"].as_str().expect("token");
    assert_eq!(api.get("/user", Some(token)).await.status, 200);
}

#[tokio::test]
async fn a_taken_email_or_username_is_422_whatever_its_case() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let same_email = api
        .post(
            "/users",
            json!({"user": {"username": "other", "email": "JAKE@example.com", "password": "password-1"}}),
            None,
        )
        .await;
    let same_username = api
        .post(
            "/users",
            json!({"user": {"username": "Jake", "email": "other@example.com", "password": "password-1"}}),
            None,
        )
        .await;

    assert_eq!((same_email.status, errors(&same_email, "email")), (422, vec!["has already been taken"]));
    assert_eq!((same_username.status, errors(&same_username, "username")), (422, vec!["has already been taken"]));
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_have_exactly_one_winner() {
    let api = TestApi::start().await;

    let attempts = (0..8).map(|n| {
        let body =
            json!({"user": {"username": format!("racer{n}"), "email": "race@example.com", "password": "password-1"}});
        api.post("/users", body, None)
    });
    let replies = futures::future::join_all(attempts).await;

    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|status| *status == 201 || *status == 422), "{statuses:?}");
}

#[tokio::test]
async fn registration_reports_every_invalid_field_at_once() {
    let api = TestApi::start().await;

    let reply = api.post("/users", json!({"user": {"email": "not-an-email", "password": "short"}}), None).await;

    assert_eq!(reply.status, 422);
    assert_eq!(errors(&reply, "email"), ["is invalid"]);
    assert_eq!(errors(&reply, "password"), ["is too short (minimum is 8 characters)"]);
    assert_eq!(errors(&reply, "username"), ["can't be blank"]);
}

#[tokio::test]
async fn malformed_bodies_get_clear_errors_never_500() {
    let api = TestApi::start().await;
    let json_header = [("content-type", "application/json")];

    let truncated = api.raw("POST", "/users", &json_header, "{\"user\":").await;
    let wrong_type = api.raw("POST", "/users", &json_header, r#"{"user":{"email":42}}"#).await;
    let no_envelope = api.raw("POST", "/users", &json_header, r#"{"username":"jake"}"#).await;
    let empty = api.raw("POST", "/users", &json_header, "").await;
    let form = api.raw("POST", "/users", &[("content-type", "application/x-www-form-urlencoded")], "user=jake").await;
    let huge =
        api.raw("POST", "/users", &json_header, format!("{{\"user\":{{\"bio\":\"{}\"}}}}", "x".repeat(70_000))).await;

    assert_eq!(truncated.status, 422);
    assert!(errors(&truncated, "body")[0].starts_with("is not valid JSON"));
    assert_eq!((wrong_type.status, errors(&wrong_type, "body").len()), (422, 1));
    assert_eq!((no_envelope.status, errors(&no_envelope, "user")), (422, vec!["can't be blank"]));
    assert_eq!((empty.status, errors(&empty, "user")), (422, vec!["can't be blank"]));
    assert_eq!((form.status, errors(&form, "body").len()), (415, 1));
    assert_eq!((huge.status, errors(&huge, "body").len()), (413, 1));
}

#[tokio::test]
async fn login_accepts_the_right_password_in_any_email_case() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let reply = api
        .post("/users/login", json!({"user": {"email": "Jake@Example.com", "password": "password-jake"}}), None)
        .await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["user"]["username"], "jake");
    let token = reply.body["user"]["token"].as_str().expect("token");
    assert_eq!(api.get("/user", Some(token)).await.body["user"]["username"], "jake");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_are_the_same_401() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let wrong_password =
        api.post("/users/login", json!({"user": {"email": "jake@example.com", "password": "not-the-one"}}), None).await;
    let unknown_email = api
        .post("/users/login", json!({"user": {"email": "nobody@example.com", "password": "password-jake"}}), None)
        .await;
    let missing_fields = api.post("/users/login", json!({"user": {}}), None).await;

    assert_eq!((wrong_password.status, &wrong_password.body), (401, &json!({"errors": {"credentials": ["invalid"]}})));
    assert_eq!((unknown_email.status, &unknown_email.body), (401, &json!({"errors": {"credentials": ["invalid"]}})));
    assert_eq!(missing_fields.status, 422);
    assert_eq!(errors(&missing_fields, "email"), ["can't be blank"]);
    assert_eq!(errors(&missing_fields, "password"), ["can't be blank"]);
}

#[tokio::test]
async fn the_current_user_is_returned_with_the_token_presented_under_either_scheme() {
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    let with_token_scheme = api.get("/user", Some(&token)).await;
    let with_bearer_scheme =
        api.raw("GET", "/user", &[("authorization", &format!("Bearer {token}"))], Vec::<u8>::new()).await;

    assert_eq!(with_token_scheme.status, 200);
    assert_eq!(with_token_scheme.body["user"]["token"], token.as_str());
    assert_eq!(with_token_scheme.body["user"]["email"], "jake@example.com");
    assert_eq!(with_bearer_scheme.status, 200);
}

#[tokio::test]
async fn a_protected_route_without_a_token_is_refused_by_the_gateway_with_401() {
    let api = TestApi::start().await;

    let get = api.get("/user", None).await;
    let put = api.put("/user", json!({"user": {"bio": "x"}}), None).await;

    // API Gateway answers a missing identity source itself, before any function runs.
    assert_eq!((get.status, &get.body), (401, &json!({"message": "Unauthorized"})));
    assert_eq!(put.status, 401);
}

#[tokio::test]
async fn invalid_foreign_and_expired_tokens_are_401_in_the_errors_shape() {
    let api = TestApi::start().await;
    let expired = api.jwt_with_lifetime(Duration::ZERO).issue_for(UserId::generate()).await.expect("issued");
    let other_api = TestApi::start().await;
    let foreign = other_api.register("stranger").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let garbage = api.get("/user", Some("garbage")).await;
    let wrong_scheme = api.raw("GET", "/user", &[("authorization", "Basic amFrZTpqYWtl")], Vec::<u8>::new()).await;
    let signed_elsewhere = api.get("/user", Some(&foreign)).await;
    let too_old = api.get("/user", Some(&expired)).await;

    assert_eq!((garbage.status, errors(&garbage, "token")), (401, vec!["is invalid"]));
    assert_eq!((wrong_scheme.status, errors(&wrong_scheme, "token")), (401, vec!["is invalid"]));
    assert_eq!((signed_elsewhere.status, errors(&signed_elsewhere, "token")), (401, vec!["is invalid"]));
    assert_eq!((too_old.status, errors(&too_old, "token")), (401, vec!["is expired"]));
}

#[tokio::test]
async fn updating_changes_only_the_fields_sent() {
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    let reply = api
        .put(
            "/user",
            json!({"user": {"bio": "I like to skateboard", "image": "https://example.com/jake.png"}}),
            Some(&token),
        )
        .await;
    let cleared = api.put("/user", json!({"user": {"image": null}}), Some(&token)).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["user"]["bio"], "I like to skateboard");
    assert_eq!(reply.body["user"]["image"], "https://example.com/jake.png");
    assert_eq!(reply.body["user"]["email"], "jake@example.com");
    assert_eq!(cleared.body["user"]["bio"], "I like to skateboard");
    assert!(cleared.body["user"]["image"].is_null());
    assert_eq!(api.get("/user", Some(&token)).await.body, cleared.body);
}

#[tokio::test]
async fn a_new_email_and_password_replace_the_old_ones_for_login() {
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    let reply = api
        .put("/user", json!({"user": {"email": "jacob@example.com", "password": "a-new-password"}}), Some(&token))
        .await;
    let login = |email: &str, password: &str| {
        api.post("/users/login", json!({"user": {"email": email, "password": password}}), None)
    };

    assert_eq!(reply.status, 200);
    assert_eq!(login("jacob@example.com", "a-new-password").await.status, 200);
    assert_eq!(login("jacob@example.com", "password-jake").await.status, 401);
    assert_eq!(login("jake@example.com", "a-new-password").await.status, 401);
    // The old address is free for someone else.
    let reuse = json!({"user": {"username": "newcomer", "email": "jake@example.com", "password": "password-1"}});
    assert_eq!(api.post("/users", reuse, None).await.status, 201);
}

#[tokio::test]
async fn keeping_ones_own_values_is_fine_but_taking_anothers_is_422() {
    let api = TestApi::start().await;
    let token = api.register("jake").await;
    api.register("anne").await;

    let own = api.put("/user", json!({"user": {"email": "jake@example.com", "username": "jake"}}), Some(&token)).await;
    let taken = api.put("/user", json!({"user": {"username": "ANNE"}}), Some(&token)).await;

    assert_eq!(own.status, 200);
    assert_eq!((taken.status, errors(&taken, "username")), (422, vec!["has already been taken"]));
    assert_eq!(api.get("/user", Some(&token)).await.body["user"]["username"], "jake");
}

#[tokio::test]
async fn invalid_updates_are_422_and_change_nothing() {
    let api = TestApi::start().await;
    let token = api.register("jake").await;

    let reply = api
        .put(
            "/user",
            json!({"user": {"email": null, "username": "no spaces", "image": "javascript:alert(1)", "bio": "kept?"}}),
            Some(&token),
        )
        .await;

    assert_eq!(reply.status, 422);
    assert_eq!(errors(&reply, "email"), ["can't be blank"]);
    assert_eq!(errors(&reply, "username").len(), 1);
    assert_eq!(errors(&reply, "image"), ["must be an http or https URL"]);
    assert!(api.get("/user", Some(&token)).await.body["user"]["bio"].is_null());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_in_the_errors_shape() {
    let api = TestApi::start().await;

    let unknown_path = api.get("/nothing/here", None).await;
    let unknown_method = api.call("DELETE", "/user", None, None).await;

    assert_eq!((unknown_path.status, errors(&unknown_path, "route")), (404, vec!["not found"]));
    assert_eq!((unknown_method.status, errors(&unknown_method, "route")), (404, vec!["not found"]));
}

#[tokio::test]
async fn browsers_get_cors_preflights_and_headers() {
    let api = TestApi::start().await;

    let preflight = api
        .raw(
            "OPTIONS",
            "/user",
            &[("origin", "https://app.example.com"), ("access-control-request-method", "PUT")],
            Vec::<u8>::new(),
        )
        .await;
    let actual = api.raw("GET", "/user", &[("origin", "https://app.example.com")], Vec::<u8>::new()).await;

    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(preflight.header("access-control-allow-headers").expect("headers").contains("authorization"));
    assert!(preflight.header("access-control-allow-methods").expect("methods").contains("PUT"));
    assert_eq!(actual.header("access-control-allow-origin"), Some("*"));
}
