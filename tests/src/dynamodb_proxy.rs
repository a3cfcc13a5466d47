//! A loopback HTTP proxy in front of DynamoDB, which can make it behave more like the network a
//! deployed function talks over:
//!
//! - **Delay**: every request waits a fixed time before it is forwarded, as a round trip to a real
//!   table takes a few milliseconds where DynamoDB Local on loopback answers in about one. The
//!   bench measures the endpoints through it, so each sequential round trip shows in the latency.
//! - **Lost answers**: while it drops, a `TransactWriteItems` is forwarded, DynamoDB runs it and
//!   answers, and that answer never reaches the client. This is the one outage in which a 503
//!   hides a write that did happen, which is what an `Idempotency-Key` is for.
//!
//! Everything else is relayed as it came. The proxy, its connections and the answers it holds
//! back all end when it is dropped.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// The `X-Amz-Target` of the call whose answers the proxy loses.
const TRANSACT_WRITE_ITEMS: &str = "DynamoDB_20120810.TransactWriteItems";

/// A transaction that DynamoDB answered and whose answer the proxy kept from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedAnswer {
    /// DynamoDB's status: 200 means the transaction committed (or, for a resend with the same
    /// token, had committed already).
    pub status: u16,
    /// The idempotency token the SDK sent with the transaction; its own resends carry the same.
    pub client_request_token: Option<String>,
}

pub struct DynamoDbProxy {
    endpoint: String,
    state: Arc<ProxyState>,
    task: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    delay: Duration,
    dropping: AtomicBool,
    dropped: Mutex<Vec<DroppedAnswer>>,
}

impl DynamoDbProxy {
    /// A proxy on a free loopback port that relays everything to `upstream` (DynamoDB's endpoint,
    /// `http://host:port`) at once, until told to drop.
    pub async fn start(upstream: &str) -> Self {
        Self::with_delay(upstream, Duration::ZERO).await
    }

    /// Like [`Self::start`], each request forwarded `delay` after it arrived.
    pub async fn with_delay(upstream: &str, delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder().no_proxy().build().expect("the proxy's client"),
            delay,
            dropping: AtomicBool::new(false),
            dropped: Mutex::new(Vec::new()),
        });
        let task = tokio::spawn(accept(listener, Arc::clone(&state)));
        Self { endpoint, state, task }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// From now on, every transaction is forwarded and its answer lost.
    pub fn start_dropping(&self) {
        self.state.dropping.store(true, Ordering::SeqCst);
    }

    /// From now on, every answer is relayed again.
    pub fn stop_dropping(&self) {
        self.state.dropping.store(false, Ordering::SeqCst);
    }

    /// The transactions DynamoDB answered and the client never heard of, in the order answered:
    /// proof that the writes did reach DynamoDB.
    pub fn dropped(&self) -> Vec<DroppedAnswer> {
        self.state.dropped.lock().expect("the record of dropped answers").clone()
    }
}

impl Drop for DynamoDbProxy {
    fn drop(&mut self) {
        // Aborting the task drops its set of connections, which aborts each of them.
        self.task.abort();
    }
}

async fn accept(listener: tokio::net::TcpListener, state: Arc<ProxyState>) {
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        while connections.try_join_next().is_some() {}
        let state = Arc::clone(&state);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let state = Arc::clone(&state);
                async move { Ok::<_, Infallible>(relay(&state, request).await) }
            });
            // A client that gives up on a held-back answer closes its connection: that ends here.
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Forwards `request` (after the delay) and answers what DynamoDB answered, or, for a transaction
/// while dropping, nothing at all.
async fn relay(state: &ProxyState, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|collected| collected.to_bytes()) else {
        return bad_gateway();
    };
    let target = parts.headers.get("x-amz-target").and_then(|value| value.to_str().ok());
    let lose_the_answer = target == Some(TRANSACT_WRITE_ITEMS) && state.dropping.load(Ordering::SeqCst);

    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    // The headers go as the client signed them, its `Host` included.
    let forwarded = state
        .client
        .request(parts.method, format!("{}{path}", state.upstream))
        .headers(end_to_end(&parts.headers))
        .body(body.clone());
    let Ok(answer) = forwarded.send().await else { return bad_gateway() };
    let status = answer.status();
    let headers = end_to_end(answer.headers());
    let Ok(answer_body) = answer.bytes().await else { return bad_gateway() };

    if lose_the_answer {
        state
            .dropped
            .lock()
            .expect("the record of dropped answers")
            .push(DroppedAnswer { status: status.as_u16(), client_request_token: client_request_token(&body) });
        // The connection stays open and silent, as when the answer is lost on the way: the SDK
        // sees its attempt time out, exactly what it sees in AWS. Closing the connection instead
        // would tell the client at once that something broke, a signal a lost answer never gives.
        return std::future::pending().await;
    }
    let mut response = hyper::Response::new(Full::new(answer_body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `headers` without those that describe one connection rather than the message (the proxy's
/// own connections frame the message anew).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 9] = [
        "connection",
        "content-length",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    let mut kept = headers.clone();
    for name in HOP_BY_HOP {
        kept.remove(HeaderName::from_static(name));
    }
    kept
}

/// The `ClientRequestToken` of a `TransactWriteItems` body.
fn client_request_token(body: &[u8]) -> Option<String> {
    let request: serde_json::Value = serde_json::from_slice(body).ok()?;
    request["ClientRequestToken"].as_str().map(str::to_owned)
}

fn bad_gateway() -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::BAD_GATEWAY;
    response
}
