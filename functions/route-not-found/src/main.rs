#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    conduit_telemetry::init();
    conduit_http::run(route_not_found::RouteNotFoundEndpoint).await
}
