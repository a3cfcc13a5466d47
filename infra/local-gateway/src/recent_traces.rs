//! The spans of the most recent traces, kept in memory for `GET /_local/traces`: a span exporter
//! the tracer provider hands each span as it ends (through a simple processor, so a span is there
//! as soon as it ends). Bounded twice: at most so many traces (the one a span ended in last is
//! kept longest) and so many spans per trace (a fan-out to many followers is one trace of many
//! calls; the spans past the bound are counted, not kept).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use conduit_telemetry::traces::opentelemetry::trace::TraceId;
use conduit_telemetry::traces::sdk::error::OTelSdkResult;
use conduit_telemetry::traces::sdk::trace::{SpanData, SpanExporter};

/// How much is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentTraceLimits {
    /// Traces kept (`--recent-traces`).
    pub traces: usize,
    /// Spans kept of one trace (`--spans-per-trace`).
    pub spans_per_trace: usize,
}

impl Default for RecentTraceLimits {
    /// Enough to look back at the last few minutes of trying the API by hand, or at one test.
    fn default() -> Self {
        Self { traces: 50, spans_per_trace: 1000 }
    }
}

/// One trace as kept: its spans in the order they ended.
#[derive(Debug, Clone)]
pub struct RecentTrace {
    pub trace_id: TraceId,
    pub spans: Vec<SpanData>,
    /// Spans that ended past [`RecentTraceLimits::spans_per_trace`], not kept.
    pub dropped_spans: u64,
}

/// The recent traces; clones share them (the exporter's and the gateway's).
#[derive(Debug, Clone)]
pub struct RecentTraces {
    limits: RecentTraceLimits,
    /// The trace a span ended in last first.
    traces: Arc<Mutex<VecDeque<RecentTrace>>>,
}

impl RecentTraces {
    pub fn new(limits: RecentTraceLimits) -> Self {
        Self { limits, traces: Arc::new(Mutex::new(VecDeque::new())) }
    }

    pub fn limits(&self) -> RecentTraceLimits {
        self.limits
    }

    /// The traces kept, the one a span ended in last first.
    pub fn traces(&self) -> Vec<RecentTrace> {
        self.kept().iter().cloned().collect()
    }

    fn keep(&self, spans: Vec<SpanData>) {
        let mut traces = self.kept();
        for span in spans {
            let trace_id = span.span_context.trace_id();
            let position = traces.iter().position(|trace| trace.trace_id == trace_id);
            let mut trace = position.and_then(|index| traces.remove(index)).unwrap_or_else(|| RecentTrace {
                trace_id,
                spans: Vec::new(),
                dropped_spans: 0,
            });
            if trace.spans.len() < self.limits.spans_per_trace {
                trace.spans.push(span);
            } else {
                trace.dropped_spans += 1;
            }
            traces.push_front(trace);
            traces.truncate(self.limits.traces);
        }
    }

    /// The traces, even if a thread panicked holding them (what it left is still worth showing).
    fn kept(&self) -> std::sync::MutexGuard<'_, VecDeque<RecentTrace>> {
        self.traces.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SpanExporter for RecentTraces {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.keep(batch);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;
    use std::time::{Duration, SystemTime};

    use conduit_telemetry::traces::opentelemetry::InstrumentationScope;
    use conduit_telemetry::traces::opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceState,
    };
    use conduit_telemetry::traces::sdk::trace::{SpanEvents, SpanLinks};

    use super::*;

    /// A span of trace `trace` (a number standing for its id), `span` its own id, under `parent`
    /// (0 for none), lasting a millisecond.
    pub(crate) fn span(trace: u128, span: u64, parent: u64, name: &'static str) -> SpanData {
        timed_span(trace, span, parent, name, 0, 1)
    }

    /// Like [`span`], starting `start_ms` after a fixed time and lasting `duration_ms`.
    pub(crate) fn timed_span(
        trace: u128,
        span: u64,
        parent: u64,
        name: &'static str,
        start_ms: u64,
        duration_ms: u64,
    ) -> SpanData {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_millis(start_ms);
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(trace),
                SpanId::from(span),
                TraceFlags::SAMPLED,
                false,
                TraceState::default(),
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: Cow::Borrowed(name),
            start_time: start,
            end_time: start + Duration::from_millis(duration_ms),
            attributes: Vec::new(),
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("conduit").build(),
        }
    }

    fn kept(recent: &RecentTraces) -> Vec<(u128, usize, u64)> {
        let id = |trace: &RecentTrace| u128::from_be_bytes(trace.trace_id.to_bytes());
        recent.traces().iter().map(|trace| (id(trace), trace.spans.len(), trace.dropped_spans)).collect()
    }

    #[tokio::test]
    async fn only_the_most_recent_traces_are_kept_the_one_a_span_ended_in_last_first() {
        // Given room for two traces
        let recent = RecentTraces::new(RecentTraceLimits { traces: 2, spans_per_trace: 10 });

        // When spans of three traces end, the first one's again after the second's
        recent.export(vec![span(1, 11, 0, "request")]).await.expect("kept");
        recent.export(vec![span(2, 21, 0, "request")]).await.expect("kept");
        recent.export(vec![span(1, 12, 11, "record")]).await.expect("kept");
        recent.export(vec![span(3, 31, 0, "request")]).await.expect("kept");

        // Then the two traces a span ended in last are kept, the newest first
        assert_eq!(kept(&recent), [(3, 1, 0), (1, 2, 0)]);
    }

    #[tokio::test]
    async fn the_spans_of_a_trace_past_its_bound_are_counted_not_kept() {
        // Given room for three spans per trace
        let recent = RecentTraces::new(RecentTraceLimits { traces: 5, spans_per_trace: 3 });

        // When a trace has five
        let spans = (1..=5).map(|id| span(7, id, 0, "aws_call")).collect();
        recent.export(spans).await.expect("kept");

        // Then three are kept and two counted
        assert_eq!(kept(&recent), [(7, 3, 2)]);
        let ids: Vec<_> = recent.traces()[0].spans.iter().map(|span| span.span_context.span_id()).collect();
        assert_eq!(ids, [SpanId::from(1), SpanId::from(2), SpanId::from(3)], "the first to end");
    }

    #[tokio::test]
    async fn no_room_keeps_nothing() {
        let recent = RecentTraces::new(RecentTraceLimits { traces: 0, spans_per_trace: 10 });

        recent.export(vec![span(1, 11, 0, "request")]).await.expect("kept");

        assert!(recent.traces().is_empty());
    }
}
