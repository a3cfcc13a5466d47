//! `GET /api/docs`: a page that renders the OpenAPI document with Redoc.
//!
//! The browser loads Redoc from jsDelivr's copy of the npm package `redoc`, pinned to one version
//! and checked by Subresource Integrity: the hash is that of `bundles/redoc.standalone.js` in the
//! package's npm tarball (jsDelivr serves npm files byte for byte), so a changed file is refused,
//! not run. Serving the 1.1 MB bundle from this function instead would add a third to its 3 MB
//! binary (loaded at every cold start) and pass a megabyte through Lambda on every page view, for
//! a page only developers open.

use conduit_http::{ApiError, Body, Endpoint, Request, Response, response};
use lambda_http::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};

/// To upgrade: `npm pack redoc@<version>`, then
/// `openssl dgst -sha384 -binary package/bundles/redoc.standalone.js | openssl base64 -A`.
pub const REDOC_VERSION: &str = "2.5.4";
pub const REDOC_SCRIPT: &str = "https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js";
pub const REDOC_INTEGRITY: &str = "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5";

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
    <script src="https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js"
      integrity="sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5"
      crossorigin="anonymous"></script>
  </body>
</html>
"#;

/// Only the pinned Redoc runs; it may fetch the document from this API and nothing else. Redoc
/// styles itself with inline `<style>` elements (styled-components), runs its search index in a
/// worker built from a `blob:` URL, draws its icons as `data:` images and shows its maker's logo.
/// (Checked in headless Chromium: the page renders, search works, no violation is reported.)
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; \
script-src https://cdn.jsdelivr.net/npm/redoc@2.5.4/bundles/redoc.standalone.js; \
style-src 'unsafe-inline'; img-src 'self' data: https://cdn.redoc.ly/redoc/logo-mini.svg; connect-src 'self'; \
worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub struct GetDocsEndpoint;

impl Endpoint for GetDocsEndpoint {
    async fn handle(&self, _request: Request) -> Result<Response<Body>, ApiError> {
        let mut page = response::html(PAGE);
        page.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_the_pinned_redoc_only_if_its_bytes_match_the_hash() {
        assert!(REDOC_SCRIPT.contains(&format!("redoc@{REDOC_VERSION}/")));
        let tag = format!(
            "<script src=\"{REDOC_SCRIPT}\"\n      integrity=\"{REDOC_INTEGRITY}\"\n      crossorigin=\"anonymous\"></script>"
        );
        assert!(PAGE.contains(&tag), "{PAGE}");
        assert_eq!(PAGE.matches("<script").count(), 1, "no other script");
    }

    #[test]
    fn the_policy_lets_only_that_script_run() {
        let directives: Vec<&str> = CONTENT_SECURITY_POLICY_VALUE.split("; ").collect();

        assert!(directives.contains(&"default-src 'none'"));
        assert!(directives.contains(&format!("script-src {REDOC_SCRIPT}").as_str()), "{directives:?}");
        assert!(!CONTENT_SECURITY_POLICY_VALUE.contains("unsafe-eval"));
    }
}
