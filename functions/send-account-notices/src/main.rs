use std::process::ExitCode;

/// A failure to start is one line on stderr and a non-zero exit: Lambda reports an init error.
#[tokio::main]
async fn main() -> ExitCode {
    conduit_telemetry::init();
    let served: Result<(), lambda_runtime::Error> = async {
        conduit_telemetry::process::require_lambda_environment()?;
        let adapters = conduit_bootstrap::Adapters::from_env().await?;
        conduit_streams::run(send_account_notices::AccountNoticeConsumer::new(&adapters)?).await
    }
    .await;
    conduit_telemetry::process::exit_code(env!("CARGO_PKG_NAME"), served)
}
