//! API Gateway's `$default` route: any method and path that matches no route gets a 404 in the
//! API's error shape instead of API Gateway's own `{"message":"Not Found"}`.
//!
//! No route of the API has the `OPTIONS` method, so browsers' CORS preflights land here too:
//! API Gateway answers a preflight itself only when no route matches it, and `$default` matches
//! everything ("Configure CORS for HTTP APIs in API Gateway",
//! https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). A preflight
//! gets a 204 with no body; API Gateway adds the configured CORS headers to it.

use conduit_http::routes::is_cors_preflight;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, response};

pub struct RouteNotFoundEndpoint;

impl Endpoint for RouteNotFoundEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok());
        if is_cors_preflight(request.method().as_str(), header) {
            // No CORS headers of our own: API Gateway ignores them and adds its configured ones.
            return Ok(response::no_content());
        }
        Err(ApiError::NotFound("route"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = lambda_http::http::Request::builder().method(method).uri("/api/user");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::Empty).expect("request")
    }

    #[tokio::test]
    async fn a_browser_preflight_gets_204_with_no_body_and_no_cors_headers_of_its_own() {
        let preflight = request(
            "OPTIONS",
            &[
                ("origin", "https://app.example.com"),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "authorization,content-type"),
            ],
        );

        let answer = RouteNotFoundEndpoint.handle(preflight).await.expect("answered");

        assert_eq!(answer.status(), 204);
        assert!(matches!(answer.body(), Body::Empty));
        assert!(answer.headers().keys().all(|name| !name.as_str().starts_with("access-control-")));
    }

    #[tokio::test]
    async fn an_options_request_that_is_no_preflight_is_an_unknown_route() {
        let without_requested_method = request("OPTIONS", &[("origin", "https://app.example.com")]);
        let without_origin = request("OPTIONS", &[("access-control-request-method", "PUT")]);

        for options in [without_requested_method, without_origin] {
            let refusal = RouteNotFoundEndpoint.handle(options).await.expect_err("not found");
            assert!(matches!(refusal, ApiError::NotFound("route")), "{refusal:?}");
        }
    }

    #[tokio::test]
    async fn any_other_unmatched_request_is_an_unknown_route() {
        let refusal = RouteNotFoundEndpoint.handle(request("GET", &[])).await.expect_err("not found");

        assert!(matches!(refusal, ApiError::NotFound("route")), "{refusal:?}");
    }
}
