//! The Lambda Runtime API (version 2018-06-01) for one function process: the runtime long-polls
//! `next` for an event and posts the answer to `response` or `error`, or reports a failed start to
//! `init/error`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::ErrorReport;

const PREFIX: &str = "/2018-06-01/runtime/";
/// Lambda's limit on a synchronous response.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// What the Runtime API tells the runtime about the function.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) function_arn: String,
    pub(crate) timeout: Duration,
    pub(crate) active_tracing: bool,
}

/// The runtime's answer to one event.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) result: Result<Vec<u8>, ErrorReport>,
    pub(crate) delivered_at: Instant,
    pub(crate) answered_at: Instant,
}

struct Queued {
    request_id: String,
    event: Bytes,
    /// The X-Ray trace header to deliver the event with, when the caller chose one.
    trace_header: Option<String>,
    answer: oneshot::Sender<Answer>,
}

struct InFlight {
    answer: oneshot::Sender<Answer>,
    delivered_at: Instant,
}

#[derive(Default)]
struct State {
    first_poll: Option<Instant>,
    init_error: Option<ErrorReport>,
    in_flight: HashMap<String, InFlight>,
    unexpected: Vec<String>,
}

struct Shared {
    settings: Settings,
    state: Mutex<State>,
    changed: Notify,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated: every update is one step.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state());
        self.changed.notify_waiters();
    }
}

/// The server; it stops (with every connection it serves) when dropped.
pub(crate) struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<Queued>,
    server: JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    pub(crate) async fn start(settings: Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            settings,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
            queue: tokio::sync::Mutex::new(receiver),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&shared)));
        Ok(Self { address, shared, queue, server })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Queues an event for the runtime's next poll.
    pub(crate) fn submit(
        &self,
        request_id: String,
        event: Vec<u8>,
        trace_header: Option<String>,
    ) -> oneshot::Receiver<Answer> {
        let (answer, receiver) = oneshot::channel();
        // The receiving end lives in `shared`, which this value keeps alive.
        let _ = self.queue.send(Queued { request_id, event: Bytes::from(event), trace_header, answer });
        receiver
    }

    pub(crate) fn first_poll(&self) -> Option<Instant> {
        self.shared.state().first_poll
    }

    pub(crate) fn init_error(&self) -> Option<ErrorReport> {
        self.shared.state().init_error.clone()
    }

    pub(crate) fn unexpected_requests(&self) -> Vec<String> {
        self.shared.state().unexpected.clone()
    }

    /// Waits until the runtime has polled for its first event or reported a failed start.
    pub(crate) async fn initialized(&self) -> Result<Instant, ErrorReport> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            // Registered before looking, so a change between the look and the wait is not missed.
            changed.as_mut().enable();
            {
                let state = self.shared.state();
                if let Some(report) = &state.init_error {
                    return Err(report.clone());
                }
                if let Some(first_poll) = state.first_poll {
                    return Ok(first_poll);
                }
            }
            changed.await;
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Owned here so that stopping the server also ends connections parked in a long poll.
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            Some(_) = connections.join_next() => continue,
        };
        let shared = Arc::clone(&shared);
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(route(&shared, request).await) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn route(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.strip_prefix(PREFIX).map(|rest| rest.split('/').collect()).unwrap_or_default();
    match (request.method(), segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(shared).await,
        (&Method::POST, ["invocation", request_id, "response"]) => {
            let request_id = (*request_id).to_owned();
            let answer = read_body(request).await.map(|(_, body)| body);
            let oversized = answer.is_err();
            let accepted = answer_invocation(shared, &request_id, answer);
            match (accepted, oversized) {
                (false, _) => invalid_request_id(),
                (true, true) => json(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    r#"{"errorMessage":"response too large","errorType":"RequestEntityTooLarge"}"#,
                ),
                (true, false) => accepted_response(),
            }
        }
        (&Method::POST, ["invocation", request_id, "error"]) => {
            let request_id = (*request_id).to_owned();
            let report = read_body(request).await.map(|(error_type, body)| ErrorReport { error_type, body });
            if answer_invocation(shared, &request_id, Err(report.unwrap_or_else(|too_large| too_large))) {
                accepted_response()
            } else {
                invalid_request_id()
            }
        }
        (&Method::POST, ["init", "error"]) => {
            let report = read_body(request).await.map(|(error_type, body)| ErrorReport { error_type, body });
            let report = report.unwrap_or_else(|too_large| too_large);
            shared.update(|state| state.init_error = Some(report));
            accepted_response()
        }
        (method, _) => {
            let method = method.clone();
            shared.update(|state| state.unexpected.push(format!("{method} {path}")));
            json(
                StatusCode::NOT_FOUND,
                r#"{"errorMessage":"not part of the emulated Runtime API","errorType":"NotFound"}"#,
            )
        }
    }
}

/// The long poll: answers when an event is queued.
async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    shared.update(|state| {
        state.first_poll.get_or_insert_with(Instant::now);
    });
    let Some(queued) = shared.queue.lock().await.recv().await else {
        return json(StatusCode::INTERNAL_SERVER_ERROR, r#"{"errorMessage":"shutting down","errorType":"Shutdown"}"#);
    };
    let delivered_at = Instant::now();
    let deadline = SystemTime::now() + shared.settings.timeout;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    let request_id = queued.request_id;
    shared.update(|state| {
        state.in_flight.insert(request_id.clone(), InFlight { answer: queued.answer, delivered_at });
    });
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &request_id)
        .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", &shared.settings.function_arn);
    match queued.trace_header {
        Some(header) => response = response.header("lambda-runtime-trace-id", header),
        None if shared.settings.active_tracing => {
            response = response.header("lambda-runtime-trace-id", sampled_trace_header());
        }
        None => {}
    }
    response.body(Full::new(queued.event)).unwrap_or_else(|_| {
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"errorMessage":"unrepresentable event headers","errorType":"Emulator"}"#,
        )
    })
}

/// Gives the answer to whoever invoked; `false` when no such invocation is waiting.
fn answer_invocation(shared: &Shared, request_id: &str, result: Result<Vec<u8>, ErrorReport>) -> bool {
    let answered_at = Instant::now();
    let Some(in_flight) = shared.state().in_flight.remove(request_id) else {
        return false;
    };
    // The invoker may have given up (timed out); the answer is then dropped, as Lambda drops it.
    let _ = in_flight.answer.send(Answer { result, delivered_at: in_flight.delivered_at, answered_at });
    shared.changed.notify_waiters();
    true
}

/// The error-type header and the body; a body over Lambda's limit becomes the error Lambda reports.
async fn read_body(request: Request<Incoming>) -> Result<(Option<String>, Vec<u8>), ErrorReport> {
    let error_type =
        request.headers().get(ERROR_TYPE_HEADER).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    match Limited::new(request.into_body(), MAX_RESPONSE_BYTES).collect().await {
        Ok(collected) => Ok((error_type, collected.to_bytes().to_vec())),
        Err(error) => Err(ErrorReport {
            error_type: Some(
                if error.is::<LengthLimitError>() { "Function.ResponseSizeTooLarge" } else { "Runtime.BodyUnreadable" }
                    .to_owned(),
            ),
            body: error.to_string().into_bytes(),
        }),
    }
}

fn accepted_response() -> Response<Full<Bytes>> {
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn invalid_request_id() -> Response<Full<Bytes>> {
    json(
        StatusCode::BAD_REQUEST,
        r#"{"errorMessage":"no invocation with this request id","errorType":"InvalidRequestID"}"#,
    )
}

fn json(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    response
}

/// A request id in the UUID shape Lambda uses.
pub(crate) fn new_request_id() -> String {
    let bits = u128::from(ulid::Ulid::new());
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// An X-Ray trace header as Lambda passes it for a sampled request (`Root=1-<epoch>-<96 bits>`).
fn sampled_trace_header() -> String {
    let epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let root = u128::from(ulid::Ulid::new()) & ((1 << 96) - 1);
    let parent = u128::from(ulid::Ulid::new()) as u64;
    format!("Root=1-{epoch:08x}-{root:024x};Parent={parent:016x};Sampled=1")
}
