//! The OTLP exporter: OTLP/HTTP with protobuf bodies, to the endpoint, headers and timeout the
//! standard `OTEL_EXPORTER_OTLP_*` variables give.
//!
//! Its HTTP client is hyper's, with the rustls and aws-lc the AWS SDK links already. The batch
//! processor exports on a thread of its own, which has no tokio reactor, so each request is
//! spawned on the runtime the pipeline was installed from. The TLS configuration (the system's
//! root certificates, milliseconds to load) is built at the first export, after the first answer,
//! never during a cold start.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use tokio::runtime::Handle;

use super::TracesError;

/// How long one export may take unless `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT` says otherwise: the
/// flush after each invocation waits for it, and Lambda bills that wait.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);
const TIMEOUT_VARIABLES: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"];

/// The exporter; the endpoint and headers are read from the environment by the exporter itself.
pub fn exporter(runtime: Handle) -> Result<opentelemetry_otlp::SpanExporter, TracesError> {
    let timeout = timeout(|name| std::env::var(name).ok());
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_timeout(timeout)
        .with_http_client(SpawningClient { runtime, timeout, client: Arc::new(OnceLock::new()) })
        .build()
        .map_err(TracesError::Otlp)
}

/// The configured timeout in milliseconds, the per-signal variable first; empty counts as unset.
fn timeout(lookup: impl Fn(&str) -> Option<String>) -> Duration {
    TIMEOUT_VARIABLES
        .iter()
        .find_map(|name| lookup(name).and_then(|value| value.trim().parse::<u64>().ok()))
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis)
}

type HttpsClient = HyperClient<HttpsConnector<HttpConnector>>;

/// Sends on `runtime`, building the TLS client on first use.
#[derive(Debug, Clone)]
struct SpawningClient {
    runtime: Handle,
    timeout: Duration,
    client: Arc<OnceLock<Result<HttpsClient, String>>>,
}

#[async_trait]
impl HttpClient for SpawningClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let (client, timeout) = (Arc::clone(&self.client), self.timeout);
        self.runtime
            .spawn(async move {
                match client.get_or_init(|| https_client(timeout)) {
                    Ok(client) => client.send_bytes(request).await,
                    Err(cannot_build) => Err(cannot_build.clone().into()),
                }
            })
            .await?
    }
}

fn https_client(timeout: Duration) -> Result<HttpsClient, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|error| format!("no root certificates for OTLP over HTTPS: {error}"))?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(HyperClient::new(connector, timeout, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_timeout_is_a_second_unless_configured() {
        assert_eq!(timeout(|_| None), Duration::from_millis(1000));
        assert_eq!(timeout(|_| Some(String::new())), Duration::from_millis(1000));
        assert_eq!(
            timeout(|name| (name == "OTEL_EXPORTER_OTLP_TIMEOUT").then(|| "250".to_owned())),
            Duration::from_millis(250)
        );
        assert_eq!(
            timeout(|name| Some(if name == "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" { "50" } else { "250" }.to_owned())),
            Duration::from_millis(50)
        );
    }
}
