//! `GET /api/docs`: a page that renders the OpenAPI document (Redoc, loaded by the browser).

use conduit_http::{ApiError, Body, Endpoint, Request, Response, response};

/// The document is fetched relative to this page, so a stage prefix in the URL keeps working.
const PAGE: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Conduit API</title>
  </head>
  <body>
    <redoc spec-url="openapi.json"></redoc>
    <script src="https://cdn.redoc.ly/redoc/v2.1.5/bundles/redoc.standalone.js"></script>
  </body>
</html>
"#;

pub struct GetDocsEndpoint;

impl Endpoint for GetDocsEndpoint {
    async fn handle(&self, _request: Request) -> Result<Response<Body>, ApiError> {
        Ok(response::html(PAGE))
    }
}
