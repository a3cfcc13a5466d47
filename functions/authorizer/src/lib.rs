//! The Lambda REQUEST authorizer of the HTTP API (payload 2.0, simple responses).
//!
//! API Gateway calls it only when the `Authorization` header is present and caches the answer per
//! header value. A valid token is allowed with the user id (and expiry) in the context. An invalid
//! or expired token is *also* allowed through, with the reason in the context, so the function
//! answers 401 in the API's `{"errors":...}` shape: a denial here would make API Gateway answer
//! 403 with its own body. Only when the keys cannot be read at all does the authorizer fail
//! (API Gateway then answers 500), because that is our fault, not the client's.

use conduit_bootstrap::{Adapters, JwtService, StartupError, TokenError};
use conduit_http::auth::{CONTEXT_EXPIRES_AT, CONTEXT_REFUSAL, CONTEXT_USER_ID, token_from_header};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use serde_json::{Value, json};

pub type AuthorizerRequest = ApiGatewayV2CustomAuthorizerV2Request;
pub type AuthorizerResponse = ApiGatewayV2CustomAuthorizerSimpleResponse<Value>;

pub struct Authorizer {
    jwt: JwtService,
}

impl Authorizer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { jwt: adapters.jwt()? })
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
        match self.jwt.verify(token).await {
            Ok(verified) => Ok(allow(json!({
                CONTEXT_USER_ID: verified.user_id.to_string(),
                CONTEXT_EXPIRES_AT: verified.expires_at,
            }))),
            Err(TokenError::Expired) => Ok(allow(json!({ CONTEXT_REFUSAL: "expired" }))),
            Err(TokenError::Malformed | TokenError::Invalid | TokenError::UnknownKey) => {
                Ok(allow(json!({ CONTEXT_REFUSAL: "invalid" })))
            }
            Err(keys_unavailable @ TokenError::Keys(_)) => Err(keys_unavailable),
        }
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

fn allow(context: Value) -> AuthorizerResponse {
    let mut response = AuthorizerResponse::default();
    response.is_authorized = true;
    response.context = context;
    response
}
