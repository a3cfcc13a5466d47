#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    conduit_telemetry::init();
    conduit_http::run(get_docs::GetDocsEndpoint).await
}
