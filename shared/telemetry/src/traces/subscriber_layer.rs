//! The `tracing` layer that turns spans into OpenTelemetry spans.
//!
//! It sees spans only, never events: a log line inside a span would otherwise become a span
//! event, copying into traces what the log filter keeps out of logs (the dependencies' lines
//! below WARN carry secrets) and bloating every segment. And only spans of our own code and the
//! Lambda runtime's invocation span, at INFO or above: the AWS SDK's and the HTTP stack's spans
//! are replaced by our own span per AWS call (`attributes::aws_call`). The layer has a filter of
//! its own, apart from the log level: `LOG_LEVEL=ERROR` quiets logs, not traces.

use tracing::{Level, Metadata};
use tracing_subscriber::filter::FilterFn;
use tracing_subscriber::{Layer, Registry};

use super::Traces;
use crate::logging::QUIET_TARGETS;

/// The Lambda runtime's span of one invocation (`lambda_runtime::layers::otel`).
const INVOCATION_SPAN_TARGET: &str = "lambda_runtime::layers::otel";

pub fn layer(traces: &Traces) -> Box<dyn Layer<Registry> + Send + Sync> {
    tracing_opentelemetry::layer()
        .with_tracer(traces.tracer().clone())
        // Attributes X-Ray and OTLP backends would store on every span for nothing.
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_tracked_inactivity(false)
        .with_filter(FilterFn::new(traced))
        .boxed()
}

/// Whether a callsite becomes an OpenTelemetry span.
pub fn traced(metadata: &Metadata<'_>) -> bool {
    let target = metadata.target();
    metadata.is_span()
        && *metadata.level() <= Level::INFO
        && (target.starts_with(INVOCATION_SPAN_TARGET) || !QUIET_TARGETS.iter().any(|quiet| target.starts_with(quiet)))
}

#[cfg(test)]
mod tests {
    use tracing::{Level, callsite::Identifier, field::FieldSet, metadata::Kind};

    use super::*;

    fn metadata(target: &'static str, level: Level, kind: Kind) -> Metadata<'static> {
        struct Callsite;
        impl tracing::callsite::Callsite for Callsite {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unimplemented!()
            }
        }
        static CALLSITE: Callsite = Callsite;
        Metadata::new("name", target, level, None, None, None, FieldSet::new(&[], Identifier(&CALLSITE)), kind)
    }

    #[test]
    fn our_spans_and_the_invocation_span_are_traced() {
        for target in ["conduit_http::endpoint", "register_user", "conduit_repository::table", INVOCATION_SPAN_TARGET] {
            assert!(traced(&metadata(target, Level::INFO, Kind::SPAN)), "{target}");
        }
    }

    #[test]
    fn no_log_line_and_no_dependency_span_becomes_part_of_a_trace() {
        // Events (log lines) of any target, ours too: they stay in the logs.
        for target in ["conduit_http::endpoint", "aws_smithy_runtime::client::http", "lambda_runtime::layers::otel"] {
            assert!(!traced(&metadata(target, Level::ERROR, Kind::EVENT)), "{target}");
        }
        // The dependencies' spans (the SDK's own per-call spans carry no attribute X-Ray reads).
        for target in
            ["aws_sdk_dynamodb::operation", "lambda_runtime::layers::trace", "hyper_util::client", "opentelemetry_sdk"]
        {
            assert!(!traced(&metadata(target, Level::INFO, Kind::SPAN)), "{target}");
        }
        // Our own spans below INFO.
        assert!(!traced(&metadata("conduit_http::endpoint", Level::DEBUG, Kind::SPAN)));
    }
}
