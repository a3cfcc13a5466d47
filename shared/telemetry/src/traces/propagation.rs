//! Carrying a trace across work that runs elsewhere and later (a stream record written by a
//! request and handled by a consumer): the writer stores its span's W3C `traceparent`, the reader
//! parents its own span to it and links the invocation it runs in.
//!
//! A parent, not only a link: X-Ray shows no links, so only a parent puts the reader's work in
//! the writer's trace there. Every function here is a no-op without a pipeline.

use std::collections::HashMap;

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::{OpenTelemetrySpanExt, SetParentError};

use super::TracesError;

const TRACEPARENT: &str = "traceparent";

/// The attribute a writer stores its `traceparent` under, on the items whose stream records a
/// consumer acts on: the repository writes it, the stream consumers read it.
pub const TRACE_PARENT_ATTRIBUTE: &str = "trace_parent";

/// The W3C `traceparent` of the current span (`00-<trace id>-<span id>-<flags>`), when traced.
pub fn current_traceparent() -> Option<String> {
    traceparent_of(&Span::current())
}

/// The W3C `traceparent` of `span`, when traced. Starts the span's trace data if it had not.
pub fn traceparent_of(span: &Span) -> Option<String> {
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Makes `span` a child of the span `traceparent` names. Call it before the span is first entered
/// (or its context read): a started span keeps its parent. The stored flags decide sampling, so
/// work done for an unsampled request is not traced either.
pub fn continue_trace(span: &Span, traceparent: &str) -> Result<(), TracesError> {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.trim().to_owned())]);
    // From an empty context: `extract` starts from the current one and answers it unchanged for a
    // value that is no traceparent, which would parent the span to whatever span is current.
    let parent = TraceContextPropagator::new().extract_with_context(&Context::new(), &carrier);
    if !parent.span().span_context().is_valid() {
        return Err(TracesError::Traceparent(traceparent.to_owned()));
    }
    match span.set_parent(parent) {
        Ok(()) => Ok(()),
        Err(SetParentError::AlreadyStarted) => Err(TracesError::SpanStarted),
        // Traces are off, or this span is not traced: nothing to parent.
        Err(_) => Ok(()),
    }
}

/// Links `span` to the current span (the invocation a stream record is handled in, say): OTLP
/// backends show both the trace it continues and the invocation that ran it.
pub fn link_to_current(span: &Span) {
    let current = Span::current().context();
    let current = current.span().span_context().clone();
    span.add_link(current);
}
