//! The subscriber: JSON lines when Lambda's `AWS_LAMBDA_LOG_FORMAT` is `JSON` (plain text otherwise,
//! for people reading a terminal), at the level `LOG_LEVEL` sets (else `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else INFO). Every line carries the fields of the request span it was logged in.

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

/// The application's own level: Lambda's log-level filter treats a JSON line without a `level`
/// key as INFO, so letting Lambda filter at WARN or above would drop every EMF metric line. The
/// template therefore has Lambda pass everything (`ApplicationLogLevel: TRACE`) and gives the
/// operator's level in `LOG_LEVEL`; this filter applies it to log lines, never to metric lines.
pub const LOG_LEVEL_VARIABLE: &str = "LOG_LEVEL";

fn filter() -> EnvFilter {
    let directives = directives(|name| std::env::var(name).ok());
    EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// `LOG_LEVEL`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO; the chatty
/// crates held at WARN unless named.
fn directives(variable: impl Fn(&str) -> Option<String>) -> String {
    let level = variable(LOG_LEVEL_VARIABLE)
        .or_else(|| variable("AWS_LAMBDA_LOG_LEVEL"))
        .map(|level| level.to_ascii_lowercase())
        .map(|level| if level == "fatal" { "error".to_owned() } else { level });
    let mut directives = level.unwrap_or_else(|| variable("RUST_LOG").unwrap_or_else(|| "info".to_owned()));
    for quiet in QUIET_CRATES {
        if !directives.contains(quiet) {
            directives.push_str(&format!(",{quiet}=warn"));
        }
    }
    directives
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

#[cfg(test)]
mod tests {
    use super::*;

    fn environment<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    #[test]
    fn the_operators_level_wins_over_the_level_lambda_filters_at() {
        let directives = directives(environment(&[("LOG_LEVEL", "WARN"), ("AWS_LAMBDA_LOG_LEVEL", "TRACE")]));

        assert!(directives.starts_with("warn,"), "{directives}");
    }

    #[test]
    fn without_an_operator_level_lambdas_level_then_rust_log_then_info_apply() {
        assert!(directives(environment(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")])).starts_with("error,"));
        assert!(directives(environment(&[("RUST_LOG", "debug")])).starts_with("debug,"));
        assert!(directives(environment(&[])).starts_with("info,aws_smithy_runtime=warn"));
    }
}
