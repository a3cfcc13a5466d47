//! `conduit-local`: the whole API on this machine. Starts DynamoDB Local (unless an endpoint is
//! given), creates the table from template.yaml (recording it as having every data migration) or
//! applies the migrations an existing table lacks, and serves http://127.0.0.1:3000/api until Ctrl-C.
//! Every invocation is held to Lambda's response limit and the template's function timeouts;
//! `--response-limit-bytes` and `--function-timeout-seconds` lower them, to reach them.
//! Every span is kept for http://127.0.0.1:3000/_local/traces.html (the last `--recent-traces`
//! traces, `--spans-per-trace` spans each), and sent to an OTLP collector as well when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` names one.
//! A failure to start is one line on stderr (`conduit-local: ...`) and exit status 1; a wrong
//! option (or `--help`) prints the usage and exits with status 2.

use std::process::ExitCode;
use std::sync::Arc;

use conduit_bootstrap::{Adapters, KeyRing, SigningKey, TimeBudget};
use conduit_dynamodb_local::{DynamoDbLocal, TableDefinition, local_sdk_config};
use conduit_local_gateway::{
    AwsLimits, Gateway, OUTBOX_PAGE_PATH, RecentTraceLimits, RecentTraces, TRACES_PAGE_PATH, serve,
};
use conduit_migrations::Migrator;
use conduit_telemetry::process::{Failure, exit_code};
use conduit_telemetry::traces::sdk::trace::SimpleSpanProcessor;
use conduit_telemetry::traces::{self, ExporterChoice, TracesSetup};

const COMMAND: &str = "conduit-local";
const USAGE: &str = "usage: conduit-local [--port N] [--dynamodb-endpoint URL] [--table NAME] \
[--response-limit-bytes N] [--function-timeout-seconds N] [--recent-traces N] [--spans-per-trace N]";

struct Options {
    port: u16,
    dynamodb_endpoint: Option<String>,
    table: String,
    /// Below Lambda's 6,291,556 bytes.
    response_limit_bytes: Option<usize>,
    /// For every function, instead of the template's.
    function_timeout_seconds: Option<u64>,
    /// How many traces, and spans of each, `/_local/traces` keeps.
    recent_traces: RecentTraceLimits,
}

enum Refusal {
    Help,
    Usage(String),
}

fn options(mut arguments: impl Iterator<Item = String>) -> Result<Options, Refusal> {
    let mut options = Options {
        port: 3000,
        dynamodb_endpoint: None,
        table: "conduit-local".into(),
        response_limit_bytes: None,
        function_timeout_seconds: None,
        recent_traces: RecentTraceLimits::default(),
    };
    while let Some(flag) = arguments.next() {
        let mut value = || arguments.next().ok_or_else(|| Refusal::Usage(format!("{flag} needs a value")));
        match flag.as_str() {
            "--port" => options.port = number(&flag, value()?)?,
            "--dynamodb-endpoint" => options.dynamodb_endpoint = Some(value()?),
            "--table" => options.table = value()?,
            "--response-limit-bytes" => options.response_limit_bytes = Some(number(&flag, value()?)?),
            "--function-timeout-seconds" => options.function_timeout_seconds = Some(number(&flag, value()?)?),
            "--recent-traces" => options.recent_traces.traces = number(&flag, value()?)?,
            "--spans-per-trace" => options.recent_traces.spans_per_trace = number(&flag, value()?)?,
            "-h" | "--help" => return Err(Refusal::Help),
            other => return Err(Refusal::Usage(format!("unknown option {other}"))),
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(flag: &str, value: String) -> Result<T, Refusal> {
    value.parse().map_err(|_| Refusal::Usage(format!("{flag} takes a number, not {value:?}")))
}

/// Why the API could not start, in words that say what to fix.
#[derive(Debug, thiserror::Error)]
enum StartFailure {
    #[error("{0:?} is not a valid DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.')")]
    TableName(String),
    #[error("cannot use DynamoDB at {endpoint}{answered}")]
    DynamoDb {
        endpoint: String,
        /// What it answered, when something did: ", which answered HTTP 404".
        answered: String,
        #[source]
        cause: Failure,
    },
    #[error("cannot create table {table} in DynamoDB at {endpoint}")]
    CreateTable {
        table: String,
        endpoint: String,
        #[source]
        cause: Failure,
    },
    #[error("cannot migrate table {table}")]
    Migrate {
        table: String,
        #[source]
        cause: conduit_migrations::MigrationError,
    },
    #[error("cannot listen on 127.0.0.1:{port}")]
    Listen {
        port: u16,
        #[source]
        cause: std::io::Error,
    },
}

/// DynamoDB's rule for table names, checked here so that a typo is not a service error later.
fn is_valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.'))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(Refusal::Help) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Err(Refusal::Usage(problem)) => {
            eprintln!("{COMMAND}: {problem} ({USAGE})");
            return ExitCode::from(2);
        }
    };
    let recent_traces = traced(options.recent_traces);
    let result = run_until_stopped(options, recent_traces).await;
    // What the collector, if any, has not received yet.
    traces::flush();
    exit_code(COMMAND, result)
}

/// Installs the traces pipeline and the log subscriber: every span goes to the recent traces the
/// gateway serves, and to the exporter the environment chooses (an OTLP collector a user runs:
/// `OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318`). `None` when tracing could not be set up
/// (logged): the API runs without traces.
fn traced(limits: RecentTraceLimits) -> Option<RecentTraces> {
    let recent = RecentTraces::new(limits);
    let setup = TracesSetup::from_env(COMMAND).with_span_processor(SimpleSpanProcessor::new(recent.clone()));
    conduit_telemetry::init_with_traces(setup).map(|_| recent)
}

/// Ctrl-C or a plain `kill`, even during start-up: dropping `run` drops the DynamoDB Local it
/// started, which kills that process.
async fn run_until_stopped(options: Options, recent_traces: Option<RecentTraces>) -> Result<(), Failure> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = run(options, recent_traces) => return result,
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    println!("stopping");
    Ok(())
}

async fn run(options: Options, recent_traces: Option<RecentTraces>) -> Result<(), Failure> {
    if !is_valid_table_name(&options.table) {
        return Err(StartFailure::TableName(options.table).into());
    }
    // What AWS holds each invocation to (docs/aws-limits.md).
    let mut limits = AwsLimits::deployed()?;
    if let Some(bytes) = options.response_limit_bytes {
        limits = limits.with_response_limit_bytes(bytes)?;
    }
    if let Some(seconds) = options.function_timeout_seconds {
        limits = limits.with_function_timeout_seconds(seconds)?;
    }
    // Kept alive while serving: dropping it stops DynamoDB Local.
    let (_dynamodb_local, endpoint) = match options.dynamodb_endpoint {
        Some(endpoint) => (None, endpoint),
        None => {
            let engine = DynamoDbLocal::start(None).await?;
            let endpoint = engine.endpoint().to_owned();
            (Some(engine), endpoint)
        }
    };
    let sdk = local_sdk_config(&endpoint);
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let migrator = Migrator::new(client.clone(), &options.table);
    let migrate_failed = |cause| StartFailure::Migrate { table: options.table.clone(), cause };
    match client.describe_table().table_name(&options.table).send().await {
        // A table of an earlier run: it gets what it lacks, as a deployed table does on deploy.
        Ok(_) => {
            let applied = migrator.up(&|_| {}).await.map_err(migrate_failed)?;
            for migration in applied {
                println!(
                    "Migrated table {}: {} (items rewritten: {})",
                    options.table, migration.id, migration.rewritten
                );
            }
        }
        Err(error) if error.as_service_error().is_some_and(|error| error.is_resource_not_found_exception()) => {
            let created = async { TableDefinition::from_template()?.create(&client, &options.table).await };
            created.await.map_err(|cause| StartFailure::CreateTable {
                table: options.table.clone(),
                endpoint: endpoint.clone(),
                cause: cause.into(),
            })?;
            migrator.baseline().await.map_err(migrate_failed)?;
        }
        Err(error) => {
            let answered = error
                .raw_response()
                .map(|response| format!(", which answered HTTP {}", response.status().as_u16()))
                .unwrap_or_default();
            return Err(StartFailure::DynamoDb { endpoint, answered, cause: error.into() }.into());
        }
    }

    // No AWS account here: tokens are signed with a key generated for this run.
    let keys = KeyRing { current: SigningKey::generate(format!("local-{}", ulid::Ulid::new())), previous: None };
    // The same budget variables as the functions (docs/failing-well.md), checked before serving.
    // So are the abuse limits (docs/abuse-protection.md): a test or a person trying the API sets
    // smaller or larger ones with the same variables the template sets, and the read limits
    // (docs/bounded-reads.md) likewise, as the stream consumers' chunk limits.
    let mut adapters = Adapters::local(sdk, &options.table, keys)
        .with_time_budget(TimeBudget::from_env()?)
        .with_abuse_limits(conduit_bootstrap::abuse_limits::from_env()?)
        .with_read_limits(conduit_bootstrap::read_limits::from_env()?)
        .with_chunk_limits(conduit_bootstrap::chunk_limits::from_env()?)
        .with_idempotency(conduit_bootstrap::idempotency_settings::from_env()?);
    // Links in the mails the outbox captures point at the front end under development.
    if let Ok(url) = std::env::var(conduit_bootstrap::variables::APP_BASE_URL) {
        adapters = adapters.with_app_base_url(url);
    }
    let mut gateway = Gateway::new(&adapters)?.with_aws_limits(limits);
    if let Some(recent) = recent_traces {
        gateway = gateway.with_recent_traces(recent);
    }
    let gateway = Arc::new(gateway);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|cause| StartFailure::Listen { port: options.port, cause })?;
    println!(
        "Conduit API listening on http://{}/api (DynamoDB at {endpoint}, table {})",
        listener.local_addr()?,
        options.table
    );
    println!("Mail the API sends is shown at http://{}{OUTBOX_PAGE_PATH}", listener.local_addr()?);
    if gateway.recent_traces().is_some() {
        println!("Traces of recent requests are shown at http://{}{TRACES_PAGE_PATH}", listener.local_addr()?);
    }
    if traces::installed().is_some_and(|installed| installed.exporter() == ExporterChoice::Otlp) {
        println!("Traces are also sent to the OTLP collector OTEL_EXPORTER_OTLP_ENDPOINT names");
    }
    Ok(serve(listener, gateway).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(arguments: &[&str]) -> Result<Options, Refusal> {
        options(arguments.iter().map(|argument| (*argument).to_owned()))
    }

    #[test]
    fn table_names_follow_dynamodb_rules() {
        for valid in ["conduit-local", "abc", "a.b_c-1", &"x".repeat(255)] {
            assert!(is_valid_table_name(valid), "{valid}");
        }
        for invalid in ["", "ab", "a b", "tábla", "a/b", &"x".repeat(256)] {
            assert!(!is_valid_table_name(invalid), "{invalid}");
        }
    }

    #[test]
    fn a_wrong_option_is_refused_with_what_is_wrong() {
        let problem = |arguments: &[&str]| match parsed(arguments) {
            Err(Refusal::Usage(problem)) => problem,
            _ => panic!("{arguments:?} accepted"),
        };

        assert_eq!(problem(&["--port", "x"]), r#"--port takes a number, not "x""#);
        assert_eq!(problem(&["--table"]), "--table needs a value");
        assert_eq!(problem(&["--verbose"]), "unknown option --verbose");
        assert!(matches!(parsed(&["--help"]), Err(Refusal::Help)));
        assert_eq!(
            problem(&["--function-timeout-seconds", "1s"]),
            r#"--function-timeout-seconds takes a number, not "1s""#
        );
        assert!(matches!(parsed(&["--port", "8080", "--table", "t1"]), Ok(Options { port: 8080, .. })));
        assert!(matches!(
            parsed(&["--response-limit-bytes", "1000", "--function-timeout-seconds", "2"]),
            Ok(Options { response_limit_bytes: Some(1000), function_timeout_seconds: Some(2), .. })
        ));
        assert_eq!(problem(&["--recent-traces", "many"]), r#"--recent-traces takes a number, not "many""#);
        assert!(matches!(
            parsed(&["--recent-traces", "5", "--spans-per-trace", "20"]),
            Ok(Options { recent_traces: RecentTraceLimits { traces: 5, spans_per_trace: 20 }, .. })
        ));
        assert!(matches!(parsed(&[]), Ok(Options { recent_traces: RecentTraceLimits { traces: 50, .. }, .. })));
    }
}
