//! `GET /_local/traces.html`: the recent traces as a page, each a waterfall: its spans as a tree
//! (children indented under their parent, in the order they started), each with its duration and
//! a bar placed on the trace's timeline, its attributes and links one click away.
//!
//! Self-contained and strict: no script, no external resource; the bars are SVG rectangles placed
//! by their attributes, and the one stylesheet is allowed by its hash
//! ([`content_security_policy`]).

use std::collections::HashSet;
use std::sync::LazyLock;

use base64::Engine;
use conduit_telemetry::traces::opentelemetry::trace::{SpanId, Status};
use conduit_telemetry::traces::opentelemetry::{Array, Value as AttributeValue};
use conduit_telemetry::traces::sdk::trace::SpanData;
use sha2::{Digest, Sha256};

use crate::html::escape;
use crate::recent_traces::{RecentTrace, RecentTraces};
use crate::trace_view::{by_start, extent, kind, millis_between, roots, timestamp};

/// Indentation steps styled; deeper spans are indented as much as the last.
const DEPTHS: usize = 16;

/// The attributes shown beside a span's name (all of them are in its details).
const SUMMARY_ATTRIBUTES: &[&str] =
    &["http.route", "http.response.status_code", "aws.dynamodb.table_names", "consumer", "event_name"];

static STYLE: LazyLock<String> = LazyLock::new(|| {
    let mut style = String::from(
        "body { font-family: sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; color: #333; }\n\
         section { border: 1px solid #ddd; border-radius: 4px; margin: 1rem 0; padding: 0 1rem 1rem; }\n\
         h2 { font-size: 1.1rem; } .meta { color: #666; font-size: .9rem; }\n\
         table { border-collapse: collapse; width: 100%; table-layout: fixed; }\n\
         td { border-top: 1px solid #eee; padding: .2rem .4rem; vertical-align: top; font-size: .9rem; }\n\
         td.name { width: 45%; overflow-wrap: anywhere; } td.ms { width: 6rem; text-align: right; }\n\
         .summary { color: #666; } .failed { color: #b00020; font-weight: bold; }\n\
         details { font-size: .8rem; } dl { display: grid; grid-template-columns: max-content 1fr; gap: 0 .75rem; margin: .25rem 0; }\n\
         dt { color: #666; } dd { margin: 0; overflow-wrap: anywhere; }\n\
         rect { fill: #7a8ca3; } rect.server { fill: #2f6fb0; } rect.client { fill: #3c9a5f; }\n\
         rect.consumer, rect.producer { fill: #a0703c; } rect.error { fill: #b00020; }\n",
    );
    for depth in 1..DEPTHS {
        style.push_str(&format!(".d{depth} {{ padding-left: {:.2}rem; }}\n", 0.4 + 1.25 * depth as f64));
    }
    style
});

/// The page's policy: nothing but its own stylesheet, by hash; no script, frame, form or base.
pub(crate) fn content_security_policy() -> &'static str {
    static POLICY: LazyLock<String> = LazyLock::new(|| {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    });
    &POLICY
}

/// The page; `json_path` serves the same traces as JSON.
pub(crate) fn page(recent: &RecentTraces, json_path: &str) -> String {
    let traces = recent.traces();
    let limits = recent.limits();
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Local traces</title>\n\
         <style>{style}</style>\n</head>\n<body>\n<h1>Local traces</h1>\n\
         <p>{count} kept by the local gateway (at most {most}, {spans} spans each), the one a span ended in last \
         first; reload for new ones. As JSON: <a href=\"{json_path}\">{json_path}</a>.</p>\n",
        style = *STYLE,
        count = match traces.len() {
            1 => "1 trace".to_owned(),
            count => format!("{count} traces"),
        },
        most = limits.traces,
        spans = limits.spans_per_trace,
    );
    for trace in &traces {
        html.push_str(&trace_section(trace));
    }
    html.push_str("</body>\n</html>\n");
    html
}

fn trace_section(trace: &RecentTrace) -> String {
    let spans = by_start(trace);
    let (started, ended) = extent(&spans);
    let total_ms = millis_between(started, ended);
    let roots = roots(&spans);
    let title = roots.first().map_or_else(String::new, |root| format!("{}{}", root.name, summary(root)));
    let started_at = timestamp(started);
    let not_kept = match trace.dropped_spans {
        0 => String::new(),
        dropped => format!(", {dropped} more not kept"),
    };
    let mut html = format!(
        "<section id=\"trace-{id}\">\n<h2>{title} <span class=\"summary\">{total_ms:.2} ms</span></h2>\n\
         <p class=\"meta\">Trace <code>{id}</code>, started {started_at}, {count}{not_kept}</p>\n<table>\n",
        id = trace.trace_id,
        title = escape(&title),
        started_at = started_at.to_iso8601(),
        count = match spans.len() {
            1 => "1 span".to_owned(),
            count => format!("{count} spans"),
        },
    );
    let mut shown = HashSet::new();
    for root in roots {
        row_and_children(&mut html, root, 0, &spans, &mut shown, (started, total_ms));
    }
    html.push_str("</table>\n</section>\n");
    html
}

/// One span's row, then its children's, depth first (each span once, whatever its ids say).
fn row_and_children(
    html: &mut String,
    span: &SpanData,
    depth: usize,
    spans: &[&SpanData],
    shown: &mut HashSet<SpanId>,
    timeline: (std::time::SystemTime, f64),
) {
    if !shown.insert(span.span_context.span_id()) {
        return;
    }
    let (trace_started, total_ms) = timeline;
    let offset = percent(millis_between(trace_started, span.start_time), total_ms);
    let width = percent(millis_between(span.start_time, span.end_time), total_ms).max(0.2).min(100.0 - offset);
    let failed = matches!(span.status, Status::Error { .. });
    html.push_str(&format!(
        "<tr><td class=\"name d{depth}\"><span{failed_class}>{name}</span><span class=\"summary\">{summary}</span>{details}</td>\
         <td class=\"ms\">{duration:.2} ms</td>\
         <td><svg width=\"100%\" height=\"12\" aria-hidden=\"true\"><rect class=\"{kind}{error}\" x=\"{offset:.3}%\" width=\"{width:.3}%\" height=\"12\"/></svg></td></tr>\n",
        depth = depth.min(DEPTHS - 1),
        failed_class = if failed { " class=\"failed\"" } else { "" },
        name = escape(&span.name),
        summary = escape(&summary(span)),
        details = details(span),
        duration = millis_between(span.start_time, span.end_time),
        kind = kind(&span.span_kind),
        error = if failed { " error" } else { "" },
    ));
    let id = span.span_context.span_id();
    for child in spans.iter().filter(|child| child.parent_span_id == id) {
        row_and_children(html, child, depth + 1, spans, shown, timeline);
    }
}

/// A share of the trace's duration, in percent.
fn percent(part_ms: f64, total_ms: f64) -> f64 {
    if total_ms > 0.0 { (part_ms / total_ms * 100.0).clamp(0.0, 100.0) } else { 0.0 }
}

/// The telling attributes, after the name: ` POST /api/users 201`.
fn summary(span: &SpanData) -> String {
    SUMMARY_ATTRIBUTES
        .iter()
        .filter_map(|key| span.attributes.iter().find(|attribute| attribute.key.as_str() == *key))
        .map(|attribute| format!(" {}", shown(&attribute.value)))
        .collect()
}

/// A value as a person reads it: a list of strings (a call's tables) without brackets and quotes.
fn shown(value: &AttributeValue) -> String {
    match value {
        AttributeValue::Array(Array::String(values)) => {
            values.iter().map(|value| value.as_str()).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Every attribute, the links, the ids and the status, folded away.
fn details(span: &SpanData) -> String {
    let mut entries = vec![
        ("span".to_owned(), format!("<code>{}</code>", span.span_context.span_id())),
        ("kind".to_owned(), kind(&span.span_kind).to_owned()),
    ];
    for attribute in &span.attributes {
        entries.push((escape(attribute.key.as_str()), escape(&shown(&attribute.value))));
    }
    for link in span.links.iter() {
        let (trace, linked) = (link.span_context.trace_id(), link.span_context.span_id());
        entries.push((
            "link".to_owned(),
            format!("span <code>{linked}</code> of trace <a href=\"#trace-{trace}\"><code>{trace}</code></a>"),
        ));
    }
    if let Status::Error { description } = &span.status {
        entries.push(("status".to_owned(), format!("error {}", escape(description))));
    }
    let rows: String = entries.iter().map(|(term, value)| format!("<dt>{term}</dt><dd>{value}</dd>")).collect();
    format!("<details><summary>details</summary><dl>{rows}</dl></details>")
}

#[cfg(test)]
mod tests {
    use conduit_telemetry::traces::opentelemetry::KeyValue;
    use conduit_telemetry::traces::sdk::trace::SpanExporter;

    use super::*;
    use crate::recent_traces::RecentTraceLimits;
    use crate::recent_traces::tests::timed_span;

    #[tokio::test]
    async fn a_trace_is_a_waterfall_of_its_spans_children_under_their_parent() {
        // Given a trace: a request (0-10 ms), its use case (1-9 ms) and a call within (2-5 ms)
        let recent = RecentTraces::new(RecentTraceLimits::default());
        let mut request = timed_span(9, 1, 0, "request", 0, 10);
        request.attributes = vec![KeyValue::new("http.route", "POST /api/users")];
        let mut call = timed_span(9, 3, 2, "DynamoDB.TransactWriteItems", 2, 3);
        call.status = Status::error("");
        let tables = vec!["conduit".into(), "other".into()];
        call.attributes = vec![KeyValue::new("aws.dynamodb.table_names", AttributeValue::Array(Array::String(tables)))];
        recent.export(vec![call, timed_span(9, 2, 1, "RegisterUser", 1, 8), request]).await.expect("kept");

        // When the page is rendered
        let html = page(&recent, "/_local/traces");

        // Then the request heads its trace, and each span is a row one step deeper than its parent
        assert!(html.contains("<h2>request POST /api/users <span class=\"summary\">10.00 ms</span></h2>"), "{html}");
        let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} in {html}"));
        assert!(at("class=\"name d0\"><span>request") < at("class=\"name d1\"><span>RegisterUser"));
        assert!(at("class=\"name d1\"><span>RegisterUser") < at("class=\"name d2\"><span class=\"failed\">DynamoDB"));
        // And a call names its tables, as a person reads them
        assert!(html.contains("TransactWriteItems</span><span class=\"summary\"> conduit, other</span>"), "{html}");
        // And each bar sits where the span ran on the trace's timeline
        assert!(html.contains("<rect class=\"internal error\" x=\"20.000%\" width=\"30.000%\""), "{html}");
    }

    #[test]
    fn the_page_is_escaped_and_loads_nothing_but_its_own_stylesheet() {
        let html = page(&RecentTraces::new(RecentTraceLimits::default()), "/_local/traces");
        let style = format!("<style>{}</style>", *STYLE);

        assert!(html.contains("0 traces kept by the local gateway"));
        assert!(html.contains(&style));
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("http"), "{html}");
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"), "{policy}");
        assert!(!policy.contains("unsafe"));
    }
}
