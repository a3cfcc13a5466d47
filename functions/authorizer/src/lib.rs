//! The Lambda REQUEST authorizer of the HTTP API (payload 2.0, simple responses).
//!
//! API Gateway calls it only when the `Authorization` header is present and caches the answer per
//! header value (see `ReauthorizeEvery` in `template.yaml`: the longest a revoked
//! token still passes here). A valid token of the account's current session generation is allowed
//! with the user id, expiry and generation in the context. An invalid, expired or revoked token is
//! *also* allowed through, with the reason in the context, so the function answers 401 in the
//! API's `{"errors":...}` shape: a denial here would make API Gateway answer 403 with its own
//! body. Only when the keys cannot be read at all does the authorizer fail (API Gateway then
//! answers 500), because that is our fault, not the client's.

use conduit_bootstrap::{Adapters, DynamoUsers, JwtService, StartupError, TokenError};
use conduit_domain::ports::TokenRejection;
use conduit_domain::usecases::Authenticate;
use conduit_http::auth::{
    CONTEXT_EXPIRES_AT, CONTEXT_REFUSAL, CONTEXT_SESSION_GENERATION, CONTEXT_USER_ID, refusal_of, token_from_header,
};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use serde_json::{Value, json};

pub type AuthorizerRequest = ApiGatewayV2CustomAuthorizerV2Request;
pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Value>;

pub struct Authorizer {
    jwt: JwtService,
    authenticate: Authenticate<JwtService, DynamoUsers>,
}

impl Authorizer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        // One token service (one key cache, one Secrets Manager client) for verifying and for the
        // session check.
        let jwt = adapters.jwt()?;
        Ok(Self { authenticate: Authenticate::new(jwt.clone(), adapters.users()), jwt })
    }

    pub async fn authorize(&self, request: &AuthorizerRequest) -> Result<AuthorizerResponse, TokenError> {
        let header = request
            .headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .or_else(|| request.identity_source.as_ref().and_then(|sources| sources.first()).map(String::as_str));
        let Some(token) = header.and_then(token_from_header) else {
            let reason = if header.is_some() { "invalid" } else { "missing" };
            return Ok(allow(json!({ CONTEXT_REFUSAL: reason })));
        };
        let verified = match self.jwt.verify(token).await {
            Ok(verified) => verified,
            Err(TokenError::Expired) => return Ok(allow(json!({ CONTEXT_REFUSAL: "expired" }))),
            Err(TokenError::Malformed | TokenError::Invalid | TokenError::UnknownKey) => {
                return Ok(allow(json!({ CONTEXT_REFUSAL: "invalid" })));
            }
            Err(keys_unavailable @ TokenError::Keys(_)) => return Err(keys_unavailable),
        };
        let session = match self.authenticate.ensure_current(verified.session).await {
            Ok(session) => session,
            // DynamoDB cannot say whether the session was revoked. Every protected function needs
            // DynamoDB itself and answers 503 while it is down; refusing here would make API
            // Gateway answer 500, and an "unavailable" answer would be cached for the token.
            // So the signed, unexpired token passes unchecked (the cached answer lasts at most
            // the cache TTL), and the functions that read the account still check it.
            Err(TokenRejection::Unavailable(cause)) => {
                tracing::warn!(
                    error = %conduit_telemetry::process::ErrorChain(&cause),
                    "session generation unreadable: token allowed without the revocation check"
                );
                verified.session
            }
            Err(rejection) => return Ok(allow(json!({ CONTEXT_REFUSAL: refusal_of(&rejection) }))),
        };
        Ok(allow(json!({
            CONTEXT_USER_ID: session.user.to_string(),
            CONTEXT_EXPIRES_AT: verified.expires_at,
            CONTEXT_SESSION_GENERATION: session.generation.value(),
        })))
    }
}

impl Authorizer {
    /// The runtime entry point: failures are logged with the request id before API Gateway sees them.
    pub async fn authorize_event(
        &self,
        event: lambda_runtime::LambdaEvent<AuthorizerRequest>,
    ) -> Result<AuthorizerResponse, lambda_runtime::Diagnostic> {
        self.authorize(&event.payload).await.map_err(|error| {
            tracing::error!(request_id = event.context.request_id, error = ?error, "cannot verify tokens");
            lambda_runtime::Diagnostic {
                error_type: "SigningKeysUnavailable".into(),
                error_message: "tokens cannot be verified right now".into(),
            }
        })
    }
}

impl conduit_bootstrap::start::EventFunction for Authorizer {
    type Request = AuthorizerRequest;
    type Response = AuthorizerResponse;

    async fn handle(
        &self,
        event: lambda_runtime::LambdaEvent<AuthorizerRequest>,
    ) -> Result<AuthorizerResponse, lambda_runtime::Diagnostic> {
        self.authorize_event(event).await
    }
}

fn allow(context: Value) -> AuthorizerResponse {
    let mut response = AuthorizerResponse::default();
    response.is_authorized = true;
    response.context = context;
    response
}
