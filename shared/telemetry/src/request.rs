//! The request span: the context every log line of a request carries, and the request's span in
//! its trace (every field is an attribute there too, the request id indexed in X-Ray).

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::Span;
use tracing::field::Empty;

/// True until the first request of this process has started: that request paid the cold start.
static COLD: AtomicBool = AtomicBool::new(true);

/// What is known about a request when it arrives.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub request_id: String,
    /// The X-Ray trace header's `Root=...;Parent=...;Sampled=...` value, when Lambda passes one.
    pub trace_id: Option<String>,
    pub function: String,
    /// The HTTP method, for the trace (the route names it too, but not for the fallback route).
    pub method: String,
    /// API Gateway's route key, e.g. `GET /api/articles/{slug}`.
    pub route: String,
}

impl RequestContext {
    /// Opens the span of one request. `user_id` is recorded once known ([`record_user`]); the
    /// returned flag tells whether this request is the process's first (a cold start).
    pub fn span(&self) -> (Span, bool) {
        let cold_start = COLD.swap(false, Ordering::Relaxed);
        let span = tracing::info_span!(
            "request",
            request_id = %self.request_id,
            trace_id = self.trace_id.as_deref().unwrap_or(""),
            function = %self.function,
            route = %self.route,
            cold_start,
            user_id = Empty,
        );
        crate::traces::attributes::http_request(&span, &self.method, &self.route);
        (span, cold_start)
    }
}

/// Adds the caller's id to the current request's log lines.
pub fn record_user(user_id: &str) {
    Span::current().record("user_id", user_id);
}
