//! The sample events' tokens, re-signed for a signing secret in Secrets Manager.

use serde_json::Value;

use crate::samples::{SAMPLE_KID, SAMPLE_SIGNING_KEY};

/// With Secrets Manager a token's `kid` is the secret's version id, and version ids (the
/// ClientRequestToken) must be 32 to 64 characters, in moto as in AWS: no version can be called
/// `sample-key`. So the event's tokens are re-signed with the same key and the same claims under
/// the secret's version id `kid`. Only tokens that verify with the sample key are re-signed: a
/// token that is meant to be bad stays bad.
pub fn reissue_tokens(event: &str, kid: &str) -> Result<String, String> {
    let parsed: Value = serde_json::from_str(event).map_err(|error| format!("event: {error}"))?;
    let header_values = parsed["headers"]["authorization"]
        .as_str()
        .into_iter()
        .chain(parsed["identitySource"].as_array().into_iter().flatten().filter_map(Value::as_str));
    let tokens: Vec<&str> = header_values
        .filter_map(|value| value.strip_prefix("Token ").or_else(|| value.strip_prefix("Bearer ")))
        .collect();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let decoding_key = jsonwebtoken::DecodingKey::from_secret(SAMPLE_SIGNING_KEY);
    let mut reissued = event.to_owned();
    for token in tokens {
        let sample_kid = jsonwebtoken::decode_header(token).ok().and_then(|header| header.kid);
        let Ok(claims) = jsonwebtoken::decode::<Value>(token, &decoding_key, &validation) else { continue };
        if sample_kid.as_deref() != Some(SAMPLE_KID) {
            continue;
        }
        let header = jsonwebtoken::Header { kid: Some(kid.to_owned()), ..jsonwebtoken::Header::default() };
        let key = jsonwebtoken::EncodingKey::from_secret(SAMPLE_SIGNING_KEY);
        let token_for_secret =
            jsonwebtoken::encode(&header, &claims.claims, &key).map_err(|error| format!("re-signing: {error}"))?;
        reissued = reissued.replace(token, &token_for_secret);
    }
    Ok(reissued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::JAKE;

    fn sample_token(kid: &str, key: &[u8]) -> String {
        let header = jsonwebtoken::Header { kid: Some(kid.to_owned()), ..jsonwebtoken::Header::default() };
        let claims = serde_json::json!({"sub": JAKE, "exp": 4102444800u64});
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(key)).expect("token")
    }

    fn token_of(event: &str) -> String {
        let parsed: Value = serde_json::from_str(event).expect("JSON");
        parsed["headers"]["authorization"].as_str().expect("header").trim_start_matches("Token ").to_owned()
    }

    #[test]
    fn tokens_signed_with_the_sample_key_are_re_signed_and_those_signed_with_another_key_are_left_alone() {
        let event =
            |token: &str| serde_json::json!({"headers": {"authorization": format!("Token {token}")}}).to_string();
        let sample = event(&sample_token(SAMPLE_KID, SAMPLE_SIGNING_KEY));
        let foreign = event(&sample_token(SAMPLE_KID, b"another key"));

        let reissued = reissue_tokens(&sample, "version-1").expect("reissued");

        let header = jsonwebtoken::decode_header(token_of(&reissued)).expect("a token");
        assert_eq!(header.kid.as_deref(), Some("version-1"));
        assert_eq!(reissue_tokens(&foreign, "version-1").expect("unchanged"), foreign);
    }

    #[test]
    fn an_event_that_is_not_json_is_an_error() {
        assert!(reissue_tokens("not JSON", "version-1").is_err());
    }
}
