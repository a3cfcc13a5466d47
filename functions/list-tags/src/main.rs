#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    conduit_telemetry::init();
    let adapters = conduit_bootstrap::Adapters::from_env().await?;
    conduit_http::run(list_tags::ListTagsEndpoint::new(&adapters)?).await
}
