//! Work that continues a request's trace elsewhere (a stream record the request wrote): the
//! request's `traceparent`, stored with what it wrote, makes the consumer's span a child of the
//! request's, in its trace, and linked to the invocation that ran it. Also: a host's own span
//! processor sees every span, even with no exporter configured.

use std::sync::{Arc, Mutex};

use conduit_telemetry::traces::sdk::error::OTelSdkResult;
use conduit_telemetry::traces::sdk::trace::{SimpleSpanProcessor, SpanData, SpanExporter};
use conduit_telemetry::traces::{
    ExporterChoice, TracesError, TracesSetup, continue_trace, current_traceparent, link_to_current,
};
use tracing::Instrument;

/// Keeps what it is given, as the local gateway's recent traces do.
#[derive(Debug, Clone, Default)]
struct Kept(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Kept {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().expect("lock").extend(batch);
        Ok(())
    }
}

#[tokio::test]
async fn a_stored_traceparent_parents_the_consumers_span_in_the_requests_trace() {
    // Given a host that keeps every span, with no exporter.
    let kept = Kept::default();
    let setup = TracesSetup::new("conduit-local", ExporterChoice::None)
        .with_span_processor(SimpleSpanProcessor::new(kept.clone()));
    conduit_telemetry::init_with_traces(setup).expect("installed with the host's processor");

    // When a request stores its traceparent...
    let stored = async { current_traceparent() }.instrument(tracing::info_span!("request")).await.expect("traced");
    // ...and a consumer's invocation handles the record, parenting the record's span to it.
    async {
        let record = tracing::info_span!("record");
        continue_trace(&record, &stored).expect("parented");
        link_to_current(&record);
        async {}.instrument(record).await;
    }
    .instrument(tracing::info_span!("invocation"))
    .await;

    // Then the record's span is the request's child, in its trace, linked to the invocation.
    let spans = kept.0.lock().expect("lock").clone();
    let find = |name: &str| spans.iter().find(|span| span.name == name).unwrap_or_else(|| panic!("{name}: {spans:?}"));
    let (request, record, invocation) = (find("request"), find("record"), find("invocation"));
    assert_eq!(stored, format!("00-{}-{}-01", request.span_context.trace_id(), request.span_context.span_id()));
    assert_eq!(record.span_context.trace_id(), request.span_context.trace_id());
    assert_eq!(record.parent_span_id, request.span_context.span_id());
    assert_eq!(record.links.links[0].span_context, invocation.span_context);

    // And a traceparent that is not one, or one given too late, is refused.
    assert!(matches!(continue_trace(&tracing::info_span!("record"), "garbage"), Err(TracesError::Traceparent(_))));
    let refused_within_a_span = async { continue_trace(&tracing::info_span!("record"), "garbage") }
        .instrument(tracing::info_span!("invocation"))
        .await;
    assert!(matches!(refused_within_a_span, Err(TracesError::Traceparent(_))), "{refused_within_a_span:?}");
    let started = tracing::info_span!("record");
    let _entered = started.enter();
    assert!(matches!(continue_trace(&started, &stored), Err(TracesError::SpanStarted)));
}
