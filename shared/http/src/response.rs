use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A JSON response. Serialising our own response types cannot fail; if it ever did, the client
/// gets a plain 500 in the errors shape rather than a panic.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errors":{"body":["server had an unexpected error"],"server":["had an unexpected error"]}}"#.to_owned(),
        ),
    };
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

pub fn ok(body: &impl Serialize) -> Response<Body> {
    json(StatusCode::OK, body)
}

pub fn created(body: &impl Serialize) -> Response<Body> {
    json(StatusCode::CREATED, body)
}

/// 204: done, nothing to show (deletions).
pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// 200 with a body already serialised as JSON (documents built once per container).
pub fn json_text(text: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(text.to_owned()));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// 200 with an HTML page.
pub fn html(page: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(page.to_owned()));
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    response
}
