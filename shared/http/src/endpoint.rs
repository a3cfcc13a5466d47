use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use conduit_telemetry::RequestContext;
use conduit_telemetry::metrics::{BusinessEvent, IdempotencyOutcome, RequestMetrics};
use conduit_telemetry::process::ErrorChain;
use conduit_telemetry::traces::attributes;
use conduit_telemetry::traces::lambda::{InvocationTracing, Trigger};
use lambda_http::http::header;
use lambda_http::{Body, BoxFuture, Request, RequestExt, Response, service_fn};
use tracing::Instrument;

/// A future that stays on the task that polls it.
pub type LocalBoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + 'a>>;

use crate::ApiError;
use crate::request::request_id;

/// One API operation. A handler reads like the spec line it implements and returns `Err` freely:
/// [`respond`] renders every error, so nothing but a response ever reaches the Lambda runtime
/// (an `Err` there would make API Gateway answer 502).
pub trait Endpoint: Send + Sync + 'static {
    /// The business event a successful request of this endpoint counts as (see the EMF metrics).
    const BUSINESS_EVENT: Option<BusinessEvent> = None;

    /// Whether this endpoint's answers carry a token or account data even to a caller that sent no
    /// token (registration, login, a reset link): [`respond`] then forbids every cache to keep them.
    /// Answers to a request with an `Authorization` header are treated so whatever this says.
    const PRIVATE: bool = false;

    fn handle(&self, request: Request) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// Runs the endpoint in its request span and turns any error into its response. Every log line
/// of the request carries the span's context; one summary line and one EMF metrics line close it.
pub async fn respond<E: Endpoint>(endpoint: &E, request: Request, time_budget: Duration) -> Response<Body> {
    let context = request_context(&request);
    let private = E::PRIVATE || request.headers().contains_key(header::AUTHORIZATION);
    let time_budget = within_invocation_deadline(&request, time_budget);
    let (span, cold_start) = context.span();
    let started = std::time::Instant::now();
    // Boxed: a handler's future nests every layer below it (use case, repository, AWS SDK); keeping
    // it behind a pointer stops the runtime's own layers from adding to that depth, which release
    // builds otherwise reject as too deep a type to lay out.
    let handling: BoxFuture<'_, Result<Response<Body>, ApiError>> = Box::pin(async move {
        // Past its budget a request answers 503 rather than hold the invocation until Lambda kills
        // it: whatever it was waiting for is too slow right now.
        tokio::time::timeout(time_budget, endpoint.handle(request)).await.unwrap_or_else(|elapsed| {
            Err(ApiError::Unavailable { dependency: REQUEST_DEADLINE, cause: Box::new(elapsed) })
        })
    });
    let (outcome, capacity) = conduit_telemetry::capacity::measure(handling).instrument(span.clone()).await;
    let dependency_failure = match &outcome {
        Err(ApiError::Unavailable { dependency, .. }) => Some(*dependency),
        _ => None,
    };
    let idempotency = match &outcome {
        Ok(response) if response.headers().contains_key(crate::idempotency::REPLAYED_HEADER) => {
            Some(IdempotencyOutcome::Replayed)
        }
        Err(ApiError::IdempotencyKeyInUse { .. } | ApiError::IdempotencyKeyReused) => {
            Some(IdempotencyOutcome::Conflict)
        }
        _ => None,
    };
    let _entered = span.enter();
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => {
            if let ApiError::Internal(cause) = &error {
                tracing::error!(error = %ErrorChain(cause.as_ref()), "request failed");
            } else if let ApiError::Unavailable { dependency, cause } = &error {
                tracing::warn!(dependency, error = %ErrorChain(cause.as_ref()), "dependency unavailable");
            } else {
                tracing::info!(status = error.status().as_u16(), error = %error, "request refused");
            }
            error.into_response(&context.request_id)
        }
    };
    add_security_headers(&mut response, private);
    attributes::http_response(&span, response.status().as_u16());
    let metrics = RequestMetrics {
        route: &context.route,
        status: response.status().as_u16(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        cold_start,
        capacity,
        business_event: E::BUSINESS_EVENT,
        dependency_failure,
        idempotency,
    };
    tracing::info!(
        status = metrics.status,
        latency_ms = metrics.latency_ms,
        dynamodb_read_units = capacity.read_units,
        dynamodb_write_units = capacity.write_units,
        dynamodb_calls = capacity.calls,
        dynamodb_round_trips = capacity.round_trips,
        "request completed"
    );
    metrics.emit();
    response
}

/// Headers every answer of a function carries, successes and refusals alike (API Gateway's own
/// answers are the exception: an HTTP API cannot add headers to them).
fn add_security_headers(response: &mut Response<Body>, private: bool) {
    let headers = response.headers_mut();
    // Browsers must take every answer for what its Content-Type says (no sniffing a JSON error
    // into HTML).
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    // Browsers that saw one answer over HTTPS refuse plain HTTP to this host for a year, so a
    // token is never sent where the network can read it (ASVS V14.4.5).
    headers.insert(header::STRICT_TRANSPORT_SECURITY, header::HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    // A token or someone's account must not stay in a browser's or a proxy's cache, where the
    // next user of the machine or the proxy could read it (ASVS V8.2.1). The decision is by
    // request, not by outcome, so a refusal of such a request carries it too: harmless, and one
    // rule. Anonymous public reads stay cacheable.
    if private {
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(NO_STORE));
    }
}

/// At least a year, as ASVS V14.4.5 asks, and the API's subdomains too.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";
/// Answers that carry a token or account data: kept by no cache at all.
pub const NO_STORE: &str = "no-store";

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
        method: request.method().to_string(),
        route: route.unwrap_or_default(),
    }
}

/// The time budget of an endpoint that calls no dependency (the documents, the 404).
pub const CALLS_NOTHING_BUDGET: Duration = Duration::from_secs(1);

/// The dependency a request that outlived its time budget is counted against.
pub const REQUEST_DEADLINE: &str = "RequestDeadline";

/// Time kept back from Lambda's own deadline to answer, log and emit metrics.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// The request's budget, shortened when Lambda's deadline for this invocation comes sooner (the
/// local gateway sets no deadline).
fn within_invocation_deadline(request: &Request, time_budget: Duration) -> Duration {
    let deadline_ms = request.lambda_context_ref().map_or(0, |context| context.deadline);
    if deadline_ms == 0 {
        return time_budget;
    }
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms)).saturating_sub(ANSWER_MARGIN);
    time_budget.min(left)
}

/// Serves the endpoint on the Lambda runtime until the container is shut down; each request gets
/// `time_budget` at most (see `conduit_aws::budget`).
pub async fn run<E: Endpoint>(endpoint: E, time_budget: Duration) -> Result<(), lambda_http::Error> {
    serve(erase(endpoint, time_budget)).await
}

/// The Lambda runtime's serving loop for any endpoint. A plain function returning a boxed future,
/// on purpose: the runtime (its HTTP client, event parsing and service layers) is then compiled
/// once, in this crate, rather than once in each function's binary, as an `async fn` would be.
/// Not `Send`: the runtime's loop is not, and it runs on the main task. Each invocation is traced
/// (`InvocationTracing`), its spans flushed once the answer is posted.
pub fn serve(handler: DynHandler) -> LocalBoxFuture<'static, Result<(), lambda_http::Error>> {
    Box::pin(async move {
        lambda_http::runtime(service_fn(move |request: Request| {
            let handler = Arc::clone(&handler);
            async move { Ok::<_, Infallible>(handler(request).await) }
        }))
        .layer(InvocationTracing::new(Trigger::Http))
        .run()
        .await
        .map_err(conduit_telemetry::process::runtime_stopped)
    })
}

/// An endpoint behind a uniform type, for hosts that serve many of them (the local gateway).
pub type DynHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;

pub fn erase<E: Endpoint>(endpoint: E, time_budget: Duration) -> DynHandler {
    let endpoint = Arc::new(endpoint);
    Arc::new(move |request| {
        let endpoint = Arc::clone(&endpoint);
        Box::pin(async move { respond(endpoint.as_ref(), request, time_budget).await })
    })
}

#[cfg(test)]
mod tests {
    use lambda_http::http;

    use super::*;

    /// An endpoint that answers 200 to `GET` and refuses anything else with a 404.
    struct Sample<const PRIVATE: bool>;

    impl<const PRIVATE: bool> Endpoint for Sample<PRIVATE> {
        const PRIVATE: bool = PRIVATE;

        async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
            match request.method().as_str() {
                "GET" => Ok(crate::response::ok(&"fine")),
                _ => Err(ApiError::NotFound("thing")),
            }
        }
    }

    fn request(method: &str, authorization: Option<&str>) -> Request {
        let mut builder = http::Request::builder().method(method).uri("/api/things");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(Body::Empty).expect("request")
    }

    async fn headers_of<E: Endpoint>(endpoint: E, request: Request) -> (u16, http::HeaderMap) {
        let response = respond(&endpoint, request, CALLS_NOTHING_BUDGET).await;
        (response.status().as_u16(), response.headers().clone())
    }

    #[tokio::test]
    async fn every_answer_carries_hsts_and_nosniff_successes_and_refusals_alike() {
        for method in ["GET", "POST"] {
            // When a public endpoint answers an anonymous request
            let (status, headers) = headers_of(Sample::<false>, request(method, None)).await;

            // Then the answer, 200 or 404, forbids sniffing and plain HTTP for a year
            assert!(status == 200 || status == 404, "{status}");
            assert_eq!(headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
            assert_eq!(headers["x-content-type-options"], "nosniff");
            // ...and stays cacheable: it is the same for everyone
            assert!(!headers.contains_key("cache-control"), "{method}: {headers:?}");
        }
    }

    #[tokio::test]
    async fn a_request_with_a_token_is_answered_no_store_even_when_refused() {
        for method in ["GET", "POST"] {
            // When a public endpoint answers a request that carries a token
            let (_, headers) = headers_of(Sample::<false>, request(method, Some("Token abc"))).await;

            // Then no cache may keep the answer: it may be personalised
            assert_eq!(headers["cache-control"], "no-store", "{method}");
        }
    }

    #[tokio::test]
    async fn a_private_endpoint_answers_no_store_to_anonymous_requests_too() {
        // When an endpoint whose answers carry a token or an account answers without a token sent
        let (_, headers) = headers_of(Sample::<true>, request("GET", None)).await;

        // Then no cache may keep the answer
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
    }
}
