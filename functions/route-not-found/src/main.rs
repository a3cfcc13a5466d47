use std::process::ExitCode;

/// A failure to start is one line on stderr and a non-zero exit: Lambda reports an init error.
#[tokio::main]
async fn main() -> ExitCode {
    conduit_telemetry::init();
    let served: Result<(), lambda_http::Error> = async {
        conduit_telemetry::process::require_lambda_environment()?;
        conduit_http::run(route_not_found::RouteNotFoundEndpoint, conduit_http::CALLS_NOTHING_BUDGET).await
    }
    .await;
    conduit_telemetry::process::exit_code(env!("CARGO_PKG_NAME"), served)
}
