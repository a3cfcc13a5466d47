//! Traces: the spans of `tracing` (the invocation, the request, the use case, every AWS call),
//! exported with OpenTelemetry.
//!
//! Where they go is chosen once, at start, from the environment ([`ExporterChoice`]): to X-Ray
//! through the daemon endpoint Lambda runs beside a traced function (the deployed default), to
//! any OTLP/HTTP backend the standard `OTEL_EXPORTER_OTLP_*` variables name, or nowhere, in which
//! case no provider is installed and tracing costs nothing but the spans the logs use anyway.
//!
//! Use:
//! * at start, [`install`] the pipeline (before the log subscriber, which takes the installed
//!   tracer: `crate::init` does both); hosts that want the spans too (the local gateway) add their
//!   own processor with [`TracesSetup::with_span_processor`];
//! * a Lambda runtime takes [`lambda::InvocationTracing`] as a layer: the invocation's span, under
//!   Lambda's own X-Ray segment, and the flush once the answer is posted;
//! * spans carry the semantic conventions' attributes through [`attributes`];
//! * work that continues a trace elsewhere stores [`current_traceparent`] and parents its span
//!   with [`continue_trace`].

pub mod attributes;
mod exporter_choice;
pub mod lambda;
mod otlp;
mod pipeline;
mod propagation;
mod subscriber_layer;
mod xray_daemon;

use std::sync::OnceLock;

pub use exporter_choice::{ExporterChoice, TRACES_EXPORTER_VARIABLE};
/// The OpenTelemetry API and SDK of the pipeline, for hosts that add a processor or an exporter
/// of their own (the same versions as the pipeline's, so the types line up).
pub use opentelemetry;
pub use opentelemetry_sdk as sdk;
pub use pipeline::{Traces, TracesSetup};
pub use propagation::{TRACE_PARENT_ATTRIBUTE, continue_trace, current_traceparent, link_to_current, traceparent_of};
pub(crate) use subscriber_layer::layer as subscriber_layer;

/// Why traces could not be set up. Tracing never stops a function: the caller logs this and runs
/// without traces.
#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    #[error("{variable}={value} names no traces exporter (xray, otlp or none)")]
    UnknownExporter { variable: &'static str, value: String },
    #[error("the X-Ray daemon address {0:?} is not an IP address and port")]
    DaemonAddress(String),
    #[error("cannot open a socket to the X-Ray daemon")]
    DaemonSocket(#[source] std::io::Error),
    #[error("cannot build the OTLP exporter")]
    Otlp(#[source] opentelemetry_otlp::ExporterBuildError),
    #[error("OTLP export needs a tokio runtime to send from; none is running")]
    NoRuntime,
    #[error("traces are already installed in this process")]
    AlreadyInstalled,
    #[error("{0:?} is not a W3C traceparent")]
    Traceparent(String),
    #[error("the span has started already: its parent can no longer change")]
    SpanStarted,
}

/// The process's pipeline; kept for the process's life (dropping the last provider shuts it down).
static INSTALLED: OnceLock<Traces> = OnceLock::new();

/// Builds the pipeline `setup` describes and keeps it for the process. `Ok(None)` when it exports
/// nowhere: nothing is installed then.
pub fn install(setup: TracesSetup) -> Result<Option<&'static Traces>, TracesError> {
    let Some(traces) = setup.build()? else { return Ok(None) };
    INSTALLED.set(traces).map_err(|_| TracesError::AlreadyInstalled)?;
    Ok(INSTALLED.get())
}

/// The installed pipeline, if any.
pub fn installed() -> Option<&'static Traces> {
    INSTALLED.get()
}

/// Exports every span ended so far, waiting a bounded time (the exporter's timeout, and at most
/// the SDK's five seconds for a flush); a no-op without a pipeline. A failure is logged, never
/// returned: a trace lost must not fail the invocation.
pub fn flush() {
    if let Some(traces) = installed() {
        traces.flush();
    }
}
