//! The X-Ray daemon Lambda runs beside a traced function, as far as the function sees it: a UDP
//! address taking segment documents, each datagram a JSON header line and the document. Tests
//! listen here to read what a function's traces send, and make trace ids as Lambda does.

use std::io;
use std::net::UdpSocket;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The header line X-Ray's daemon protocol puts before every document.
const HEADER: &str = r#"{"format": "json", "version": 1}"#;

/// A local daemon address, reading what was sent to it.
#[derive(Debug)]
pub struct XrayDaemon {
    socket: UdpSocket,
}

impl XrayDaemon {
    /// Listens on a free loopback port; each read waits at most `quiet` for the next datagram.
    pub fn bind(quiet: Duration) -> io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(quiet))?;
        Ok(Self { socket })
    }

    /// The address to give a function (`AWS_XRAY_DAEMON_ADDRESS`).
    pub fn address(&self) -> String {
        self.socket.local_addr().map(|address| address.to_string()).unwrap_or_default()
    }

    /// Every datagram received since the last read, as text, until none comes for `quiet`.
    pub fn datagrams(&self) -> Vec<String> {
        let mut datagrams = Vec::new();
        let mut buffer = [0u8; 65_536];
        while let Ok(length) = self.socket.recv(&mut buffer) {
            datagrams.push(String::from_utf8_lossy(&buffer[..length]).into_owned());
        }
        datagrams
    }

    /// The segment documents received since the last read, each datagram's header checked and
    /// stripped; an error names the first datagram that is not header and document.
    pub fn segment_documents(&self) -> Result<Vec<Value>, String> {
        self.datagrams()
            .into_iter()
            .map(|datagram| {
                let (header, body) = datagram.split_once('\n').ok_or_else(|| format!("no header line: {datagram}"))?;
                let header: Value =
                    serde_json::from_str(header).map_err(|error| format!("header {header}: {error}"))?;
                if header != serde_json::from_str::<Value>(HEADER).unwrap_or_default() {
                    return Err(format!("header {header}, expected {HEADER}"));
                }
                serde_json::from_str(body).map_err(|error| format!("document {body}: {error}"))
            })
            .collect()
    }
}

/// A trace id's root as Lambda makes them (`1-<epoch seconds>-<96 random bits>`): X-Ray refuses
/// ids whose time is more than 30 days old.
pub fn fresh_trace_root() -> String {
    let epoch = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or_default();
    format!("1-{epoch:08x}-{:024x}", u128::from(ulid::Ulid::new()) & ((1 << 96) - 1))
}
