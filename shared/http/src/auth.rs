//! Who is calling. Protected routes sit behind the Lambda authorizer, which passes the verified
//! user id in its context, or the reason the token was refused; the function answers 401 itself so
//! the body keeps the API's error shape. Routes where authentication is optional have no authorizer:
//! the function verifies a token itself when one is sent. See docs/authentication.md.

use std::future::Future;

use conduit_domain::ports::{SessionReader, TokenRejection, TokenVerifier};
use conduit_domain::usecases::Authenticate;
use conduit_domain::values::{Session, SessionGeneration, UserId};
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use crate::ApiError;

/// Context keys shared by the authorizer (which writes them) and the functions (which read them).
pub const CONTEXT_USER_ID: &str = "userId";
pub const CONTEXT_REFUSAL: &str = "refusal";
/// Unix seconds at which the token expires: API Gateway may serve a cached "allowed" answer for a
/// while, so the function re-checks expiry itself.
pub const CONTEXT_EXPIRES_AT: &str = "expiresAt";
/// The session generation the token carries, so functions that read the account anyway can refuse
/// a revoked token at once, whatever the authorizer's cache still says.
pub const CONTEXT_SESSION_GENERATION: &str = "sessionGeneration";

/// A caller the authorizer vouched for, with the token it presented (echoed back in User bodies).
#[derive(Debug, Clone)]
pub struct AuthenticatedCaller {
    pub user_id: UserId,
    pub session: Session,
    pub token: String,
}

/// Extracts the token from `Token <jwt>` (the RealWorld scheme) or `Bearer <jwt>`.
pub fn token_from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    let known = scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer");
    (known && !token.is_empty()).then_some(token)
}

/// The caller of a route that requires authentication.
pub fn require_caller(request: &Request) -> Result<AuthenticatedCaller, ApiError> {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or(ApiError::Unauthorized("missing"))?;
    let token = token_from_header(token).ok_or(ApiError::Unauthorized("invalid"))?.to_owned();
    let context = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.authorizer.as_ref().map(|a| &a.fields),
        _ => None,
    };
    let Some(fields) = context else {
        // No authorizer ran: the route is misconfigured, not the client's fault.
        return Err(ApiError::Internal("protected route invoked without an authorizer context".into()));
    };
    if let Some(user_id) = fields.get(CONTEXT_USER_ID).and_then(|value| value.as_str()) {
        let user_id = UserId::parse(user_id).map_err(|_| ApiError::Unauthorized("invalid"))?;
        let expires_at = fields.get(CONTEXT_EXPIRES_AT).and_then(context_number).unwrap_or(0);
        if expires_at <= unix_now() {
            return Err(ApiError::Unauthorized("expired"));
        }
        // Absent only in answers cached from before generations existed: those tokens are of the first.
        let generation = fields
            .get(CONTEXT_SESSION_GENERATION)
            .and_then(context_number)
            .and_then(|value| u32::try_from(value).ok())
            .map_or(SessionGeneration::FIRST, SessionGeneration::from_stored);
        conduit_telemetry::record_user(&user_id.to_string());
        return Ok(AuthenticatedCaller { user_id, session: Session { user: user_id, generation }, token });
    }
    let refusal = fields.get(CONTEXT_REFUSAL).and_then(|value| value.as_str());
    Err(ApiError::Unauthorized(refusal_reason(refusal)))
}

/// Runs `read` for the caller of a route where authentication is optional: no `Authorization`
/// header is an anonymous caller, but a header with a bad or revoked token is refused (401), never
/// silently anonymous. No authorizer runs on these routes, so revocation is checked here, on every
/// request, at the same time as the read (see [`Authenticate::while_reading`]): the read's answer
/// is returned only once the session proved current. `read` must not write.
pub async fn read_as_optional_caller<V, S, T, F>(
    request: &Request,
    authenticate: &Authenticate<V, S>,
    read: impl FnOnce(Option<UserId>) -> F,
) -> Result<T, ApiError>
where
    V: TokenVerifier,
    S: SessionReader,
    F: Future<Output = Result<T, ApiError>>,
{
    let Some(header) = request.headers().get(header::AUTHORIZATION) else {
        return read(None).await;
    };
    let token = header.to_str().ok().and_then(token_from_header).ok_or(ApiError::Unauthorized("invalid"))?;
    let (session, outcome) =
        authenticate.while_reading(token, |session| read(Some(session.user))).await.map_err(rejection_error)?;
    conduit_telemetry::record_user(&session.user.to_string());
    outcome
}

/// A refused token as the API answers it.
pub fn rejection_error(rejection: TokenRejection) -> ApiError {
    match rejection {
        TokenRejection::Invalid => ApiError::Unauthorized("invalid"),
        TokenRejection::Expired => ApiError::Unauthorized("expired"),
        TokenRejection::Revoked => ApiError::Unauthorized("revoked"),
        TokenRejection::Unavailable(cause) => cause.into(),
    }
}

/// The refusal reason the authorizer passes in its context for a refused token.
pub fn refusal_of(rejection: &TokenRejection) -> Option<&'static str> {
    match rejection {
        TokenRejection::Invalid => Some("invalid"),
        TokenRejection::Expired => Some("expired"),
        TokenRejection::Revoked => Some("revoked"),
        TokenRejection::Unavailable(_) => None,
    }
}

/// The refusal reasons the authorizer may pass, as they read after "token is ...".
pub fn refusal_reason(refusal: Option<&str>) -> &'static str {
    match refusal {
        Some("expired") => "expired",
        Some("missing") => "missing",
        Some("revoked") => "revoked",
        _ => "invalid",
    }
}

/// Reads a whole number (a Unix time, a generation) from the authorizer context. The authorizer writes a number, but API
/// Gateway documents context values as strings, numbers or booleans, so a string is accepted too.
fn context_number(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.trim().parse().ok())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_token_schemes_are_accepted_in_any_case() {
        assert_eq!(token_from_header("Token abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(token_from_header("bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(token_from_header("Basic dXNlcjpwYXNz"), None);
        assert_eq!(token_from_header("Token "), None);
        assert_eq!(token_from_header("abc.def.ghi"), None);
    }

    #[test]
    fn a_number_in_the_authorizer_context_is_read_as_a_number_or_a_string() {
        assert_eq!(context_number(&serde_json::json!(1_700_000_000u64)), Some(1_700_000_000));
        assert_eq!(context_number(&serde_json::json!("1700000000")), Some(1_700_000_000));
        assert_eq!(context_number(&serde_json::json!("soon")), None);
        assert_eq!(context_number(&serde_json::json!(-5)), None);
    }
}
