use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};

/// A failure to start is one line on stderr and a non-zero exit: Lambda reports an init error.
#[tokio::main]
async fn main() -> ExitCode {
    conduit_telemetry::init();
    let served: Result<(), lambda_runtime::Error> = async {
        conduit_telemetry::process::require_lambda_environment()?;
        let adapters = conduit_bootstrap::Adapters::from_env().await?;
        let authorizer = authorizer::Authorizer::new(&adapters)?;
        // Boxed: the runtime's nested service futures are otherwise too deep a type to lay out.
        lambda_runtime::run(service_fn(|event: LambdaEvent<authorizer::AuthorizerRequest>| {
            Box::pin(authorizer.authorize_event(event))
        }))
        .await
        .map_err(conduit_telemetry::process::runtime_stopped)
    }
    .await;
    conduit_telemetry::process::exit_code(env!("CARGO_PKG_NAME"), served)
}
