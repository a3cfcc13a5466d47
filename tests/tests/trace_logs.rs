//! No password, token, reset token, signing key or raw event reaches the logs or the traces, at any
//! level the template lets an operator choose: the real binaries of the functions that take
//! passwords and issue tokens are started as Lambda starts them (their template environment, JSON
//! logs, active tracing) at the most verbose of those levels, TRACE, and answer requests that
//! carry secrets; everything they write, standard output and standard error, and every segment
//! they send the X-Ray daemon hold none of them. A stricter level writes a subset of these lines.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::time::Duration;

use base64::Engine as _;
use conduit_api_tests::function_template::{
    LocalStack, Services, SigningSecret, binaries_dir, function_configs, lambda_settings,
};
use conduit_api_tests::sample_tokens::reissue_tokens;
use conduit_api_tests::samples::{SAMPLE_SIGNING_KEY, events_dir, expected_status, read, seeded_world};
use conduit_api_tests::template::template;
use conduit_bootstrap::{KeyRing, SigningKey};
use conduit_lambda_runtime_emulator::xray_daemon::XrayDaemon;
use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Outcome};
use conduit_telemetry::LOG_LEVEL_VARIABLE;
use serde_json::Value;

/// The functions that read a password, a reset token or an `Authorization` header and issue a
/// token, each answering its sample event in `events/`.
const FUNCTIONS: &[&str] = &["login-user", "register-user", "confirm-password-reset", "update-current-user"];
const MOST_VERBOSE: &str = "TRACE";

/// Secrets in text: a token by itself and by its signature, anything else as it is.
fn forms_of_token(token: &str) -> Vec<String> {
    let mut forms = vec![token.to_owned()];
    forms.extend(token.split('.').nth(2).map(str::to_owned));
    forms
}

/// The secrets a sample event carries: its raw body, every password and token in it, and the
/// token of its `Authorization` header.
fn secrets_of_event(event: &Value) -> Vec<String> {
    fn secret_fields(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (name, field) in fields {
                    // `password`, `currentPassword`, and the reset link's `token`.
                    match field.as_str() {
                        Some(password) if name.to_ascii_lowercase().contains("password") => {
                            found.push(password.to_owned());
                        }
                        Some(token) if name == "token" => found.extend(forms_of_token(token)),
                        _ => secret_fields(field, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| secret_fields(item, found)),
            _ => {}
        }
    }
    let body = event["body"].as_str().expect("an event with a body");
    let mut secrets = vec![body.to_owned(), serde_json::to_string(body).expect("JSON").trim_matches('"').to_owned()];
    let raw_forms = secrets.len();
    secret_fields(&serde_json::from_str(body).expect("a JSON body"), &mut secrets);
    assert!(secrets.len() > raw_forms, "the event's body carries no password or token: {body}");
    if let Some(header) = event["headers"]["authorization"].as_str() {
        secrets.extend(forms_of_token(header.trim_start_matches("Token ")));
    }
    secrets
}

/// The answer's status and the token it issued.
fn status_and_issued_token(outcome: &Outcome) -> (u64, Option<String>) {
    let Outcome::Response(posted) = outcome else { panic!("no answer: {outcome}") };
    let response: Value = serde_json::from_slice(posted).expect("a JSON response");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    let token = body["user"]["token"].as_str().map(str::to_owned);
    (response["statusCode"].as_u64().expect("a status"), token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_trace_level_the_functions_that_handle_passwords_and_tokens_log_none_of_them() {
    let template = template();
    let allowed_levels = template["Parameters"]["LogLevel"]["AllowedValues"].as_sequence().expect("LogLevel values");
    assert!(allowed_levels.iter().any(|level| level.as_str() == Some(MOST_VERBOSE)), "{allowed_levels:?}");
    let functions = function_configs(&template).expect("the template's functions");
    let binaries = binaries_dir();
    let xray_daemon = XrayDaemon::bind(Duration::from_millis(300)).expect("a local X-Ray daemon address");
    let services = Services::from_test_environment(xray_daemon.address());
    let secret: SigningSecret = services.create_signing_secret(SAMPLE_SIGNING_KEY).await;
    services.verify_mail_sender().await;
    let signing_key = std::str::from_utf8(SAMPLE_SIGNING_KEY).expect("text key");

    for binary in FUNCTIONS {
        // Given the function's binary, started with its template environment at LogLevel TRACE,
        // in a world where its sample event succeeds...
        let function = functions.iter().find(|function| function.binary == *binary).expect("in the template");
        let program = binaries.join(binary);
        assert!(program.is_file(), "{} is missing: cargo build --workspace --bins first", program.display());
        let keys =
            KeyRing { current: SigningKey::new(&secret.version_id, SAMPLE_SIGNING_KEY).expect("key"), previous: None };
        let world = seeded_world(keys).await;
        let stack =
            LocalStack { template: &template, table_name: world.table_name.clone(), secret_arn: secret.arn.clone() };
        let mut settings = lambda_settings(function, &stack, &services, &binaries).expect("settings");
        assert_eq!(settings.environment.get("AWS_LAMBDA_LOG_FORMAT").map(String::as_str), Some("JSON"));
        let level = settings.environment.get_mut(LOG_LEVEL_VARIABLE).expect("the template passes LogLevel on");
        *level = MOST_VERBOSE.to_owned();
        let mut lambda = ExecutionEnvironment::start(settings.function(program)).await.expect("started");
        let event = reissue_tokens(&read(&events_dir().join(format!("{binary}.json"))), &secret.version_id)
            .expect("sample tokens re-signed");

        // ...when it answers an event that carries a password (and a token, or a reset token)...
        let invocation = lambda.invoke_raw(event.clone().into_bytes()).await;
        let (status, issued) = status_and_issued_token(&invocation.outcome);
        let segments = xray_daemon.datagrams().join("\n");
        let lines: Vec<Value> = format!("{}\n{}", lambda.stdout(), lambda.stderr())
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let output = format!("{}\n{}\n{segments}", lambda.stdout(), lambda.stderr());

        // ...then it answered as it does at any level, and its output was captured, down to the
        // DEBUG lines of our own code...
        assert_eq!(status, u64::from(expected_status(binary)), "{binary}: {output}");
        let issued = issued.unwrap_or_else(|| panic!("{binary} issued no token"));
        assert!(lines.iter().any(|line| line["message"] == "request completed"), "{binary}: {output}");
        assert!(lines.iter().any(|line| line["level"] == "DEBUG"), "{binary} wrote no DEBUG line: {output}");
        // ...and its traces, the request's span and its DynamoDB calls...
        let documents: Vec<Value> =
            segments.lines().filter_map(|line| serde_json::from_str::<Value>(line).ok()).collect();
        assert!(documents.iter().any(|document| document["name"] == "request"), "{binary}: {segments}");
        assert!(documents.iter().any(|document| document["namespace"] == "aws"), "{binary}: {segments}");
        // ...and not one secret, in the logs or the traces: not the event's body, password or
        // tokens, not the token issued, not the signing key, not a password hash, not an
        // Authorization header.
        let mut secrets = secrets_of_event(&serde_json::from_str(&event).expect("a JSON event"));
        secrets.extend(forms_of_token(&issued));
        secrets.push(signing_key.to_owned());
        secrets.push(base64::engine::general_purpose::STANDARD.encode(signing_key));
        secrets.push("$argon2".to_owned());
        for secret in &secrets {
            assert!(
                !output.contains(secret.as_str()),
                "{binary} logged a secret at {MOST_VERBOSE}: {secret}\n{output}"
            );
        }
        assert!(!output.to_ascii_lowercase().contains("authorization"), "{binary} logged an Authorization header");
    }
}
