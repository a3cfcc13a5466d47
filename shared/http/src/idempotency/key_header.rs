//! Reading the `Idempotency-Key` request header. The draft defines its value as a structured-field
//! string (`"8e03978e-..."`, RFC 8941); most clients send the key bare, so both are accepted.

use conduit_domain::values::IdempotencyKey;
use lambda_http::Request;

use crate::ApiError;

pub const HEADER: &str = "idempotency-key";

/// The request's key, `None` without the header; a malformed key is a 400.
pub fn key_of(request: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = request.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ApiError::IdempotencyKeyMalformed("is sent more than once".into()));
    }
    let raw = value
        .to_str()
        .map_err(|_| ApiError::IdempotencyKeyMalformed("must be printable ASCII".into()))?
        .trim_matches(|c| c == ' ' || c == '\t');
    let text = match raw.strip_prefix('"') {
        Some(quoted) => structured_string(quoted)
            .ok_or_else(|| ApiError::IdempotencyKeyMalformed("is not a valid quoted string".into()))?,
        None => raw.to_owned(),
    };
    IdempotencyKey::parse(&text).map(Some).map_err(|invalid| ApiError::IdempotencyKeyMalformed(invalid.0))
}

/// The content of an RFC 8941 string after its opening quote: `\"` and `\\` are the only escapes,
/// and nothing may follow the closing quote.
fn structured_string(quoted: &str) -> Option<String> {
    let mut text = String::new();
    let mut characters = quoted.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next()? {
                escaped @ ('"' | '\\') => text.push(escaped),
                _ => return None,
            },
            '"' => return characters.next().is_none().then_some(text),
            other => text.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use lambda_http::{Body, http};

    use super::*;

    fn with_keys(values: &[&[u8]]) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/api/articles");
        for value in values {
            builder = builder.header(HEADER, http::HeaderValue::from_bytes(value).expect("header value"));
        }
        builder.body(Body::Empty).expect("request")
    }

    fn key(values: &[&[u8]]) -> Result<Option<String>, u16> {
        key_of(&with_keys(values)).map(|key| key.map(|key| key.as_str().to_owned())).map_err(|e| e.status().as_u16())
    }

    #[test]
    fn a_key_is_accepted_bare_or_as_a_structured_field_string() {
        assert_eq!(key(&[b"8e03978e-40d5"]), Ok(Some("8e03978e-40d5".into())));
        assert_eq!(key(&[b"\"8e03978e-40d5\""]), Ok(Some("8e03978e-40d5".into())));
        assert_eq!(key(&[br#""say \"hi\" \\ twice""#]), Ok(Some(r#"say "hi" \ twice"#.into())));
        assert_eq!(key(&[]), Ok(None));
    }

    #[test]
    fn a_malformed_key_is_400() {
        let too_long = "k".repeat(256);
        for bad in
            [&b""[..], b"\"\"", b"\"open", b"\"bad\\escape\"", b"\"trailing\"x", too_long.as_bytes(), b"caf\xc3\xa9"]
        {
            assert_eq!(key(&[bad]), Err(400), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(key(&[b"one", b"two"]), Err(400));
    }
}
