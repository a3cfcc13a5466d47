//! CloudFormation's side of a custom resource, on loopback: its requests (the sample events,
//! readdressed) and the pre-signed ResponseURL a handler answers to, as a server that takes the
//! answers and keeps them for the test to read.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

/// One request the handler sent to the ResponseURL.
#[derive(Debug, Clone)]
pub struct Answered {
    pub method: String,
    /// Path and query, as requested.
    pub target: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Answered {
    /// The response CloudFormation would read.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("the answer is not JSON ({error}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A stand-in for the S3 object CloudFormation pre-signs for the answer: every request to it is
/// taken with 200 (as S3 takes a PUT) and kept.
pub struct ResponseUrl {
    url: String,
    answers: Mutex<mpsc::UnboundedReceiver<Answered>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ResponseUrl {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl ResponseUrl {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port for the ResponseURL");
        let address = listener.local_addr().expect("bound");
        let (sender, answers) = mpsc::unbounded_channel();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    if let Some(answered) = take(stream).await {
                        let _ = sender.send(answered);
                    }
                });
            }
        });
        // Shaped like the real one: the request's own object, with the signature in the query.
        let url = format!(
            "http://{address}/stack%7CMigrations%7C{}?X-Amz-Expires=7200&X-Amz-Signature=local",
            ulid::Ulid::new()
        );
        Self { url, answers: Mutex::new(answers), server }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next answer, if one arrives within `limit`.
    pub async fn answer(&self, limit: Duration) -> Option<Answered> {
        tokio::time::timeout(limit, self.answers.lock().await.recv()).await.ok().flatten()
    }

    /// `event` (a CloudFormation request, as JSON text) with its ResponseURL pointing here.
    pub fn readdress(&self, event: &str) -> String {
        let mut event: Value = serde_json::from_str(event).expect("a JSON request");
        event["ResponseURL"] = Value::String(self.url.clone());
        event.to_string()
    }
}

/// Reads one HTTP/1.1 request (a head and a body of Content-Length bytes) and answers 200.
async fn take(mut stream: TcpStream) -> Option<Answered> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&received[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, target) = (request_line.next()?.to_owned(), request_line.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|length| length.parse().ok()).unwrap_or(0);
    let mut body = received[head_end + 4..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&buffer[..read]);
    }
    stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await.ok()?;
    Some(Answered { method, target, headers, body })
}
