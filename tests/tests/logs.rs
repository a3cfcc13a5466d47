//! What the logs of a full account flow contain, captured at DEBUG in the JSON format Lambda
//! runs with: the request context on every request line, and never a secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use conduit_api_tests::TestApi;
use serde_json::{Value, json};
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[tokio::test]
async fn a_full_account_flow_logs_context_on_every_request_and_no_secret() {
    // Given the subscriber Lambda would run, at its most verbose application level.
    // SAFETY: set before any other thread of this test binary reads the environment.
    unsafe {
        std::env::set_var("AWS_LAMBDA_LOG_FORMAT", "JSON");
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "DEBUG");
    }
    let captured = Captured::default();
    conduit_telemetry::init_with_writer(captured.clone());
    let api = TestApi::start().await;
    let (password, new_password, reset_password) =
        ("first secret password", "second secret password", "third secret password");

    // When a user registers, logs in with a wrong then the right password, reads and updates the
    // account (changing the password), all through the gateway...
    let registration = json!({"user": {"username": "jake", "email": "jake@example.com", "password": password}});
    let (registered, _) = api.measure_with_body("POST", "/users", Some(registration), None).await;
    let token = registered.body["user"]["token"].as_str().expect("token").to_owned();
    let wrong = json!({"user": {"email": "jake@example.com", "password": "not the password"}});
    api.measure_with_body("POST", "/users/login", Some(wrong), None).await;
    let login = json!({"user": {"email": "jake@example.com", "password": password}});
    let (logged_in, _) = api.measure_with_body("POST", "/users/login", Some(login), None).await;
    let second_token = logged_in.body["user"]["token"].as_str().expect("token").to_owned();
    api.measure("GET", "/user", Some(&token)).await;
    let change = json!({"user": {"password": new_password, "currentPassword": password, "bio": "hello"}});
    let (updated, _) = api.measure_with_body("PUT", "/user", Some(change), Some(&token)).await;
    assert_eq!(updated.status, 200);
    let fresh_token = updated.body["user"]["token"].as_str().expect("token").to_owned();
    // ...forgets it, resets it through the mailed link, and signs out everywhere.
    let forgot = json!({"user": {"email": "jake@example.com"}});
    api.measure_with_body("POST", "/users/password-reset", Some(forgot), None).await;
    let mail = api
        .outbox()
        .await
        .into_iter()
        .rfind(|mail| mail["subject"] == "Reset your Conduit password")
        .expect("a reset mail");
    let link =
        mail["text"].as_str().expect("text").split_whitespace().find(|word| word.contains("#token=")).expect("link");
    let reset_token: String = link.split_once("#token=").expect("token").1.chars().take(43).collect();
    let confirm = json!({"user": {"token": reset_token, "password": reset_password}});
    let (confirmed, _) = api.measure_with_body("POST", "/users/password-reset/confirm", Some(confirm), None).await;
    assert_eq!(confirmed.status, 200);
    let reset_session = confirmed.body["user"]["token"].as_str().expect("token").to_owned();
    api.measure_with_body("DELETE", "/user/sessions", None, Some(&reset_session)).await;

    // Then every request left a summary line in its context...
    let text = captured.text();
    let lines: Vec<Value> =
        text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"))).collect();
    let summaries: Vec<&Value> = lines.iter().filter(|line| line["message"] == "request completed").collect();
    assert_eq!(summaries.len(), 8, "{text}");
    for summary in &summaries {
        for field in ["request_id", "function", "route", "cold_start", "trace_id"] {
            assert!(!summary["span"][field].is_null(), "{field} missing from {summary}");
        }
        for field in ["status", "latency_ms", "dynamodb_read_units", "dynamodb_write_units"] {
            assert!(summary[field].is_number(), "{field} missing from {summary}");
        }
    }
    let authenticated = summaries.iter().filter(|line| line["span"]["route"] == "GET /api/user").collect::<Vec<_>>();
    assert!(authenticated.iter().all(|line| line["span"]["user_id"].is_string()), "{authenticated:?}");
    assert!(lines.iter().any(|line| line["level"] == "DEBUG"), "DEBUG lines were captured too");

    // ...and no password, token, signing key or Authorization header appears anywhere.
    let key = api.signing_key.secret();
    let secrets = [
        password.to_owned(),
        new_password.to_owned(),
        "not the password".to_owned(),
        token.clone(),
        second_token,
        fresh_token,
        reset_password.to_owned(),
        reset_token.clone(),
        link.to_owned(),
        reset_session,
        token.split('.').nth(2).expect("signature").to_owned(),
        base64::engine::general_purpose::STANDARD.encode(key),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
        key.iter().map(|byte| format!("{byte:02x}")).collect(),
    ];
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret appears in the logs: {secret}");
    }
    assert!(!text.to_ascii_lowercase().contains("authorization"), "an Authorization header appears in the logs");
    assert!(!text.contains("$argon2"), "a password hash appears in the logs");
}
