use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authorizer::{Authorizer, AuthorizerRequest};
use conduit_bootstrap::{Adapters, Outbox, StartupError, aws_call_log};
use conduit_http::routes::{self, AUTHORIZER_FUNCTION, Auth, FALLBACK_FUNCTION, Route, api_settings};
use conduit_http::{Body, DynHandler};
use lambda_http::RequestExt;
use serde_json::Value;

use crate::authorizer_cache::AuthorizerCache;
use crate::aws_limits::{AwsLimitError, AwsLimits};
use crate::cors;
use crate::events::IncomingRequest;
use crate::functions::{FunctionRegistry, StreamConsumerEntry, build_functions, build_stream_consumers};
use crate::gateway_response::GatewayResponse;
use crate::recent_traces::RecentTraces;
use crate::streams::{StreamFailures, StreamPoller, TableStream};

/// Where API Gateway sends a request ("Create routes for HTTP APIs in API Gateway", Routing API
/// requests: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
#[derive(Debug)]
enum Target {
    /// The most specific route whose method and path match.
    Route(&'static Route, HashMap<String, String>),
    /// No route matches, and the API has a `$default` route: it gets the request, whatever the
    /// method, CORS preflights included.
    DefaultRoute,
    /// No route matches and there is no `$default`: API Gateway answers by itself.
    Unrouted,
}

fn select(request: &IncomingRequest, has_default_route: bool) -> Target {
    match routes::find(&request.method, &request.raw_path) {
        Some((route, parameters)) => Target::Route(route, parameters),
        None if has_default_route => Target::DefaultRoute,
        None => Target::Unrouted,
    }
}

/// Why a gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    AwsLimits(#[from] AwsLimitError),
}

pub struct Gateway {
    functions: FunctionRegistry,
    /// Lambda's timeouts and response limit, held to every invocation.
    limits: AwsLimits,
    /// The deployed API has one (the route-contract test checks the template).
    has_default_route: bool,
    authorizer: Authorizer,
    authorizer_cache: AuthorizerCache,
    /// Where the functions' mail goes: the adapters', so the outbox routes show what they sent.
    outbox: Outbox,
    /// The consumers of the table's stream, run while serving.
    stream_consumers: Vec<StreamConsumerEntry>,
    table_stream: TableStream,
    stream_failures: StreamFailures,
    /// The spans of recent traces, when the process's tracer provider hands them here.
    recent_traces: Option<RecentTraces>,
}

impl Gateway {
    /// A gateway with the deployed API's limits ([`AwsLimits::deployed`]).
    pub fn new(adapters: &Adapters) -> Result<Self, GatewayError> {
        let functions = build_functions(adapters)?;
        Ok(Self {
            has_default_route: functions.contains_key(FALLBACK_FUNCTION),
            functions,
            limits: AwsLimits::deployed()?,
            authorizer: Authorizer::new(adapters)?,
            authorizer_cache: AuthorizerCache::new(Duration::from_secs(api_settings::AUTHORIZER_CACHE_TTL_SECONDS)),
            outbox: adapters.outbox().unwrap_or_default(),
            stream_consumers: build_stream_consumers(adapters)?,
            table_stream: TableStream {
                sdk: adapters.aws_settings().clone(),
                table: adapters.table().name().to_owned(),
            },
            stream_failures: StreamFailures::default(),
            recent_traces: None,
        })
    }

    /// Replaces the stream consumers the functions define (a test's own, for instance).
    pub fn with_stream_consumers(mut self, consumers: Vec<StreamConsumerEntry>) -> Self {
        self.stream_consumers = consumers;
        self
    }

    /// Replaces the limits every invocation is held to (smaller ones, to reach them).
    pub fn with_aws_limits(mut self, limits: AwsLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves `recent` (served at [`crate::TRACES_PATH`]): the exporter the process's tracer
    /// provider hands its spans to.
    pub fn with_recent_traces(mut self, recent: RecentTraces) -> Self {
        self.recent_traces = Some(recent);
        self
    }

    /// The recent traces, when this gateway serves them.
    pub fn recent_traces(&self) -> Option<&RecentTraces> {
        self.recent_traces.as_ref()
    }

    /// The batches the stream consumers failed for good (served at [`crate::STREAM_FAILURES_PATH`]).
    pub fn stream_failures(&self) -> &StreamFailures {
        &self.stream_failures
    }

    /// The poller of the table's stream; `None` when there are no consumers to run.
    pub(crate) fn stream_poller(&self) -> Option<StreamPoller> {
        (!self.stream_consumers.is_empty()).then(|| {
            StreamPoller::new(
                self.table_stream.clone(),
                &self.stream_consumers,
                &self.limits,
                self.stream_failures.clone(),
            )
        })
    }

    /// The mail the functions sent (served at [`crate::OUTBOX_PATH`]).
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    pub async fn handle(self: &Arc<Self>, request: IncomingRequest) -> GatewayResponse {
        let started = Instant::now();
        let mut response = match select(&request, self.has_default_route) {
            Target::Route(route, parameters) => self.route(&request, route, &parameters).await,
            Target::DefaultRoute => self.invoke(FALLBACK_FUNCTION, "$default", &request, &HashMap::new(), None).await,
            Target::Unrouted if cors::is_preflight(&request) => cors::gateway_preflight(),
            Target::Unrouted => GatewayResponse::from_gateway(404, "Not Found"),
        };
        cors::apply(&request, &mut response);
        response.headers.push(("apigw-requestid".into(), request.request_id.clone()));
        // The fields of API Gateway's access log (template.yaml) that say where a request went.
        tracing::info!(
            request_id = request.request_id,
            method = request.method,
            path = request.raw_path,
            route_key = response.route_key,
            function = response.function,
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        response
    }

    async fn route(
        &self,
        request: &IncomingRequest,
        route: &Route,
        parameters: &HashMap<String, String>,
    ) -> GatewayResponse {
        let route_key = route.key();
        let authorizer_context = match route.auth {
            Auth::Required => match self.authorize(request, &route_key, parameters).await {
                Ok(context) => Some(context),
                Err(refusal) => return GatewayResponse { route_key: Some(route_key), ..refusal },
            },
            Auth::None | Auth::Optional => None,
        };
        self.invoke(route.function, &route_key, request, parameters, authorizer_context.as_ref()).await
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
                let answer = aws_call_log::as_function(AUTHORIZER_FUNCTION, self.authorizer.authorize(&event));
                let answer = self.limits.within_timeout(AUTHORIZER_FUNCTION, answer).await.map_err(|failure| {
                    tracing::error!(request_id = request.request_id, error = %failure, "authorizer failed");
                    GatewayResponse::from_gateway(500, "Internal Server Error")
                })?;
                let answer = answer.map_err(|error| {
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
        let Some((&function, handler)) = self.functions.get_key_value(function) else {
            tracing::error!(function, "no local handler for this function");
            return GatewayResponse::from_gateway(500, "Internal Server Error");
        };
        let event = request.function_event(route_key, parameters, authorizer_context);
        let Some(lambda_request) = lambda_request(&event, &request.request_id, function) else {
            return GatewayResponse {
                route_key: Some(route_key.to_owned()),
                ..GatewayResponse::from_gateway(500, "Internal Server Error")
            };
        };
        let invocation = aws_call_log::as_function(function, call(handler, lambda_request));
        let response = match self.limits.invoke(function, invocation).await {
            Ok(answer) => GatewayResponse { function: Some(function.to_owned()), ..answer.into_gateway_response() },
            // Lambda ended the invocation or refused its response: API Gateway answers by itself.
            Err(failure) => {
                tracing::error!(
                    request_id = request.request_id,
                    function,
                    error = %failure,
                    "invocation failed; API Gateway answers 500"
                );
                GatewayResponse::from_gateway(500, "Internal Server Error")
            }
        };
        GatewayResponse { route_key: Some(route_key.to_owned()), ..response }
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::events::test_request as request;

    const PREFLIGHT: [(&str, &str); 2] =
        [("origin", "https://app.example.com"), ("access-control-request-method", "PUT")];

    #[test]
    fn a_request_matching_a_route_goes_to_that_route() {
        let target = select(&request("PUT", "/api/user", &[]), true);

        assert!(matches!(target, Target::Route(route, _) if route.function == "update-current-user"), "{target:?}");
    }

    #[test]
    fn a_preflight_matches_no_route_so_the_default_route_gets_it() {
        for path in ["/api/user", "/api/nothing"] {
            let target = select(&request("OPTIONS", path, &PREFLIGHT), true);

            assert!(matches!(target, Target::DefaultRoute), "{path}: {target:?}");
        }
    }

    #[test]
    fn only_an_api_without_default_route_leaves_unmatched_requests_to_the_gateway() {
        let preflight = select(&request("OPTIONS", "/api/user", &PREFLIGHT), false);
        let unknown = select(&request("GET", "/api/nothing", &[]), false);

        assert!(matches!(preflight, Target::Unrouted), "{preflight:?}");
        assert!(matches!(unknown, Target::Unrouted), "{unknown:?}");
    }
}
