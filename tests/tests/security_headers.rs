//! The headers every answer of a function carries, checked on every route of the route table and
//! on the `$default` route: `Strict-Transport-Security` always, `Cache-Control: no-store` on the
//! answers that carry a token or an account and on every answer to a request that sent a token.
//! Requests need not succeed: a refusal is the function's answer too.

use conduit_api_tests::{Routed, TestApi};
use conduit_http::routes::{Auth, FALLBACK_FUNCTION, ROUTES, Route};

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// The functions whose answer is the User envelope (a token and the account): no cache may keep
/// it, whoever asks.
const ACCOUNT_FUNCTIONS: [&str; 5] =
    ["register-user", "login-user", "get-current-user", "update-current-user", "confirm-password-reset"];

/// The route's path with its parameters filled in (an article or comment that does not exist is
/// fine: the function's 404 must carry the headers too).
fn concrete_path(route: &Route) -> String {
    route.path.replace("{username}", "jake").replace("{slug}", "no-such-article").replace("{id}", "1")
}

/// Sends `method path` through the gateway with `token` as `Authorization` when given, and an
/// empty JSON object as the body of a `POST` or `PUT` (the function answers 422 where it needs
/// fields).
async fn send(api: &TestApi, method: &str, path: &str, token: Option<&str>) -> Routed {
    let authorization = token.map(|token| format!("Token {token}"));
    let mut headers = vec![("host", "127.0.0.1")];
    if let Some(authorization) = &authorization {
        headers.push(("authorization", authorization));
    }
    let body = if matches!(method, "POST" | "PUT") {
        headers.push(("content-type", "application/json"));
        b"{}".to_vec()
    } else {
        Vec::new()
    };
    // Boxed: the gateway's future nests every layer of the function below it, one level short of
    // the compiler's layout depth limit already.
    Box::pin(api.route_with_body(method, path.strip_prefix("/api").expect("an /api path"), &headers, body)).await
}

fn assert_answered_by_function_with_hsts(routed: &Routed, function: &str, what: &str) {
    assert_eq!(routed.function.as_deref(), Some(function), "{what}: {:?}", routed.reply);
    assert_eq!(routed.reply.header("strict-transport-security"), Some(HSTS), "{what}: {:?}", routed.reply.headers);
    assert_eq!(routed.reply.header("x-content-type-options"), Some("nosniff"), "{what}");
}

#[tokio::test]
async fn every_route_answers_with_hsts_and_no_store_where_the_answer_is_private() {
    // Given jake, signed in, and leaver, who will sign out everywhere
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let leaver = api.register("leaver").await;

    for route in ROUTES {
        let path = concrete_path(route);
        let token = if route.function == "revoke-sessions" { &leaver } else { &jake };

        // When the route is called with a token (API Gateway answers a protected route without one
        // itself, with no header of ours)
        let with_token = send(&api, route.method, &path, Some(token)).await;

        // Then its function answers with HSTS, and no cache may keep the answer
        let what = format!("{} with a token: {}", route.key(), with_token.reply.status);
        assert_answered_by_function_with_hsts(&with_token, route.function, &what);
        assert_eq!(with_token.reply.header("cache-control"), Some("no-store"), "{what}");

        if route.auth != Auth::Required {
            // When it is called without a token
            let anonymous = send(&api, route.method, &path, None).await;

            // Then the answer carries HSTS too, and no-store only where it is an account's
            let what = format!("{} without a token: {}", route.key(), anonymous.reply.status);
            assert_answered_by_function_with_hsts(&anonymous, route.function, &what);
            let private = ACCOUNT_FUNCTIONS.contains(&route.function);
            let cache_control = anonymous.reply.header("cache-control");
            assert_eq!(cache_control, private.then_some("no-store"), "{what}");
        }
    }
}

#[tokio::test]
async fn the_default_route_answers_unknown_routes_and_preflights_with_hsts() {
    // Given the API
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    // When a path no route matches is called, with and without a token, and a browser sends a preflight
    let unknown = send(&api, "GET", "/api/nothing", None).await;
    let unknown_with_token = send(&api, "GET", "/api/nothing", Some(&jake)).await;
    let preflight_headers =
        [("origin", "https://app.example.com"), ("access-control-request-method", "PUT"), ("host", "127.0.0.1")];
    let preflight = api.route("OPTIONS", "/user", &preflight_headers).await;

    // Then route-not-found answers each with HSTS; no-store where a token was sent
    for (what, routed) in
        [("unknown", &unknown), ("unknown with a token", &unknown_with_token), ("preflight", &preflight)]
    {
        assert_answered_by_function_with_hsts(routed, FALLBACK_FUNCTION, what);
    }
    assert_eq!((unknown.reply.status, preflight.reply.status), (404, 204));
    assert_eq!(unknown.reply.header("cache-control"), None);
    assert_eq!(unknown_with_token.reply.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn api_gateways_own_answer_to_a_protected_route_without_a_token_has_none_of_our_headers() {
    // Given the API (the local gateway answers as API Gateway does)
    let api = TestApi::start().await;

    // When a protected route is called without an Authorization header
    let routed = send(&api, "GET", "/api/user", None).await;

    // Then the gateway answers by itself, and an HTTP API cannot add headers to its own answers
    assert_eq!((routed.reply.status, routed.function.as_deref()), (401, None));
    assert_eq!(routed.reply.header("strict-transport-security"), None);
}
