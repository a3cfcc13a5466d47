//! What every answer of the API keeps, checked on every reply the API tests see, so a test that
//! provokes an error checks its shape without saying so:
//!
//! - every 4xx and 5xx body validates against the official RealWorld `GenericErrorModel`
//!   (`tests/realworld/openapi.yml`, read at test time), so `errors.body` is a list of strings;
//! - every other key of `errors` is a field with a non-empty list of messages, and each of its
//!   messages is also a sentence of `errors.body` ("email has already been taken"); a sentence
//!   that is no other field's is about the field `body`;
//! - every answer of a function carries `X-Content-Type-Options: nosniff` and
//!   `Strict-Transport-Security` for a year with subdomains.
//!
//! API Gateway's own answers (`{"message": "Unauthorized"}` for a protected route without an
//! `Authorization` header, and the like) are not ours to shape: an HTTP API cannot change them.

use std::sync::OnceLock;

use serde_json::Value;

use crate::Reply;

const OFFICIAL_OPENAPI: &str = include_str!("../realworld/openapi.yml");

/// The official `components.schemas.GenericErrorModel`, as JSON.
pub fn generic_error_model() -> Value {
    let document: Value = serde_norway::from_str(OFFICIAL_OPENAPI).expect("the official description parses");
    let schema = document["components"]["schemas"]["GenericErrorModel"].clone();
    assert!(schema.is_object(), "tests/realworld/openapi.yml has no components.schemas.GenericErrorModel");
    schema
}

/// Compiled once per test binary. OpenAPI 3.1 schemas are JSON Schema 2020-12.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(&generic_error_model()).expect("GenericErrorModel is a valid JSON Schema")
    })
}

/// API Gateway's own answer: `{"message": "..."}` and nothing else.
pub fn is_gateway_answer(body: &Value) -> bool {
    body.as_object().is_some_and(|object| object.len() == 1 && object.get("message").is_some_and(Value::is_string))
}

/// Every way `body` (an error's JSON body) breaks the contract; empty when it keeps it.
pub fn violations(body: &Value) -> Vec<String> {
    let mut found: Vec<String> = validator()
        .iter_errors(body)
        .map(|error| format!("GenericErrorModel: {error} at {}", error.instance_path()))
        .collect();
    let Some(errors) = body["errors"].as_object() else {
        found.push("no errors object".to_owned());
        return found;
    };
    let sentences: Vec<&str> =
        errors.get("body").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    if sentences.is_empty() {
        found.push("errors.body has no sentence".to_owned());
    }
    let mut fields_sentences = Vec::new();
    for (field, messages) in errors.iter().filter(|(field, _)| *field != "body") {
        let messages: Vec<&str> = messages.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if messages.is_empty() || messages.len() != errors[field].as_array().map_or(0, Vec::len) {
            found.push(format!("errors.{field} is not a non-empty list of messages"));
        }
        for message in messages {
            let sentence = format!("{field} {message}");
            if !sentences.contains(&sentence.as_str()) {
                found.push(format!("errors.body lacks the sentence {sentence:?}"));
            }
            fields_sentences.push(sentence);
        }
    }
    for sentence in &sentences {
        if !fields_sentences.iter().any(|own| own == sentence) && !sentence.starts_with("body ") {
            found.push(format!("errors.body has {sentence:?}, which is about no field"));
        }
    }
    found
}

/// Panics when `reply` breaks the contract; `from_function` is `None` when unknown (over HTTP).
pub(crate) fn check(reply: &Reply, from_function: Option<bool>) {
    let gateway_answer = from_function.map_or_else(|| is_gateway_answer(&reply.body), |function| !function);
    if gateway_answer {
        return;
    }
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "a {} answer without X-Content-Type-Options: nosniff",
        reply.status
    );
    assert_eq!(
        reply.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains"),
        "a {} answer without Strict-Transport-Security for a year",
        reply.status
    );
    if reply.status >= 400 {
        let found = violations(&reply.body);
        assert!(found.is_empty(), "a {} answer breaks the error contract: {found:?}\n{}", reply.status, reply.body);
    }
}
