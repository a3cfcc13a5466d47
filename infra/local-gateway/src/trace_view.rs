//! How the traces routes read a kept trace: its spans in the order they started, its roots, its
//! extent on the clock, a span's kind by name.

use std::time::{SystemTime, UNIX_EPOCH};

use conduit_domain::values::Timestamp;
use conduit_telemetry::traces::opentelemetry::trace::{SpanId, SpanKind};
use conduit_telemetry::traces::sdk::trace::SpanData;

use crate::recent_traces::RecentTrace;

/// The spans of `trace` in the order they started.
pub(crate) fn by_start(trace: &RecentTrace) -> Vec<&SpanData> {
    let mut spans: Vec<&SpanData> = trace.spans.iter().collect();
    spans.sort_by_key(|span| span.start_time);
    spans
}

/// The spans whose parent is not in the trace: the request's, or a record's that continues no
/// trace; also a span whose parent ended past the trace's bound or has not ended yet.
pub(crate) fn roots<'a>(spans: &[&'a SpanData]) -> Vec<&'a SpanData> {
    let present = |id: SpanId| spans.iter().any(|span| span.span_context.span_id() == id);
    spans
        .iter()
        .copied()
        .filter(|span| span.parent_span_id == SpanId::INVALID || !present(span.parent_span_id))
        .collect()
}

/// When the first of `spans` started and the last ended.
pub(crate) fn extent(spans: &[&SpanData]) -> (SystemTime, SystemTime) {
    let started = spans.iter().map(|span| span.start_time).min().unwrap_or(UNIX_EPOCH);
    let ended = spans.iter().map(|span| span.end_time).max().unwrap_or(started);
    (started, ended)
}

/// A span's kind as OTLP's JSON names it, lower case.
pub(crate) fn kind(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Client => "client",
        SpanKind::Server => "server",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
        SpanKind::Internal => "internal",
    }
}

/// Milliseconds from `earlier` to `later`, to the microsecond; 0 when `later` is not later.
pub(crate) fn millis_between(earlier: SystemTime, later: SystemTime) -> f64 {
    let micros = later.duration_since(earlier).map_or(0, |between| between.as_micros());
    micros as f64 / 1000.0
}

/// `time` to the millisecond, as the API's timestamps are written.
pub(crate) fn timestamp(time: SystemTime) -> Timestamp {
    let millis = time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
    Timestamp::from_unix_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}
