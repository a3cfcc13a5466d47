//! AWS X-Ray subsegments for the handler and every AWS call, sent to the X-Ray daemon that Lambda
//! runs beside a traced function (UDP, the daemon's documented JSON segment protocol).
//!
//! Rust has no maintained X-Ray SDK; the protocol is small, so this module speaks it directly
//! rather than pulling in an OpenTelemetry pipeline and collector layer (which would cost cold
//! start time). The trace header (`_X_AMZN_TRACE_ID`, set by the Lambda runtime for each
//! invocation) names the trace and the function's segment; the AWS SDK also forwards it on every
//! request. Nothing is sent when the request is not sampled or no daemon is configured (locally).

use std::net::UdpSocket;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const TRACE_HEADER: &str = "_X_AMZN_TRACE_ID";
const DAEMON_ADDRESS: &str = "AWS_XRAY_DAEMON_ADDRESS";

/// The parts of the trace header a subsegment needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TraceHeader {
    root: String,
    parent: String,
}

/// `Root=1-...;Parent=...;Sampled=1`: `None` unless sampled and complete.
fn parse_trace_header(header: &str) -> Option<TraceHeader> {
    let field = |name: &str| {
        header.split(';').filter_map(|part| part.trim().split_once('=')).find(|(key, _)| *key == name).map(|(_, v)| v)
    };
    if field("Sampled") != Some("1") {
        return None;
    }
    Some(TraceHeader { root: field("Root")?.to_owned(), parent: field("Parent")?.to_owned() })
}

/// `host:port`, or the daemon's `tcp:host:port udp:host:port` form (segments go over UDP).
fn udp_address(configured: &str) -> String {
    configured.split_whitespace().find_map(|part| part.strip_prefix("udp:")).unwrap_or(configured).to_owned()
}

fn daemon() -> Option<&'static (UdpSocket, String)> {
    static DAEMON: OnceLock<Option<(UdpSocket, String)>> = OnceLock::new();
    DAEMON
        .get_or_init(|| {
            let address = udp_address(&std::env::var(DAEMON_ADDRESS).ok()?);
            let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
            Some((socket, address))
        })
        .as_ref()
}

fn seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs_f64()).unwrap_or_default()
}

/// A timed piece of work; sent when finished.
#[must_use = "a subsegment is only sent when finished"]
pub struct Subsegment {
    name: String,
    started: SystemTime,
    namespace: Option<&'static str>,
    aws: Option<Value>,
}

/// Starts timing work named `name` (the function's name for the handler; `DynamoDB`,
/// `SecretsManager` for AWS calls).
pub fn start(name: impl Into<String>) -> Subsegment {
    Subsegment { name: name.into(), started: SystemTime::now(), namespace: None, aws: None }
}

impl Subsegment {
    /// Marks the work as a call to an AWS service, with what X-Ray shows about it
    /// (`operation`, `table_name`, ...).
    pub fn aws_call(mut self, details: Value) -> Self {
        self.namespace = Some("aws");
        self.aws = Some(details);
        self
    }

    /// Sends the subsegment (when the request is traced). `failed` marks it as an error.
    pub fn finish(self, failed: bool) {
        let Some(trace) = std::env::var(TRACE_HEADER).ok().as_deref().and_then(parse_trace_header) else { return };
        let Some((socket, address)) = daemon() else { return };
        let document = self.document(&trace, SystemTime::now(), failed);
        let datagram = format!("{{\"format\":\"json\",\"version\":1}}\n{document}");
        // Best effort, like every X-Ray SDK: tracing must never fail a request.
        let _ = socket.send_to(datagram.as_bytes(), address.as_str());
    }

    fn document(&self, trace: &TraceHeader, ended: SystemTime, failed: bool) -> Value {
        let id = format!("{:016x}", ulid::Ulid::new().random() as u64);
        let mut document = json!({
            "name": self.name,
            "id": id,
            "trace_id": trace.root,
            "parent_id": trace.parent,
            "type": "subsegment",
            "start_time": seconds(self.started),
            "end_time": seconds(ended),
            "error": failed,
        });
        if let Some(namespace) = self.namespace {
            document["namespace"] = json!(namespace);
        }
        if let Some(aws) = &self.aws {
            document["aws"] = aws.clone();
        }
        document
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sampled_complete_headers_are_traced() {
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:0";
        assert_eq!(
            parse_trace_header(header),
            Some(TraceHeader { root: "1-5759e988-bd862e3fe1be46a994272793".into(), parent: "53995c3f42cd8ad8".into() })
        );
        assert_eq!(
            parse_trace_header("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"),
            None
        );
        assert_eq!(parse_trace_header("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"), None);
    }

    #[test]
    fn the_daemon_address_may_name_udp_and_tcp() {
        assert_eq!(udp_address("169.254.79.129:2000"), "169.254.79.129:2000");
        assert_eq!(udp_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2000"), "127.0.0.2:2000");
    }

    #[test]
    fn a_subsegment_document_names_its_trace_parent_and_timing() {
        let trace = TraceHeader { root: "1-abc-def".into(), parent: "0123456789abcdef".into() };
        let work = start("DynamoDB").aws_call(json!({"operation": "GetItem", "table_name": "t"}));

        let document = work.document(&trace, SystemTime::now(), false);

        assert_eq!(document["trace_id"], "1-abc-def");
        assert_eq!(document["parent_id"], "0123456789abcdef");
        assert_eq!(document["namespace"], "aws");
        assert_eq!(document["id"].as_str().expect("id").len(), 16);
        assert!(document["end_time"].as_f64() >= document["start_time"].as_f64());
    }
}
