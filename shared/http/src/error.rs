use std::collections::BTreeMap;

use conduit_domain::error::InfrastructureError;
use conduit_domain::throttling::{ThrottleScope, Throttled};
use conduit_domain::{DomainError, ValidationErrors};
use lambda_http::http::StatusCode;
use lambda_http::http::header::{self, HeaderValue};
use lambda_http::{Body, Response};

use crate::error_body::ErrorBody;

/// Every way a request can fail, each documented by the status it becomes. Rendering happens only
/// in [`ApiError::into_response`]; handlers just return `Err`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: field errors, from parsing the body or from the domain's rules.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// 401: no usable credentials (the message says why: missing, invalid, expired, revoked).
    #[error("unauthorized: token {0}")]
    Unauthorized(&'static str),
    /// 401: login with an unknown e-mail or a wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 403: authenticated, but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// 404: the named thing (a route, a user, an article) does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the resource kept changing while we tried to write it.
    #[error("conflict")]
    Conflict,
    /// 429 with `Retry-After`: an abuse limit refused the request (the account's failed logins,
    /// the source's requests of this kind, or the account's writes of this kind); nothing was
    /// checked or changed.
    #[error("too many requests")]
    TooManyRequests(Throttled),
    /// 400: the `Idempotency-Key` header is malformed (the message says how).
    #[error("malformed idempotency key")]
    IdempotencyKeyMalformed(String),
    /// 409 with `Retry-After`: a request under the same idempotency key is still in progress.
    #[error("idempotency key in use")]
    IdempotencyKeyInUse { retry_after: std::time::Duration },
    /// 422: the idempotency key was already used for a different request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// 413: the body is larger than this endpoint accepts.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 503 with `Retry-After`: a dependency (named for the logs and the metric) was unavailable,
    /// too slow or throttling, or the request ran out of its time budget. Not the client's fault
    /// and not a defect: the same request may well succeed shortly.
    #[error("{dependency} unavailable")]
    Unavailable {
        dependency: &'static str,
        #[source]
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// 500: our fault. The cause is logged with the request id and never shown to the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(ValidationErrors::single(field, conduit_domain::validation::InvalidValue(message.into())))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict | Self::IdempotencyKeyInUse { .. } => StatusCode::CONFLICT,
            Self::IdempotencyKeyMalformed(_) => StatusCode::BAD_REQUEST,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn into_response(self, request_id: &str) -> Response<Body> {
        self.render(request_id)
    }

    /// The response this error becomes, leaving the error for the logs.
    pub fn render(&self, request_id: &str) -> Response<Body> {
        let one = |field: &'static str, message: String| BTreeMap::from([(field, vec![message])]);
        let errors = match self {
            Self::Validation(errors) => {
                errors.fields().iter().map(|(field, messages)| (field.as_str(), messages.clone())).collect()
            }
            Self::Unauthorized(reason) => one("token", format!("is {reason}")),
            Self::InvalidCredentials => one("credentials", "are invalid".into()),
            Self::Forbidden => one("authorization", "does not allow this: only the author may change it".into()),
            Self::NotFound(what) => one(what, "not found".into()),
            Self::Conflict => one("request", "conflicted with a concurrent change, please retry".into()),
            Self::IdempotencyKeyMalformed(problem) => one(IDEMPOTENCY_KEY_FIELD, problem.clone()),
            Self::IdempotencyKeyInUse { retry_after } => one(
                IDEMPOTENCY_KEY_FIELD,
                format!("is in use by a request still in progress: retry in {} s", retry_after_seconds(*retry_after)),
            ),
            Self::IdempotencyKeyReused => {
                one(IDEMPOTENCY_KEY_FIELD, "was already used for a different request: use a new key".into())
            }
            Self::TooManyRequests(refusal) => {
                let wait = retry_after_seconds(refusal.retry_after);
                match refusal.scope {
                    ThrottleScope::Account => {
                        one("credentials", format!("have failed too many times: try again in {wait} s"))
                    }
                    ThrottleScope::Source => {
                        one("requests", format!("of this kind from your address are too many: try again in {wait} s"))
                    }
                    ThrottleScope::AccountWrites(action) => {
                        one(action.plural(), format!("from your account are too many: try again in {wait} s"))
                    }
                }
            }
            Self::PayloadTooLarge { limit } => one("body", format!("is too large (maximum is {limit} bytes)")),
            Self::UnsupportedMediaType => one("body", "must be JSON (Content-Type: application/json)".into()),
            Self::Unavailable { .. } => one(
                "server",
                format!(
                    "is busy or briefly unavailable, please retry in {RETRY_AFTER_SECONDS} s (request id {request_id})"
                ),
            ),
            Self::Internal(_) => one("server", format!("had an unexpected error (request id {request_id})")),
        };
        let mut response = crate::response::json(self.status(), &ErrorBody::new(errors));
        let retry_after = match self {
            Self::Unavailable { .. } => Some(RETRY_AFTER_SECONDS),
            Self::TooManyRequests(refusal) => Some(retry_after_seconds(refusal.retry_after)),
            Self::IdempotencyKeyInUse { retry_after } => Some(retry_after_seconds(*retry_after)),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The field an idempotency refusal is reported under.
pub const IDEMPOTENCY_KEY_FIELD: &str = "idempotencyKey";

/// How long a client should wait before retrying a 503: long enough for throttling to ease and a
/// new connection to be tried, short enough that a person barely notices.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// `Retry-After` counts whole seconds: a wait is rounded up, so a client that waits exactly that
/// long is not refused again.
fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// A failure outside the domain: an outage of a dependency (503) or a defect (500).
impl From<InfrastructureError> for ApiError {
    fn from(cause: InfrastructureError) -> Self {
        match cause.unavailable {
            Some(dependency) => Self::Unavailable { dependency, cause: Box::new(cause) },
            None => Self::Internal(Box::new(cause)),
        }
    }
}

/// The single mapping from domain outcomes to API errors.
impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Validation(errors) => Self::Validation(errors),
            DomainError::InvalidCredentials => Self::InvalidCredentials,
            DomainError::SessionRevoked => Self::Unauthorized("revoked"),
            DomainError::NotFound(what) => Self::NotFound(what),
            DomainError::Forbidden => Self::Forbidden,
            DomainError::Conflict => Self::Conflict,
            // Another attempt under the key holds it: this one wrote nothing and may come back.
            DomainError::KeyInUse => Self::IdempotencyKeyInUse { retry_after: std::time::Duration::from_secs(1) },
            DomainError::Throttled(refusal) => Self::TooManyRequests(refusal),
            DomainError::Infrastructure(cause) => cause.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(error: ApiError) -> (u16, serde_json::Value) {
        let response = error.into_response("req-1");
        let status = response.status().as_u16();
        let body = serde_json::from_slice(response.body().as_ref()).expect("JSON body");
        (status, body)
    }

    #[test]
    fn every_error_keeps_its_field_key_and_reads_as_a_sentence_in_body() {
        let cases = [
            (
                ApiError::invalid_field("email", "has already been taken"),
                422,
                r#"{"errors":{"body":["email has already been taken"],"email":["has already been taken"]}}"#,
            ),
            (
                ApiError::Unauthorized("missing"),
                401,
                r#"{"errors":{"body":["token is missing"],"token":["is missing"]}}"#,
            ),
            (
                ApiError::InvalidCredentials,
                401,
                r#"{"errors":{"body":["credentials are invalid"],"credentials":["are invalid"]}}"#,
            ),
            (ApiError::NotFound("user"), 404, r#"{"errors":{"body":["user not found"],"user":["not found"]}}"#),
            (
                ApiError::PayloadTooLarge { limit: 10 },
                413,
                r#"{"errors":{"body":["body is too large (maximum is 10 bytes)"]}}"#,
            ),
        ];
        for (error, status, expected) in cases {
            let expected: serde_json::Value = serde_json::from_str(expected).expect("valid");
            assert_eq!(body_of(error), (status, expected));
        }
    }

    #[test]
    fn a_throttled_request_is_429_with_the_wait_rounded_up_in_retry_after_and_the_body() {
        let refusal =
            Throttled { scope: ThrottleScope::Account, retry_after: std::time::Duration::from_millis(29_001) };

        let response = ApiError::TooManyRequests(refusal).into_response("req-1");

        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "30");
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).expect("JSON body");
        assert_eq!(body["errors"]["credentials"][0], "have failed too many times: try again in 30 s");
    }

    #[test]
    fn a_write_past_the_accounts_quota_is_429_naming_what_was_written_too_often() {
        let refusal = Throttled {
            scope: ThrottleScope::AccountWrites(conduit_domain::write_quotas::WriteAction::Comment),
            retry_after: std::time::Duration::from_millis(1_799_500),
        };

        let (status, body) = body_of(ApiError::TooManyRequests(refusal));

        let expected = serde_json::json!({"errors": {
            "body": ["comments from your account are too many: try again in 1800 s"],
            "comments": ["from your account are too many: try again in 1800 s"],
        }});
        assert_eq!((status, body), (429, expected));
    }

    #[test]
    fn an_internal_error_names_the_request_but_not_the_cause() {
        let (status, body) = body_of(ApiError::Internal("connection to 10.0.0.1 refused".into()));

        assert_eq!(status, 500);
        let text = body.to_string();
        assert!(text.contains("req-1"));
        assert!(!text.contains("10.0.0.1"));
    }
}
