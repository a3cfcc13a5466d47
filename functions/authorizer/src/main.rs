// The runtime's nested service futures exceed the default type-layout depth.
#![recursion_limit = "256"]

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    conduit_telemetry::init();
    let adapters = conduit_bootstrap::Adapters::from_env().await?;
    let authorizer = authorizer::Authorizer::new(&adapters)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<authorizer::AuthorizerRequest>| {
        authorizer.authorize_event(event)
    }))
    .await
}
