//! An answer as it is stored and replayed: the status, the headers that describe the body, and
//! the body itself, byte for byte. The headers every answer gets anyway (security headers, the
//! request's cache policy) are added again when it is replayed, as for any answer.

use lambda_http::http::StatusCode;
use lambda_http::http::header::{self, HeaderName, HeaderValue};
use lambda_http::{Body, Response};
use serde::{Deserialize, Serialize};

/// Headers an answer of ours may carry that belong to its content.
const KEPT_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// The answer's stored form; `None` for a body that is not text (none of the keyed routes
/// answers one).
pub fn encode(response: &Response<Body>) -> Option<Vec<u8>> {
    let body = match response.body() {
        Body::Empty => String::new(),
        Body::Text(text) => text.clone(),
        _ => return None,
    };
    let headers = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((name.as_str().to_owned(), response.headers().get(name)?.to_str().ok()?.to_owned())))
        .collect();
    serde_json::to_vec(&Stored { status: response.status().as_u16(), headers, body }).ok()
}

/// The answer stored by [`encode`], as a response.
pub fn decode(bytes: &[u8]) -> Option<Response<Body>> {
    let stored: Stored = serde_json::from_slice(bytes).ok()?;
    let body = if stored.body.is_empty() { Body::Empty } else { Body::Text(stored.body) };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(stored.status).ok()?;
    for (name, value) in stored.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        response.headers_mut().insert(name, HeaderValue::from_str(&value).ok()?);
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_comes_back_with_its_status_content_headers_and_exact_body() {
        let mut original = crate::response::created(&serde_json::json!({"article": {"title": "Ünïcode \"quoted\""}}));
        original.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=1"));

        let replayed = decode(&encode(&original).expect("encoded")).expect("decoded");

        assert_eq!(replayed.status(), 201);
        assert_eq!(replayed.headers()[header::CONTENT_TYPE], original.headers()[header::CONTENT_TYPE]);
        assert_eq!(replayed.body().as_ref(), original.body().as_ref());
        // Added again when the answer is sent, not stored.
        assert!(!replayed.headers().contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn an_empty_answer_stays_empty() {
        let replayed = decode(&encode(&crate::response::no_content()).expect("encoded")).expect("decoded");

        assert_eq!(replayed.status(), 204);
        assert!(matches!(replayed.body(), Body::Empty));
    }
}
