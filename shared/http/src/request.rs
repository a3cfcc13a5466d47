//! Reading what a client sent: the JSON body (size, media type, syntax) and path parameters.

use conduit_domain::values::ClientSource;
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
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| refusal(error.inner(), Some(error.path())))?;
    // Anything after the value (`{}{}`) is a syntax error too.
    deserializer.end().map_err(|error| refusal(&error, None))?;
    Ok(parsed)
}

/// A 422 that names the offending field (its key, as the domain's own errors name fields) and
/// where it is: `"email": ["must be a string (at user.email, line 1, column 18)"]`. serde's own
/// wording names Rust types ("expected struct UserEnvelope") and quotes the value, which may be a
/// password: neither reaches the client.
fn refusal(error: &serde_json::Error, path: Option<&serde_path_to_error::Path>) -> ApiError {
    let position = format!("line {}, column {}", error.line(), error.column());
    let text = error.to_string();
    let text = text.strip_suffix(&format!(" at line {} column {}", error.line(), error.column())).unwrap_or(&text);
    if !error.is_data() {
        // Syntax: serde_json says what it found, in JSON's terms ("EOF while parsing an object").
        return ApiError::invalid_field("body", format!("is not valid JSON: {text} (at {position})"));
    }
    let innermost_key = path.into_iter().flatten().rev().find_map(|segment| match segment {
        serde_path_to_error::Segment::Map { key } => Some(key.as_str()),
        _ => None,
    });
    let at = match (innermost_key, path) {
        (Some(_), Some(path)) => format!("at {path}, {position}"),
        _ => format!("at {position}"),
    };
    // A missing field is reported under its own name, like an empty one.
    if let Some(missing) = text.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
        return ApiError::invalid_field(missing, format!("can't be blank ({at})"));
    }
    let expected = ["invalid type: ", "invalid length ", "invalid value: "]
        .iter()
        .find_map(|prefix| text.strip_prefix(prefix))
        .and_then(|rest| rest.rsplit_once(", expected "))
        .and_then(|(_, expected)| in_json_terms(expected));
    let problem = match expected {
        Some(kind) => format!("must be {kind}"),
        None if text.starts_with("duplicate field") => "is given more than once".to_owned(),
        None => "is not acceptable".to_owned(),
    };
    // A value of the wrong shape at the top (`[]`, `"text"`) is the request body's fault.
    ApiError::invalid_field(innermost_key.unwrap_or("body"), format!("{problem} ({at})"))
}

/// serde's "expected ..." in JSON's terms; `None` for anything not known to be free of Rust names.
fn in_json_terms(expected: &str) -> Option<&'static str> {
    let first_word = expected.split_whitespace().next().unwrap_or_default();
    Some(match first_word {
        "struct" | "map" => "an object",
        "tuple" | "sequence" => "a list",
        "enum" => "one of the allowed values",
        "unit" => "null",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        _ => match expected {
            "a map" => "an object",
            "a sequence" => "a list",
            "a string" | "a borrowed string" | "a character" => "a string",
            "a boolean" => "true or false",
            _ => return None,
        },
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

/// Where the request comes from, as the per-source limits count it: the connecting address API
/// Gateway saw (`requestContext.http.sourceIp`), never a header such as `X-Forwarded-For`, which
/// the client writes itself.
pub fn client_source(request: &Request) -> ClientSource {
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.as_deref().map_or_else(ClientSource::unknown, ClientSource::parse)
        }
        _ => ClientSource::unknown(),
    }
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

    /// The field's messages as the client gets them.
    fn refusal_of(body: &str) -> Vec<(String, Vec<String>)> {
        match json_body::<Wrapper>(&request(None, Body::from(body))) {
            Err(ApiError::Validation(errors)) => errors.fields().clone().into_iter().collect(),
            other => panic!("{body}: not a validation error: {other:?}"),
        }
    }

    fn one(field: &str, message: &str) -> Vec<(String, Vec<String>)> {
        vec![(field.to_owned(), vec![message.to_owned()])]
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_under_its_field_with_its_path_and_position() {
        assert_eq!(
            refusal_of(r#"{"user":{"email":1}}"#),
            one("email", "must be a string (at user.email, line 1, column 18)")
        );
        assert_eq!(refusal_of(r#"{"user":[]}"#), one("user", "must be an object (at user, line 1, column 10)"));
    }

    #[test]
    fn a_body_of_the_wrong_shape_is_refused_as_the_body_without_naming_a_rust_type() {
        // serde alone says "invalid length 0, expected struct Wrapper with 1 element".
        assert_eq!(refusal_of("[]"), one("body", "must be an object (at line 1, column 2)"));
        assert_eq!(refusal_of(r#""jake""#), one("body", "must be an object (at line 1, column 6)"));
    }

    #[test]
    fn malformed_json_is_refused_as_the_body_with_the_position() {
        assert_eq!(
            refusal_of(r#"{"user":"#),
            one("body", "is not valid JSON: EOF while parsing a value (at line 1, column 8)")
        );
        assert_eq!(refusal_of("{}{}"), one("body", "is not valid JSON: trailing characters (at line 1, column 3)"));
    }

    #[test]
    fn a_refusal_never_quotes_the_value_sent() {
        let refused = refusal_of(r#"{"user":{"email":12345678}}"#);

        assert!(!format!("{refused:?}").contains("12345678"), "{refused:?}");
    }

    #[test]
    fn non_json_media_types_are_415_and_huge_bodies_413() {
        let form = request(Some("application/x-www-form-urlencoded"), Body::from("user=jake"));
        assert_eq!(status_of(json_body(&form)), 415);
        let huge = request(Some("application/json; charset=utf-8"), Body::from("x".repeat(MAX_BODY_BYTES + 1)));
        assert_eq!(status_of(json_body(&huge)), 413);
    }
}
