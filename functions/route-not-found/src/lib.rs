//! API Gateway's `$default` route: any method and path that matches no route gets a 404 in the
//! API's error shape instead of API Gateway's own `{"message":"Not Found"}`.

use conduit_http::{ApiError, Body, Endpoint, Request, Response};

pub struct RouteNotFoundEndpoint;

impl Endpoint for RouteNotFoundEndpoint {
    async fn handle(&self, _request: Request) -> Result<Response<Body>, ApiError> {
        Err(ApiError::NotFound("route"))
    }
}
