use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::{Authorizer, AuthorizerRequest};
use conduit_bootstrap::{Adapters, StartupError};
use conduit_http::routes::{self, Auth, FALLBACK_FUNCTION, api_settings};
use conduit_http::{Body, DynHandler};
use lambda_http::RequestExt;
use serde_json::Value;

use crate::authorizer_cache::AuthorizerCache;
use crate::events::IncomingRequest;
use crate::functions::{FunctionRegistry, build_functions};

/// A response as the gateway sends it back to the client.
#[derive(Debug, Clone)]
pub struct GatewayResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl GatewayResponse {
    /// API Gateway's own answers (not a function's), with its `{"message": ...}` body.
    fn from_gateway(status: u16, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::json!({ "message": message }).to_string().into_bytes(),
        }
    }
}

pub struct Gateway {
    functions: FunctionRegistry,
    authorizer: Authorizer,
    authorizer_cache: AuthorizerCache,
}

impl Gateway {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            functions: build_functions(adapters)?,
            authorizer: Authorizer::new(adapters)?,
            authorizer_cache: AuthorizerCache::new(Duration::from_secs(api_settings::AUTHORIZER_CACHE_TTL_SECONDS)),
        })
    }

    pub async fn handle(self: &Arc<Self>, request: IncomingRequest) -> GatewayResponse {
        let started = Instant::now();
        let origin = request.header("origin").map(str::to_owned);
        let mut response = match preflight(&request) {
            Some(preflight) => preflight,
            None => self.route(&request).await,
        };
        if origin.is_some() {
            response.headers.push(("access-control-allow-origin".into(), allowed_origin(origin.as_deref())));
        }
        response.headers.push(("apigw-requestid".into(), request.request_id.clone()));
        tracing::info!(
            request_id = request.request_id,
            method = request.method,
            path = request.raw_path,
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        response
    }

    async fn route(&self, request: &IncomingRequest) -> GatewayResponse {
        let Some((route, parameters)) = routes::find(&request.method, &request.raw_path) else {
            return self.invoke(FALLBACK_FUNCTION, "$default", request, &HashMap::new(), None).await;
        };
        let route_key = route.key();
        let authorizer_context = match route.auth {
            Auth::Required => match self.authorize(request, &route_key, &parameters).await {
                Ok(context) => Some(context),
                Err(refusal) => return refusal,
            },
            Auth::None | Auth::Optional => None,
        };
        self.invoke(route.function, &route_key, request, &parameters, authorizer_context.as_ref()).await
    }

    /// API Gateway's authorizer step: no header, no call (401); a denial is 403; a failure 500.
    async fn authorize(
        &self,
        request: &IncomingRequest,
        route_key: &str,
        parameters: &HashMap<String, String>,
    ) -> Result<Value, GatewayResponse> {
        let Some(identity) = request.header("authorization").filter(|value| !value.is_empty()) else {
            return Err(GatewayResponse::from_gateway(401, "Unauthorized"));
        };
        let answer = match self.authorizer_cache.get(identity).await {
            Some(cached) => cached,
            None => {
                let event = request.authorizer_event(route_key, identity, parameters);
                let event: AuthorizerRequest = serde_json::from_value(event)
                    .map_err(|_| GatewayResponse::from_gateway(500, "Internal Server Error"))?;
                let answer = self.authorizer.authorize(&event).await.map_err(|error| {
                    tracing::error!(request_id = request.request_id, error = ?error, "authorizer failed");
                    GatewayResponse::from_gateway(500, "Internal Server Error")
                })?;
                self.authorizer_cache.put(identity, answer.clone()).await;
                answer
            }
        };
        if answer.is_authorized { Ok(answer.context) } else { Err(GatewayResponse::from_gateway(403, "Forbidden")) }
    }

    async fn invoke(
        &self,
        function: &str,
        route_key: &str,
        request: &IncomingRequest,
        parameters: &HashMap<String, String>,
        authorizer_context: Option<&Value>,
    ) -> GatewayResponse {
        let Some(handler) = self.functions.get(function) else {
            tracing::error!(function, "no local handler for this function");
            return GatewayResponse::from_gateway(500, "Internal Server Error");
        };
        let event = request.function_event(route_key, parameters, authorizer_context);
        match lambda_request(&event, &request.request_id, function) {
            Some(lambda_request) => into_gateway_response(call(handler, lambda_request).await),
            None => GatewayResponse::from_gateway(500, "Internal Server Error"),
        }
    }
}

async fn call(handler: &DynHandler, request: lambda_http::Request) -> lambda_http::Response<Body> {
    handler(request).await
}

/// Turns the event into the request a function's handler receives, as lambda_http does in AWS.
fn lambda_request(event: &Value, request_id: &str, function: &str) -> Option<lambda_http::Request> {
    let request = lambda_http::request::from_str(&event.to_string())
        .inspect_err(|error| tracing::error!(error = %error, "event does not deserialise"))
        .ok()?;
    let mut context = lambda_http::Context::default();
    context.request_id = request_id.to_owned();
    context.invoked_function_arn = format!("arn:aws:lambda:us-east-1:000000000000:function:{function}");
    Some(request.with_lambda_context(context))
}

fn into_gateway_response(response: lambda_http::Response<Body>) -> GatewayResponse {
    let (parts, body) = response.into_parts();
    let headers = parts
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let body = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
        _ => Vec::new(),
    };
    GatewayResponse { status: parts.status.as_u16(), headers, body }
}

/// API Gateway answers CORS preflights itself, without calling any function.
fn preflight(request: &IncomingRequest) -> Option<GatewayResponse> {
    let is_preflight = request.method.eq_ignore_ascii_case("OPTIONS")
        && request.header("origin").is_some()
        && request.header("access-control-request-method").is_some();
    if !is_preflight {
        return None;
    }
    Some(GatewayResponse {
        status: 204,
        headers: vec![
            ("access-control-allow-methods".into(), api_settings::CORS_ALLOW_METHODS.join(",")),
            ("access-control-allow-headers".into(), api_settings::CORS_ALLOW_HEADERS.join(",")),
            ("access-control-max-age".into(), api_settings::CORS_MAX_AGE_SECONDS.to_string()),
        ],
        body: Vec::new(),
    })
}

fn allowed_origin(origin: Option<&str>) -> String {
    if api_settings::CORS_ALLOW_ORIGINS.contains(&"*") { "*".to_owned() } else { origin.unwrap_or_default().to_owned() }
}
