//! Accounts through the local gateway: register, login, current user, update, and how each of
//! them fails.

use std::time::Duration;

use conduit_api_tests::{Reply, TestApi, errors, registration};
use conduit_domain::values::{Session, UserId};
use conduit_http::routes::FALLBACK_FUNCTION;
use serde_json::{Value, json};

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
    assert_eq!(
        (wrong_type.status, errors(&wrong_type, "email")),
        (422, vec!["must be a string (at user.email, line 1, column 19)"])
    );
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

    let refused = json!({"errors": {"body": ["credentials are invalid"], "credentials": ["are invalid"]}});
    assert_eq!((wrong_password.status, &wrong_password.body), (401, &refused));
    assert_eq!((unknown_email.status, &unknown_email.body), (401, &refused));
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
    let expired =
        api.jwt_with_lifetime(Duration::ZERO).issue_for(Session::first(UserId::generate())).await.expect("issued");
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
        .put(
            "/user",
            json!({"user": {"email": "jacob@example.com", "password": "a-new-password", "currentPassword": "password-jake"}}),
            Some(&token),
        )
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

/// The preflight a browser on another origin sends before `PUT /api/user` with a token and a
/// JSON body.
const PUT_USER_PREFLIGHT: [(&str, &str); 3] = [
    ("origin", "https://app.example.com"),
    ("access-control-request-method", "PUT"),
    ("access-control-request-headers", "authorization,content-type"),
];

/// The headers of a preflight answer that let the browser go on with an authenticated JSON `PUT`.
fn assert_preflight_allows_authenticated_json_put(reply: &Reply) {
    let list = |name: &str| -> Vec<String> {
        reply.header(name).unwrap_or_default().split(',').map(|item| item.trim().to_ascii_lowercase()).collect()
    };
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"), "{:?}", reply.headers);
    assert!(list("access-control-allow-methods").contains(&"put".to_owned()), "{:?}", reply.headers);
    for header in ["authorization", "content-type"] {
        assert!(list("access-control-allow-headers").contains(&header.to_owned()), "{header}: {:?}", reply.headers);
    }
    assert_eq!(reply.header("access-control-max-age"), Some("600"));
}

// API Gateway answers a preflight itself only when no route matches it; our `$default` route
// matches every request no other route does, so preflights reach its function.
#[tokio::test]
async fn a_browsers_preflight_for_put_user_is_answered_by_the_default_route_function_with_cors_headers() {
    // Given the API, which has no OPTIONS route
    let api = TestApi::start().await;

    // When a browser sends the preflight of an authenticated JSON PUT /api/user
    let preflight = api.raw("OPTIONS", "/user", &PUT_USER_PREFLIGHT, Vec::<u8>::new()).await;
    let routed = api.route("OPTIONS", "/user", &PUT_USER_PREFLIGHT).await;

    // Then it gets a 204 with no body and the CORS headers the browser needs
    assert_eq!((preflight.status, &preflight.body), (204, &Value::Null));
    assert_preflight_allows_authenticated_json_put(&preflight);
    // ...and the answer came from the `$default` route's function
    assert_eq!((routed.route_key.as_deref(), routed.function.as_deref()), (Some("$default"), Some(FALLBACK_FUNCTION)));
    assert_eq!(routed.reply.status, 204);
}

#[tokio::test]
async fn a_preflight_for_a_path_no_route_matches_is_answered_alike() {
    // Given the API
    let api = TestApi::start().await;

    // When a browser sends a preflight for a path that matches no route at all
    let preflight = api.raw("OPTIONS", "/nothing", &PUT_USER_PREFLIGHT, Vec::<u8>::new()).await;
    let routed = api.route("OPTIONS", "/nothing", &PUT_USER_PREFLIGHT).await;

    // Then it gets the same 2xx as API Gateway with our `$default` function gives it: the
    // preflight cannot know the route; the actual request that follows gets the 404
    assert_eq!(preflight.status, 204);
    assert_preflight_allows_authenticated_json_put(&preflight);
    assert_eq!(routed.function.as_deref(), Some(FALLBACK_FUNCTION));
}

#[tokio::test]
async fn an_options_request_that_is_no_preflight_is_an_unknown_route() {
    // Given the API
    let api = TestApi::start().await;

    // When an OPTIONS request without Access-Control-Request-Method is sent, with an Origin
    let plain = api.raw("OPTIONS", "/user", &[("origin", "https://app.example.com")], Vec::<u8>::new()).await;
    let routed = api.route("OPTIONS", "/user", &[("origin", "https://app.example.com")]).await;

    // Then the `$default` function answers 404 in the errors shape, with no CORS headers (API
    // Gateway adds them to an OPTIONS answer only for a preflight)
    assert_eq!((plain.status, errors(&plain, "route")), (404, vec!["not found"]));
    assert!(plain.headers.keys().all(|name| !name.as_str().starts_with("access-control-")), "{:?}", plain.headers);
    assert_eq!(routed.function.as_deref(), Some(FALLBACK_FUNCTION));
}

#[tokio::test]
async fn a_cross_origin_request_gets_the_allowed_origin_and_no_preflight_headers() {
    // Given a user
    let api = TestApi::start().await;
    let token = format!("Token {}", api.register("jake").await);

    // When a browser on another origin sends the PUT it was allowed to send
    let actual = api
        .raw(
            "PUT",
            "/user",
            &[("origin", "https://app.example.com"), ("authorization", &token), ("content-type", "application/json")],
            json!({"user": {"bio": "from the browser"}}).to_string(),
        )
        .await;

    // Then the answer allows the origin to read it, Retry-After included
    assert_eq!(actual.status, 200, "{:?}", actual.body);
    assert_eq!(actual.header("access-control-allow-origin"), Some("*"));
    assert_eq!(actual.header("access-control-expose-headers"), Some("retry-after,idempotent-replayed"));
    assert_eq!(actual.header("access-control-allow-methods"), None);
    assert_eq!(actual.body["user"]["bio"], "from the browser");
}
