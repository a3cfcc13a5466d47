//! Reading what a client sent: the JSON body (size, media type, syntax) and path parameters.

use lambda_http::http::header;
use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// No Conduit request needs more: the largest is an article, whose body is capped by the domain.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parses the JSON body into `T`. An absent body reads as `{}`, so the missing fields are reported
/// by name rather than as a syntax error.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
        let essence = content_type.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim();
        let essence = essence.to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"{}",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"{}",
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES });
    }
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    serde_json::from_slice(bytes).map_err(|error| {
        // serde's message names the position and the expected type, which is what a client needs;
        // it never contains anything but the client's own input.
        ApiError::invalid_field("body", format!("is not valid JSON: {error}"))
    })
}

/// A path parameter the route template guarantees; its absence means the event was not routed by
/// API Gateway (a hand-made event), which is the client's mistake: 404.
pub fn path_parameter(request: &Request, name: &'static str) -> Result<String, ApiError> {
    request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first(name))
        .map(str::to_owned)
        .ok_or(ApiError::NotFound("route"))
}

/// A query-string parameter (the first, when repeated).
pub fn query_parameter(request: &Request, name: &str) -> Option<String> {
    request.query_string_parameters_ref().and_then(|parameters| parameters.first(name)).map(str::to_owned)
}

/// The Lambda request id, for log lines and for the body of a 500.
pub fn request_id(request: &Request) -> String {
    request.lambda_context_ref().map(|context| context.request_id.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use lambda_http::http;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Wrapper {
        user: Option<Inner>,
    }
    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        email: Option<String>,
    }

    fn request(content_type: Option<&str>, body: Body) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/api/users");
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(body).expect("request")
    }

    fn status_of(result: Result<Wrapper, ApiError>) -> u16 {
        result.expect_err("refused").status().as_u16()
    }

    #[test]
    fn an_empty_body_reads_as_an_empty_object() {
        let parsed: Wrapper = json_body(&request(None, Body::Empty)).expect("parsed");
        assert!(parsed.user.is_none());
    }

    #[test]
    fn malformed_json_and_wrong_types_are_422() {
        assert_eq!(status_of(json_body(&request(Some("application/json"), Body::from("{\"user\":")))), 422);
        assert_eq!(status_of(json_body(&request(None, Body::from("{\"user\":{\"email\":1}}")))), 422);
        assert_eq!(status_of(json_body(&request(None, Body::from("[]")))), 422);
    }

    #[test]
    fn non_json_media_types_are_415_and_huge_bodies_413() {
        let form = request(Some("application/x-www-form-urlencoded"), Body::from("user=jake"));
        assert_eq!(status_of(json_body(&form)), 415);
        let huge = request(Some("application/json; charset=utf-8"), Body::from("x".repeat(MAX_BODY_BYTES + 1)));
        assert_eq!(status_of(json_body(&huge)), 413);
    }
}
