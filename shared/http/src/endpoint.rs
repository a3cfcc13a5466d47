use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use conduit_telemetry::RequestContext;
use conduit_telemetry::metrics::{BusinessEvent, RequestMetrics};
use lambda_http::{Body, BoxFuture, Request, RequestExt, Response, service_fn};
use tracing::Instrument;

use crate::ApiError;
use crate::request::request_id;

/// One API operation. A handler reads like the spec line it implements and returns `Err` freely:
/// [`respond`] renders every error, so nothing but a response ever reaches the Lambda runtime
/// (an `Err` there would make API Gateway answer 502).
pub trait Endpoint: Send + Sync + 'static {
    /// The business event a successful request of this endpoint counts as (see the EMF metrics).
    const BUSINESS_EVENT: Option<BusinessEvent> = None;

    fn handle(&self, request: Request) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// Runs the endpoint in its request span and turns any error into its response. Every log line
/// of the request carries the span's context; one summary line and one EMF metrics line close it.
pub async fn respond<E: Endpoint>(endpoint: &E, request: Request) -> Response<Body> {
    let context = request_context(&request);
    let (span, cold_start) = context.span();
    let started = std::time::Instant::now();
    // Boxed: a handler's future nests every layer below it (use case, repository, AWS SDK); keeping
    // it behind a pointer stops the runtime's own layers from adding to that depth, which release
    // builds otherwise reject as too deep a type to lay out.
    let handling: BoxFuture<'_, Result<Response<Body>, ApiError>> = Box::pin(endpoint.handle(request));
    let subsegment = conduit_telemetry::xray::start(context.function.clone());
    let (outcome, capacity) = conduit_telemetry::capacity::measure(handling).instrument(span.clone()).await;
    subsegment.finish(matches!(outcome, Err(ApiError::Internal(_))));
    let _entered = span.enter();
    let response = match outcome {
        Ok(response) => response,
        Err(error) => {
            if let ApiError::Internal(cause) = &error {
                tracing::error!(error = %ErrorChain(cause.as_ref()), "request failed");
            } else {
                tracing::info!(status = error.status().as_u16(), error = %error, "request refused");
            }
            error.into_response(&context.request_id)
        }
    };
    let metrics = RequestMetrics {
        route: &context.route,
        status: response.status().as_u16(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        cold_start,
        capacity,
        business_event: E::BUSINESS_EVENT,
    };
    tracing::info!(
        status = metrics.status,
        latency_ms = metrics.latency_ms,
        dynamodb_read_units = capacity.read_units,
        dynamodb_write_units = capacity.write_units,
        dynamodb_calls = capacity.calls,
        "request completed"
    );
    metrics.emit();
    response
}

/// The request's identity as Lambda and API Gateway give it.
fn request_context(request: &Request) -> RequestContext {
    let lambda = request.lambda_context_ref();
    let function = lambda
        .and_then(|context| context.invoked_function_arn.rsplit(':').next().filter(|name| !name.is_empty()))
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok())
        .unwrap_or_default();
    let route = match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    };
    RequestContext {
        request_id: request_id(request),
        trace_id: lambda.and_then(|context| context.xray_trace_id.clone()),
        function,
        route: route.unwrap_or_default(),
    }
}

/// Serves the endpoint on the Lambda runtime until the container is shut down.
pub async fn run<E: Endpoint>(endpoint: E) -> Result<(), lambda_http::Error> {
    let endpoint = Arc::new(endpoint);
    lambda_http::run(service_fn(move |request: Request| {
        let endpoint = Arc::clone(&endpoint);
        async move { Ok::<_, Infallible>(respond(endpoint.as_ref(), request).await) }
    }))
    .await
}

/// An endpoint behind a uniform type, for hosts that serve many of them (the local gateway).
pub type DynHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;

pub fn erase<E: Endpoint>(endpoint: E) -> DynHandler {
    let endpoint = Arc::new(endpoint);
    Arc::new(move |request| {
        let endpoint = Arc::clone(&endpoint);
        Box::pin(async move { respond(endpoint.as_ref(), request).await })
    })
}

/// Displays an error with all its sources: "DynamoDB GetItem failed: dispatch failure: ...".
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
