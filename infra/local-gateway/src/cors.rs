//! API Gateway's CORS handling for an HTTP API with a `CorsConfiguration` (the values are
//! `api_settings` in shared/http/src/routes.rs), as "Configure CORS for HTTP APIs in API Gateway"
//! documents it (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
//!
//! - CORS headers returned by the integration (our function) are ignored;
//! - to a CORS request, one with an `Origin` header (for `OPTIONS`: with `Origin` and
//!   `Access-Control-Request-Method`), the configured CORS headers are added to the answer;
//! - API Gateway answers a preflight itself only when no route matches it; with a `$default`
//!   route, the preflight goes to that route's function like any other request (see `gateway.rs`).
//!
//! Which configured header goes on which answer follows the CORS protocol (Fetch standard):
//! `Access-Control-Allow-Methods`, `-Allow-Headers` and `-Max-Age` belong to preflight answers,
//! `Access-Control-Expose-Headers` to the answers of actual requests (a browser reads it there),
//! `Access-Control-Allow-Origin` to both. The API configures no `AllowCredentials`, so that header
//! is never sent.

use conduit_http::routes::{api_settings, is_cors_preflight};

use crate::events::IncomingRequest;
use crate::gateway_response::GatewayResponse;

pub fn is_preflight(request: &IncomingRequest) -> bool {
    is_cors_preflight(&request.method, |name| request.header(name))
}

/// API Gateway's own answer to a preflight that no route matches (only possible in an API
/// without `$default`); [`apply`] adds the CORS headers.
pub fn gateway_preflight() -> GatewayResponse {
    GatewayResponse { status: 204, headers: Vec::new(), body: Vec::new(), route_key: None, function: None }
}

/// Replaces whatever CORS headers the answer carries by the configured ones for this request.
pub fn apply(request: &IncomingRequest, response: &mut GatewayResponse) {
    response.headers.retain(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-"));
    let Some(origin) = request.header("origin") else {
        return;
    };
    let preflight = is_preflight(request);
    if request.method.eq_ignore_ascii_case("OPTIONS") && !preflight {
        return;
    }
    let Some(allowed_origin) = allowed_origin(origin) else {
        return;
    };
    response.headers.push(("access-control-allow-origin".into(), allowed_origin));
    if preflight {
        response.headers.extend([
            ("access-control-allow-methods".into(), api_settings::CORS_ALLOW_METHODS.join(",")),
            ("access-control-allow-headers".into(), api_settings::CORS_ALLOW_HEADERS.join(",")),
            ("access-control-max-age".into(), api_settings::CORS_MAX_AGE_SECONDS.to_string()),
        ]);
    } else {
        response.headers.push(("access-control-expose-headers".into(), api_settings::CORS_EXPOSE_HEADERS.join(",")));
    }
}

/// `*` when any origin may call, the caller's own origin when it is listed, otherwise nothing.
fn allowed_origin(origin: &str) -> Option<String> {
    let allowed = api_settings::CORS_ALLOW_ORIGINS;
    if allowed.contains(&"*") { Some("*".to_owned()) } else { allowed.contains(&origin).then(|| origin.to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, headers: &[(&str, &str)]) -> IncomingRequest {
        crate::events::test_request(method, "/api/user", headers)
    }

    /// An answer from a function that sets CORS headers of its own.
    fn function_answer(status: u16) -> GatewayResponse {
        GatewayResponse {
            status,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("Access-Control-Allow-Origin".into(), "https://evil.example".into()),
                ("access-control-max-age".into(), "99999".into()),
            ],
            body: Vec::new(),
            route_key: Some("$default".into()),
            function: Some("route-not-found".into()),
        }
    }

    fn cors_headers(response: &GatewayResponse) -> Vec<(&str, &str)> {
        response
            .headers
            .iter()
            .filter(|(name, _)| name.to_ascii_lowercase().starts_with("access-control-"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    const BROWSER_PREFLIGHT: [(&str, &str); 3] = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "PUT"),
        ("access-control-request-headers", "authorization,content-type"),
    ];

    #[test]
    fn a_preflight_answer_gets_the_configured_headers_instead_of_the_functions() {
        let mut answer = function_answer(204);

        apply(&request("OPTIONS", &BROWSER_PREFLIGHT), &mut answer);

        assert_eq!(
            cors_headers(&answer),
            [
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "DELETE,GET,OPTIONS,POST,PUT"),
                ("access-control-allow-headers", "authorization,content-type,idempotency-key"),
                ("access-control-max-age", "600"),
            ]
        );
        assert!(answer.headers.contains(&("content-type".into(), "application/json".into())));
    }

    #[test]
    fn an_actual_cross_origin_request_gets_the_allowed_origin_and_the_exposed_headers() {
        let mut answer = function_answer(200);

        apply(&request("PUT", &[("origin", "https://app.example.com")]), &mut answer);

        assert_eq!(
            cors_headers(&answer),
            [
                ("access-control-allow-origin", "*"),
                ("access-control-expose-headers", "retry-after,idempotent-replayed")
            ]
        );
    }

    #[test]
    fn a_request_without_origin_or_an_options_request_that_is_no_preflight_gets_no_cors_headers() {
        for request in [request("GET", &[]), request("OPTIONS", &[("origin", "https://app.example.com")])] {
            let mut answer = function_answer(404);

            apply(&request, &mut answer);

            assert_eq!(cors_headers(&answer), [], "{}", request.method);
        }
    }
}
