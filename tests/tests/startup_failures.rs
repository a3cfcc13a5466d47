//! Every command the project ships (each function's binary and `conduit-local`) that cannot start
//! says why in one line on stderr, naming itself, and exits non-zero: never a Debug dump of an
//! SDK error or a panic. A function that exits so during Lambda's init phase is reported by
//! Lambda as an init error, with that line in its log.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use conduit_http::routes::{AUTHORIZER_FUNCTION, FALLBACK_FUNCTION, ROUTES};

/// What a command printed on stderr and how it exited.
struct Ended {
    code: Option<i32>,
    stderr: String,
}

fn binaries_dir() -> PathBuf {
    // This test runs from <target>/<profile>/deps; the binaries are in <target>/<profile>.
    let test = std::env::current_exe().expect("the test's path");
    test.parent().and_then(Path::parent).expect("the profile directory").to_path_buf()
}

/// Runs `binary` with exactly `environment` (nothing inherited) and no input.
fn run(binary: &str, arguments: &[&str], environment: &[(&str, &str)]) -> Ended {
    let program = binaries_dir().join(binary);
    assert!(program.is_file(), "{} is missing: cargo build --workspace --bins first", program.display());
    let mut command = Command::new(&program);
    command.args(arguments).env_clear().envs(environment.iter().copied()).stdin(Stdio::null());
    // An instrumented build (line coverage) writes its profile where this says, not into the tree.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        command.env("LLVM_PROFILE_FILE", profile);
    }
    let output = command.output().unwrap_or_else(|error| panic!("{} did not run: {error}", program.display()));
    Ended { code: output.status.code(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

fn assert_one_line(ended: &Ended, code: i32, line: &str) {
    assert_eq!((ended.code, ended.stderr.as_str()), (Some(code), format!("{line}\n").as_str()));
}

fn functions() -> BTreeSet<&'static str> {
    ROUTES.iter().map(|route| route.function).chain([AUTHORIZER_FUNCTION, FALLBACK_FUNCTION]).collect()
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// What Lambda sets for every function, with the Runtime API at `runtime_api`.
fn lambda_environment(runtime_api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", "conduit-test".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}

#[test]
fn given_no_lambda_environment_when_a_function_starts_then_it_names_the_missing_variable_in_one_line() {
    for function in functions() {
        let ended = run(function, &[], &[]);

        let line =
            format!("{function}: not running in AWS Lambda: environment variable AWS_LAMBDA_RUNTIME_API is not set");
        assert_one_line(&ended, 1, &line);
    }
}

#[test]
fn given_lambda_but_no_table_when_a_function_that_needs_one_starts_then_it_names_the_variable_in_one_line() {
    let environment = lambda_environment(&format!("127.0.0.1:{}", closed_port()));
    let environment: Vec<(&str, &str)> = environment.iter().map(|(name, value)| (*name, value.as_str())).collect();

    let ended = run("list-tags", &[], &environment);

    assert_one_line(&ended, 1, "list-tags: environment variable TABLE_NAME is not set");
}

#[test]
fn given_a_token_lifetime_beyond_a_day_when_a_function_that_issues_tokens_starts_then_it_refuses_in_one_line() {
    let mut environment = lambda_environment(&format!("127.0.0.1:{}", closed_port()));
    environment.push(("TABLE_NAME", "conduit".to_owned()));
    environment.push(("TOKEN_LIFETIME_SECONDS", "86401".to_owned()));
    let environment: Vec<(&str, &str)> = environment.iter().map(|(name, value)| (*name, value.as_str())).collect();

    let ended = run("login-user", &[], &environment);

    assert_one_line(
        &ended,
        1,
        "login-user: environment variable TOKEN_LIFETIME_SECONDS must be 1 to 86400 seconds, not 86401",
    );
}

#[test]
fn given_an_unreachable_runtime_api_when_a_function_starts_then_it_says_where_in_one_line() {
    let runtime_api = format!("127.0.0.1:{}", closed_port());
    let environment = lambda_environment(&runtime_api);
    let environment: Vec<(&str, &str)> = environment.iter().map(|(name, value)| (*name, value.as_str())).collect();

    let ended = run("get-docs", &[], &environment);

    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    assert_eq!(ended.stderr.lines().count(), 1, "{}", ended.stderr);
    let start = format!("get-docs: the Lambda Runtime API at {runtime_api} failed: ");
    assert!(ended.stderr.starts_with(&start) && ended.stderr.contains("Connection refused"), "{}", ended.stderr);
}

#[test]
fn given_an_invalid_table_name_when_the_local_gateway_starts_then_one_line_says_what_a_valid_one_is() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());

    let ended = run("conduit-local", &["--dynamodb-endpoint", &endpoint, "--table", "my table"], &[]);

    let line =
        r#"conduit-local: "my table" is not a valid DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.')"#;
    assert_one_line(&ended, 1, line);
}

#[test]
fn given_an_unreachable_dynamodb_when_the_local_gateway_starts_then_one_line_names_it_and_the_cause() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());

    let ended = run("conduit-local", &["--dynamodb-endpoint", &endpoint, "--table", "conduit-local"], &[]);

    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    assert_eq!(ended.stderr.lines().count(), 1, "{}", ended.stderr);
    assert!(
        ended.stderr.starts_with(&format!("conduit-local: cannot use DynamoDB at {endpoint}: ")),
        "{}",
        ended.stderr
    );
    assert!(ended.stderr.contains("Connection refused"), "{}", ended.stderr);
    // The SDK error's Debug form spans kilobytes and prints its type names.
    assert!(ended.stderr.len() < 300 && !ended.stderr.contains("DispatchFailure {"), "{}", ended.stderr);
}

#[test]
fn given_an_unknown_option_when_the_local_gateway_starts_then_one_line_and_the_usage_status() {
    let ended = run("conduit-local", &["--prot", "3000"], &[]);

    assert_one_line(
        &ended,
        2,
        "conduit-local: unknown option --prot (usage: conduit-local [--port N] [--dynamodb-endpoint URL] [--table NAME] \
         [--response-limit-bytes N] [--function-timeout-seconds N] [--recent-traces N] [--spans-per-trace N])",
    );
}
