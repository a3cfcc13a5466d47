//! The emulator against stand-in processes: the test itself plays the runtime over HTTP (the real
//! runtime client is exercised by the function binaries' tests), and small system programs play
//! processes that end or hang.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A process that neither polls nor ends by itself.
fn idle_process() -> Function {
    Function::new("/bin/sleep", BTreeMap::from([("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "echo".to_owned())]))
        .args(["30"])
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 exchange on a fresh connection: all a runtime needs, without an HTTP client crate.
async fn http(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connected");
    let mut request = format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes()).await.expect("sent");
    stream.write_all(body).await.expect("sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n").expect("a complete head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status =
        lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    Reply { status, headers, body: raw[split + 4..].to_vec() }
}

async fn poll_next(runtime_api: &str) -> Reply {
    http(runtime_api, "GET", "/2018-06-01/runtime/invocation/next", &[], b"").await
}

#[tokio::test]
async fn given_a_polling_runtime_when_invoked_then_it_gets_the_event_and_its_response_is_the_outcome() {
    let mut lambda = ExecutionEnvironment::start(idle_process().active_tracing(true)).await.expect("started");
    let runtime_api = lambda.runtime_api().to_owned();
    let runtime = tokio::spawn(async move {
        let next = poll_next(&runtime_api).await;
        let request_id = next.header("lambda-runtime-aws-request-id").expect("request id").to_owned();
        let path = format!("/2018-06-01/runtime/invocation/{request_id}/response");
        let accepted = http(&runtime_api, "POST", &path, &[], br#"{"statusCode":200}"#).await;
        (next, accepted.status)
    });

    let invocation = lambda.invoke(&serde_json::json!({"rawPath": "/api/tags"})).await;

    let (next, accepted) = runtime.await.expect("runtime ran");
    assert_eq!(invocation.response(), Some(br#"{"statusCode":200}"#.as_slice()), "{}", invocation.outcome);
    assert_eq!(accepted, 202);
    assert_eq!(next.body, br#"{"rawPath":"/api/tags"}"#);
    assert_eq!(next.header("lambda-runtime-aws-request-id"), Some(invocation.request_id.as_str()));
    assert_eq!(
        next.header("lambda-runtime-invoked-function-arn"),
        Some("arn:aws:lambda:us-east-1:123456789012:function:echo")
    );
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis();
    let deadline_ms: u128 = next.header("lambda-runtime-deadline-ms").expect("deadline").parse().expect("number");
    assert!(deadline_ms > now_ms && deadline_ms <= now_ms + LAMBDA_DEFAULT_TIMEOUT.as_millis());
    assert!(next.header("lambda-runtime-trace-id").is_some_and(|trace| trace.ends_with(";Sampled=1")));
    assert!(lambda.init_duration().is_some());
    assert!(invocation.duration.is_some_and(|duration| duration <= invocation.latency));
}

#[tokio::test]
async fn given_a_runtime_that_reports_a_function_error_then_its_type_and_body_are_the_outcome() {
    let mut lambda = ExecutionEnvironment::start(idle_process()).await.expect("started");
    let runtime_api = lambda.runtime_api().to_owned();
    tokio::spawn(async move {
        let next = poll_next(&runtime_api).await;
        let request_id = next.header("lambda-runtime-aws-request-id").expect("request id").to_owned();
        let path = format!("/2018-06-01/runtime/invocation/{request_id}/error");
        http(&runtime_api, "POST", &path, &[("lambda-runtime-function-error-type", "unhandled")], b"boom").await;
    });

    let invocation = lambda.invoke(&serde_json::json!({})).await;

    let Outcome::FunctionError(report) = invocation.outcome else { panic!("{}", invocation.outcome) };
    assert_eq!(report, ErrorReport { error_type: Some("unhandled".into()), body: b"boom".to_vec() });
}

#[tokio::test]
async fn given_a_runtime_that_reports_an_init_error_then_the_invocation_fails_with_it() {
    let mut lambda = ExecutionEnvironment::start(idle_process()).await.expect("started");
    let runtime_api = lambda.runtime_api().to_owned();
    let error_type = [("lambda-runtime-function-error-type", "Runtime.InitError")];
    http(&runtime_api, "POST", "/2018-06-01/runtime/init/error", &error_type, b"no table").await;

    let invocation = lambda.invoke(&serde_json::json!({})).await;

    let Outcome::InitError(report) = invocation.outcome else { panic!("{}", invocation.outcome) };
    assert_eq!(report.body, b"no table");
    assert_eq!(lambda.init_duration(), None);
}

#[tokio::test]
async fn given_a_process_that_ends_at_start_then_the_invocation_reports_its_exit_and_the_environment_it_saw() {
    // `env` prints its whole environment: exactly what was given, plus the Runtime API's address.
    let function = Function::new("/usr/bin/env", BTreeMap::from([("GIVEN".to_owned(), "yes".to_owned())]));
    let mut lambda = ExecutionEnvironment::start(function).await.expect("started");

    let invocation = lambda.invoke(&serde_json::json!({})).await;

    assert!(matches!(invocation.outcome, Outcome::Exited(status) if status.success()), "{}", invocation.outcome);
    let mut seen: Vec<String> = lambda.stdout().lines().map(str::to_owned).collect();
    seen.sort();
    assert_eq!(seen, [format!("AWS_LAMBDA_RUNTIME_API={}", lambda.runtime_api()), "GIVEN=yes".to_owned()]);
}

#[tokio::test]
async fn given_a_process_that_fails_at_start_then_its_exit_code_and_error_output_are_reported() {
    let function = Function::new("/bin/sh", BTreeMap::new()).args(["-c", "echo 'missing TABLE_NAME' >&2; exit 3"]);
    let mut lambda = ExecutionEnvironment::start(function).await.expect("started");

    let invocation = lambda.invoke(&serde_json::json!({})).await;

    assert!(
        matches!(invocation.outcome, Outcome::Exited(status) if status.code() == Some(3)),
        "{}",
        invocation.outcome
    );
    assert_eq!(lambda.stderr(), "missing TABLE_NAME\n");
    assert_eq!(invocation.duration, None);
}

#[tokio::test]
async fn given_a_process_that_never_polls_then_init_times_out_and_the_process_is_stopped() {
    let limit = Duration::from_millis(200);
    // Init's limit runs from the process's start, so the first answer comes at least that long
    // after the start (and less after the invocation, by however long starting took).
    let started = std::time::Instant::now();
    let mut lambda = ExecutionEnvironment::start(idle_process().init_timeout(limit)).await.expect("started");

    let first = lambda.invoke(&serde_json::json!({})).await;
    let answered_after = started.elapsed();
    let second = lambda.invoke(&serde_json::json!({})).await;

    assert!(matches!(first.outcome, Outcome::TimedOut { phase: Phase::Init, limit: l } if l == limit));
    assert!(answered_after >= limit, "answered {answered_after:?} after the start");
    assert!(matches!(second.outcome, Outcome::Exited(status) if !status.success()), "{}", second.outcome);
}

#[tokio::test]
async fn given_an_event_the_runtime_never_answers_then_the_invocation_times_out() {
    let limit = Duration::from_millis(200);
    let mut lambda = ExecutionEnvironment::start(idle_process().timeout(limit)).await.expect("started");
    let runtime_api = lambda.runtime_api().to_owned();
    tokio::spawn(async move { poll_next(&runtime_api).await });

    let invocation = lambda.invoke(&serde_json::json!({})).await;

    assert!(matches!(invocation.outcome, Outcome::TimedOut { phase: Phase::Invoke, .. }), "{}", invocation.outcome);
}

#[tokio::test]
async fn given_an_answer_for_an_unknown_request_id_then_it_is_refused() {
    let lambda = ExecutionEnvironment::start(idle_process()).await.expect("started");

    let reply =
        http(lambda.runtime_api(), "POST", "/2018-06-01/runtime/invocation/not-an-id/response", &[], b"{}").await;

    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn given_a_dropped_environment_then_its_process_is_killed() {
    let lambda = ExecutionEnvironment::start(idle_process()).await.expect("started");
    let pid = lambda.process_id().expect("running");

    drop(lambda);

    // Gone, or a zombie waiting to be reaped: either way no longer running.
    let stopped = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .is_none_or(|stat| stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !stopped() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped(), "process {pid} still runs");
}
