//! The subscriber: JSON lines when Lambda's `AWS_LAMBDA_LOG_FORMAT` is `JSON` (plain text otherwise,
//! for people reading a terminal), at the level `AWS_LAMBDA_LOG_LEVEL` sets (else `RUST_LOG`, else
//! INFO). Every line carries the fields of the request span it was logged in.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Crates whose DEBUG output would log request headers (AWS signatures) or bodies; they stay at
/// WARN unless `RUST_LOG` names them explicitly.
const QUIET_CRATES: &[&str] = &[
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_sdk_dynamodb",
    "aws_sdk_secretsmanager",
    "aws_config",
    "hyper",
    "hyper_util",
    "rustls",
    "h2",
];

fn filter() -> EnvFilter {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .ok()
        .map(|level| level.to_ascii_lowercase())
        .map(|level| if level == "fatal" { "error".to_owned() } else { level });
    let mut directives = level.unwrap_or_else(|| std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned()));
    for quiet in QUIET_CRATES {
        if !directives.contains(quiet) {
            directives.push_str(&format!(",{quiet}=warn"));
        }
    }
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

fn json_format() -> bool {
    std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"))
}

/// Installs the subscriber for the process, writing to standard output (what Lambda collects).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// The same subscriber with another writer (tests capture the lines this way). A second call in
/// one process is ignored.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(writer).with_target(false);
    let _ = if json_format() {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.without_time().try_init()
    };
}
