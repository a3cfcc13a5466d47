//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the code at cold start.

use conduit_http::{ApiError, Body, Endpoint, Request, Response, openapi, response};

pub struct GetOpenApiEndpoint {
    document: String,
}

impl GetOpenApiEndpoint {
    pub fn new() -> Result<Self, serde_json::Error> {
        Ok(Self { document: serde_json::to_string(&openapi::document())? })
    }
}

impl Endpoint for GetOpenApiEndpoint {
    async fn handle(&self, _request: Request) -> Result<Response<Body>, ApiError> {
        Ok(response::json_text(&self.document))
    }
}
