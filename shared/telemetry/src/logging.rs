//! The subscriber: JSON lines when Lambda's `AWS_LAMBDA_LOG_FORMAT` is `JSON` (plain text otherwise,
//! for people reading a terminal), at the level `LOG_LEVEL` sets (else `AWS_LAMBDA_LOG_LEVEL`, else
//! `RUST_LOG`, else INFO). Every line carries the fields of the request span it was logged in.

use tracing::Metadata;
use tracing_subscriber::filter::{FilterExt, FilterFn, LevelFilter};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::traces::{self, TracesSetup};

/// Dependencies whose lines below WARN carry what must never be logged, by the start of their
/// tracing targets (a target starts with its crate's name, and a directive covers every target it
/// starts): the Lambda runtime logs each raw event, body and `Authorization` header, at TRACE; the
/// AWS SDK logs request signatures and, at TRACE, request and response bodies (GetSecretValue's
/// signing key, PutItem's password hash); the HTTP stack logs headers. They log at WARN at most,
/// whatever `LOG_LEVEL` says; so does OpenTelemetry, whose debug lines describe the spans it
/// exports. A test holds every dependency that can emit a line to this list.
pub const QUIET_TARGETS: &[&str] = &["aws_", "lambda_", "hyper", "h2", "http", "rustls", "tower", "opentelemetry"];

/// The application's own level: Lambda's log-level filter treats a JSON line without a `level`
/// key as INFO, so letting Lambda filter at WARN or above would drop every EMF metric line. The
/// template therefore has Lambda pass everything (`ApplicationLogLevel: TRACE`) and gives the
/// operator's level in `LOG_LEVEL`; this filter applies it to log lines, never to metric lines.
pub const LOG_LEVEL_VARIABLE: &str = "LOG_LEVEL";

fn filter() -> EnvFilter {
    let configured = directives(|name| std::env::var(name).ok());
    // A `RUST_LOG` that does not parse falls back to INFO, the dependencies still held quiet.
    EnvFilter::try_new(&configured).unwrap_or_else(|_| EnvFilter::new(directives(|_| None)))
}

/// `LOG_LEVEL`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO, for our own
/// crates; the [`QUIET_TARGETS`] at that level or WARN, whichever is quieter.
///
/// `LOG_LEVEL` and `AWS_LAMBDA_LOG_LEVEL` give a level and nothing else, so no value of the
/// template's `LogLevel` can open a dependency. `RUST_LOG` may name a quiet target explicitly (a
/// directive for a longer target wins over ours): it is read only where neither level is set, which
/// is a developer's machine, never a deployed function (Lambda sets `AWS_LAMBDA_LOG_LEVEL` from the
/// template's `ApplicationLogLevel`).
fn directives(variable: impl Fn(&str) -> Option<String>) -> String {
    let operator_level = variable(LOG_LEVEL_VARIABLE).or_else(|| variable("AWS_LAMBDA_LOG_LEVEL"));
    let (mut directives, quiet_level) = match operator_level {
        Some(level) => {
            let level = level_of(&level);
            (level.to_string(), level.min(LevelFilter::WARN))
        }
        None => (variable("RUST_LOG").unwrap_or_else(|| "info".to_owned()), LevelFilter::WARN),
    };
    for quiet in QUIET_TARGETS {
        if !names_target(&directives, quiet) {
            directives.push_str(&format!(",{quiet}={quiet_level}"));
        }
    }
    directives
}

/// Lambda's level names (`FATAL` is ERROR here); anything else is INFO.
fn level_of(name: &str) -> LevelFilter {
    match name.trim().to_ascii_lowercase().as_str() {
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "warn" => LevelFilter::WARN,
        "error" | "fatal" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::INFO,
    }
}

/// Whether one of `directives` is for exactly `target` (`target=level`, `target[span]=level`).
fn names_target(directives: &str, target: &str) -> bool {
    directives.split(',').any(|directive| directive.trim().split(['=', '[']).next() == Some(target))
}

fn json_format() -> bool {
    std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"))
}

/// The spans whose fields every log line inside them carries: a request's, a stream record's.
/// The other spans (a use case, an AWS call) are for traces: a line inside one still carries its
/// request's context, not theirs.
pub const LOG_CONTEXT_SPANS: &[&str] = &["request", "record"];

fn is_log_line_or_context(metadata: &Metadata<'_>) -> bool {
    !metadata.is_span() || LOG_CONTEXT_SPANS.contains(&metadata.name())
}

/// Installs the subscriber for the process, writing to standard output (what Lambda collects).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// Installs the traces pipeline `setup` describes, then the subscriber, which turns spans into
/// traces through it. A pipeline that cannot be built is logged, and the process runs without
/// traces: tracing never stops a function.
pub fn init_with_traces(setup: TracesSetup) -> Option<&'static traces::Traces> {
    let installed = traces::install(setup);
    init();
    match installed {
        Ok(traces) => traces,
        Err(error) => {
            tracing::warn!(error = %crate::process::ErrorChain(&error), "traces are off");
            None
        }
    }
}

/// The same subscriber with another writer (tests capture the lines this way). A second call in
/// one process is ignored. Filters are per layer: the log level applies to log lines, the traces
/// have their own (`traces`), so `LOG_LEVEL=ERROR` still traces every request.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let lines = FilterFn::new(is_log_line_or_context).and(filter());
    let builder = tracing_subscriber::fmt::layer().with_writer(writer).with_target(false);
    let log_layer: Box<dyn Layer<Registry> + Send + Sync> = if json_format() {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).with_filter(lines).boxed()
    } else {
        builder.without_time().with_filter(lines).boxed()
    };
    let mut layers = vec![log_layer];
    layers.extend(traces::installed().map(traces::subscriber_layer));
    let _ = tracing_subscriber::registry().with(layers).try_init();
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    fn environment<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    /// What a subscriber filtered by `directives` writes while `log` runs.
    fn logged(directives: &str, log: impl FnOnce()) -> String {
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
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::try_new(directives).expect("valid directives"))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        String::from_utf8_lossy(&captured.0.lock().expect("lock")).into_owned()
    }

    /// Lines as the dependencies write them below WARN (the runtime's raw event, the SDK's bodies
    /// and signatures, the HTTP stack's headers), each carrying a secret; and our own lines.
    fn log_dependency_secrets_and_own_lines() {
        tracing::trace!(target: "lambda_runtime::layers::api_response", body = "secret event body", "raw JSON event");
        tracing::debug!(target: "lambda_runtime_api_client", "secret runtime request");
        tracing::trace!(target: "aws_smithy_runtime::client::http", "secret GetSecretValue response");
        tracing::debug!(target: "aws_sigv4::http_request::sign", "secret canonical request");
        tracing::info!(target: "aws_config::profile", "secret profile");
        tracing::trace!(target: "h2::codec", "secret header frame");
        tracing::debug!(target: "hyper_util::client", "secret connection");
        tracing::warn!(target: "aws_smithy_runtime::client::retries", "dependency warning");
        tracing::trace!(target: "conduit_telemetry::request", "own trace line");
        tracing::debug!(target: "login_user", "own debug line");
        tracing::info!(target: "conduit_http::endpoint", "own info line");
        tracing::error!(target: "authorizer", "own error line");
    }

    #[test]
    fn at_every_level_the_template_allows_our_lines_follow_it_and_no_dependency_logs_below_warn() {
        // Given each value of the template's LogLevel (its AllowedValues) and the most verbose
        // level it means, as Lambda runs it.
        for (level, most_verbose) in [
            ("TRACE", LevelFilter::TRACE),
            ("DEBUG", LevelFilter::DEBUG),
            ("INFO", LevelFilter::INFO),
            ("WARN", LevelFilter::WARN),
            ("ERROR", LevelFilter::ERROR),
            ("FATAL", LevelFilter::ERROR),
        ] {
            let directives = directives(environment(&[("LOG_LEVEL", level), ("AWS_LAMBDA_LOG_LEVEL", "TRACE")]));

            // When the dependencies log what they log below WARN, and we log at every level...
            let text = logged(&directives, log_dependency_secrets_and_own_lines);

            // ...then no dependency line below WARN is written...
            assert!(!text.contains("secret"), "{level}: {text}");
            // ...and ours are written down to the operator's level, a dependency's warning too
            // unless the level is stricter.
            for (line, written_from) in [
                ("own error line", LevelFilter::ERROR),
                ("dependency warning", LevelFilter::WARN),
                ("own info line", LevelFilter::INFO),
                ("own debug line", LevelFilter::DEBUG),
                ("own trace line", LevelFilter::TRACE),
            ] {
                assert_eq!(text.contains(line), most_verbose >= written_from, "{level}: {line} in {text}");
            }
        }
    }

    #[test]
    fn the_operators_level_wins_over_the_level_lambda_filters_at_and_over_rust_log() {
        let directives = directives(environment(&[
            ("LOG_LEVEL", "WARN"),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
            ("RUST_LOG", "trace,aws_smithy_runtime=trace"),
        ]));

        assert!(directives.starts_with("warn,"), "{directives}");
        assert!(!logged(&directives, log_dependency_secrets_and_own_lines).contains("secret"));
    }

    #[test]
    fn a_level_variable_names_a_level_only_never_a_crate() {
        // Given a LOG_LEVEL that tries to open a dependency.
        let directives = directives(environment(&[("LOG_LEVEL", "trace,aws_smithy_runtime=trace")]));

        // Then it counts as no known level: INFO, the dependencies held at WARN.
        assert!(directives.starts_with("info,aws_=warn"), "{directives}");
        assert!(!logged(&directives, log_dependency_secrets_and_own_lines).contains("secret"));
    }

    #[test]
    fn without_an_operator_level_lambdas_level_then_rust_log_then_info_apply() {
        assert!(directives(environment(&[("AWS_LAMBDA_LOG_LEVEL", "FATAL")])).starts_with("error,aws_=error"));
        assert!(directives(environment(&[("RUST_LOG", "debug")])).starts_with("debug,aws_=warn"));
        assert!(directives(environment(&[])).starts_with("info,aws_=warn"));
    }

    #[test]
    fn on_a_developers_machine_rust_log_may_open_a_dependency_it_names() {
        // Given no level variable (never so in Lambda) and RUST_LOG naming one SDK crate.
        let directives = directives(environment(&[("RUST_LOG", "info,aws_smithy_runtime=trace")]));

        // When the dependencies log, then that crate's lines are written and no other's.
        let text = logged(&directives, log_dependency_secrets_and_own_lines);
        assert!(text.contains("secret GetSecretValue response"), "{text}");
        assert!(!text.contains("secret event body") && !text.contains("secret canonical request"), "{text}");
    }

    #[test]
    fn every_dependency_that_can_write_a_log_line_is_held_quiet() {
        // Given every package of the lock file that emits tracing events (or `log` records, were
        // they bridged to tracing), other than the workspace's crates and tracing's own.
        let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).expect("lock");
        let bridges_log = lock.contains("name = \"tracing-log\"");
        let loggers: Vec<String> = lock
            .split("[[package]]")
            .filter(|package| package.contains("\nsource = "))
            .filter(|package| {
                let depends_on = |name: &str| {
                    package.contains(&format!("\n \"{name}\",")) || package.contains(&format!("\n \"{name} "))
                };
                depends_on("tracing") || (bridges_log && depends_on("log"))
            })
            .filter_map(|package| {
                package.split("name = \"").nth(1)?.split('"').next().map(|name| name.replace('-', "_"))
            })
            .filter(|name| !name.starts_with("tracing"))
            .collect();
        assert!(loggers.iter().any(|name| name == "lambda_runtime"), "the lock file was read: {loggers:?}");

        // Then each one's target is held quiet.
        let loud: Vec<&String> =
            loggers.iter().filter(|name| !QUIET_TARGETS.iter().any(|quiet| name.starts_with(quiet))).collect();
        assert!(loud.is_empty(), "add to QUIET_TARGETS if they may log secrets below WARN: {loud:?}");
    }
}
