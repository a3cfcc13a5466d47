//! Tracing of each Lambda invocation, as a layer of the Lambda runtime: the runtime's own
//! OpenTelemetry layer opens the invocation's span (`faas.*` attributes, the invocation id as
//! `faas.invocation_id`) and flushes once its inner service has posted the answer, so the export
//! is off the response path though inside the billed duration (the Runtime API offers no later
//! point without an extension). Around it, the parent: in X-Ray mode the invocation's span is a
//! child of the segment Lambda records for the invocation, which its trace header names, and is
//! sampled as Lambda decided.
//!
//! ```ignore
//! lambda_runtime::Runtime::new(handler).layer(InvocationTracing::new(Trigger::Http)).run().await
//! ```

use std::task::{Context, Poll};

use lambda_runtime::LambdaInvocation;
pub use lambda_runtime::layers::OpenTelemetryFaasTrigger as Trigger;
use lambda_runtime::layers::OpenTelemetryLayer;
use lambda_runtime::tower::{Layer, Service};
use opentelemetry::trace::TraceContextExt;

use super::ExporterChoice;

/// The layer: add it to the runtime last, so it is the outermost.
#[derive(Clone, Copy)]
pub struct InvocationTracing {
    trigger: Trigger,
}

impl InvocationTracing {
    /// `trigger` is what invokes the function (`faas.trigger`: `http` for API Gateway,
    /// `datasource` for a stream, `other` for the rest).
    pub fn new(trigger: Trigger) -> Self {
        Self { trigger }
    }
}

type Flush = fn();
type InvocationSpan<S> = <OpenTelemetryLayer<Flush> as Layer<S>>::Service;

impl<S> Layer<S> for InvocationTracing {
    type Service = UnderLambdasSegment<InvocationSpan<S>>;

    fn layer(&self, inner: S) -> Self::Service {
        let flush: Flush = super::flush;
        UnderLambdasSegment { inner: OpenTelemetryLayer::new(flush).with_trigger(self.trigger).layer(inner) }
    }
}

/// Makes the span opened inside it a child of Lambda's segment for the invocation.
pub struct UnderLambdasSegment<S> {
    inner: S,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for UnderLambdasSegment<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        // The span is created, with the context current now as its parent, inside this call.
        let parent = lambdas_segment(invocation.context.xray_trace_id.as_deref());
        let _attached = parent.map(opentelemetry::Context::attach);
        self.inner.call(invocation)
    }
}

/// The context of Lambda's segment from the invocation's trace header, in X-Ray mode only: an
/// OTLP backend never receives Lambda's segment, so there the invocation is the trace's root.
fn lambdas_segment(trace_header: Option<&str>) -> Option<opentelemetry::Context> {
    if !matches!(super::installed()?.exporter(), ExporterChoice::Xray { .. }) {
        return None;
    }
    let segment = opentelemetry_aws::trace::xray_propagator::span_context_from_str(trace_header?)?;
    Some(opentelemetry::Context::new().with_remote_span_context(segment))
}
