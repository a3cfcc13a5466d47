//! The X-Ray exporter: spans become segment documents (opentelemetry-aws's translator) sent over
//! UDP to the daemon endpoint that Lambda runs beside a function with active tracing. Nothing but
//! a socket is opened at start: no TLS, no connection, no extension.

use std::net::SocketAddr;

use opentelemetry_aws::xray_exporter::daemon_client::XrayDaemonClient;
use opentelemetry_aws::xray_exporter::{SegmentTranslator, XrayExporter};

use super::TracesError;
use super::attributes::REQUEST_ID;

/// Where the daemon listens when nothing says otherwise (the X-Ray SDKs' default).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:2000";

/// `host:port`, or the daemon's `tcp:host:port udp:host:port` form (segments go over UDP). Lambda
/// gives an IP address; a name would need a DNS lookup at start, so it is refused.
pub fn udp_address(configured: &str) -> Result<SocketAddr, TracesError> {
    let address = configured.split_whitespace().find_map(|part| part.strip_prefix("udp:")).unwrap_or(configured);
    address.trim().parse().map_err(|_| TracesError::DaemonAddress(configured.to_owned()))
}

/// The exporter to the daemon at `daemon`. The request id is indexed (an X-Ray annotation), so a
/// trace can be found from a log line or an answer's request id.
pub fn exporter(daemon: SocketAddr) -> Result<XrayExporter<XrayDaemonClient>, TracesError> {
    let client = XrayDaemonClient::new(daemon).map_err(TracesError::DaemonSocket)?;
    Ok(XrayExporter::new(client).with_translator(SegmentTranslator::new().with_indexed_attr(REQUEST_ID.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_address_may_name_udp_and_tcp() {
        assert_eq!(udp_address("169.254.79.129:2000").expect("address").to_string(), "169.254.79.129:2000");
        assert_eq!(
            udp_address("tcp:127.0.0.1:2000 udp:127.0.0.2:2000").expect("address").to_string(),
            "127.0.0.2:2000"
        );
    }

    #[test]
    fn a_host_name_is_refused_rather_than_looked_up_at_start() {
        assert!(matches!(udp_address("xray-daemon:2000"), Err(TracesError::DaemonAddress(_))));
    }
}
