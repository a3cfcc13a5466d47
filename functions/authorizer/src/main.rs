use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    conduit_telemetry::init();
    let adapters = conduit_bootstrap::Adapters::from_env().await?;
    let authorizer = authorizer::Authorizer::new(&adapters)?;
    // Boxed: the runtime's nested service futures are otherwise too deep a type to lay out.
    lambda_runtime::run(service_fn(|event: LambdaEvent<authorizer::AuthorizerRequest>| {
        Box::pin(authorizer.authorize_event(event))
    }))
    .await
}
