use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::events::IncomingRequest;
use crate::gateway::Gateway;
use crate::gateway_response::GatewayResponse;
use crate::{local_traces, outbox, streams};

/// API Gateway's own payload limit for HTTP APIs.
const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Accepts connections until the task is dropped, each served on its own task, and meanwhile runs
/// the stream consumers, which stop with it.
pub async fn serve(listener: TcpListener, gateway: Arc<Gateway>) -> std::io::Result<()> {
    let poller = gateway.stream_poller();
    let polling = async {
        if let Some(poller) = poller {
            poller.run().await;
        }
        // Serving goes on when there is no stream to follow.
        std::future::pending::<std::convert::Infallible>().await
    };
    tokio::select! {
        result = accept(listener, gateway) => result,
        never = polling => match never {},
    }
}

async fn accept(listener: TcpListener, gateway: Arc<Gateway>) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let gateway = Arc::clone(&gateway);
                async move { Ok::<_, Infallible>(handle(&gateway, request, peer).await) }
            });
            if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(error = %error, "connection closed");
            }
        });
    }
}

async fn handle(
    gateway: &Arc<Gateway>,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            return to_hyper(GatewayResponse::from_gateway(413, "Request Entity Too Large"));
        }
    };
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| joined.push_str(&format!(",{value}")))
            .or_insert(value);
    }
    let incoming = IncomingRequest {
        method: parts.method.as_str().to_owned(),
        raw_path: parts.uri.path().to_owned(),
        raw_query: parts.uri.query().unwrap_or_default().to_owned(),
        headers,
        body,
        source_ip: peer.ip().to_string(),
        request_id: ulid::Ulid::new().to_string(),
    };
    // The local gateway's own pages, ahead of the API's routes.
    if let Some(response) = outbox::answer(&incoming, gateway.outbox()) {
        return to_hyper(response);
    }
    if let Some(response) = streams::answer(&incoming, gateway.stream_failures()) {
        return to_hyper(response);
    }
    if let Some(response) = local_traces::answer(&incoming, gateway.recent_traces()) {
        return to_hyper(response);
    }
    to_hyper(gateway.handle(incoming).await)
}

fn to_hyper(response: GatewayResponse) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name, value);
    }
    builder.body(Full::new(Bytes::from(response.body))).unwrap_or_else(|_| {
        let mut fallback =
            hyper::Response::new(Full::new(Bytes::from_static(br#"{"message":"Internal Server Error"}"#)));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}
