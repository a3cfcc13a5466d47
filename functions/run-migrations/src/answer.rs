//! Telling CloudFormation: one PUT of the response to the request's ResponseURL, a pre-signed S3
//! URL. Its signature covers no Content-Type, so none is sent (S3 would refuse a request that
//! does not match the signature).

use std::error::Error as StdError;
use std::sync::OnceLock;
use std::time::Duration;

use conduit_telemetry::process::ErrorChain;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long the answer may take. The defaults (3 attempts of at most 10 s, 1 s then 2 s apart:
/// 33 s at worst) fit in the minute the migrations leave before the invocation's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerBudget {
    /// One attempt: connecting, sending, and reading S3's reply.
    pub attempt: Duration,
    pub attempts: u32,
    /// Before the second attempt; doubled before each later one.
    pub pause: Duration,
}

impl Default for AnswerBudget {
    fn default() -> Self {
        Self { attempt: Duration::from_secs(10), attempts: 3, pause: Duration::from_secs(1) }
    }
}

/// Why CloudFormation was not told: the invocation then fails, and Lambda retries it (the
/// migrations are idempotent, so the retry answers what they come to).
#[derive(Debug, thiserror::Error)]
pub enum Unanswered {
    #[error("the event is not a CloudFormation custom resource request: it has no ResponseURL to answer")]
    NoResponseUrl,
    #[error("no trusted root certificate to reach the ResponseURL with")]
    NoTrustedRoots(#[source] std::io::Error),
    #[error("the request's ResponseURL is not a URL")]
    NotAUrl(#[source] hyper::http::uri::InvalidUri),
    #[error("the ResponseURL refused the answer: HTTP {status} {code}")]
    Refused { status: u16, code: String },
    #[error("the answer did not reach the ResponseURL in {attempts} attempts")]
    Unreachable {
        attempts: u32,
        #[source]
        cause: Box<dyn StdError + Send + Sync>,
    },
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Sends responses over HTTPS (plain HTTP too, for loopback tests).
pub struct ResponseSender {
    /// Built on the first answer, not at cold start: reading the machine's root certificates
    /// takes milliseconds a cold start would pay every time, for an answer sent once per
    /// invocation.
    client: OnceLock<HttpsClient>,
    budget: AnswerBudget,
}

/// How one attempt failed.
enum AttemptFailed {
    /// Worth another attempt: no connection, no reply in time, S3 busy or failing.
    Transient(Box<dyn StdError + Send + Sync>),
    /// The same answer would be refused again (an expired or mangled URL).
    Refused { status: StatusCode, code: String },
}

impl ResponseSender {
    pub fn new(budget: AnswerBudget) -> Self {
        Self { client: OnceLock::new(), budget }
    }

    /// The HTTPS client; fails only when the machine has no trusted root certificates at all.
    fn client(&self) -> Result<&HttpsClient, Unanswered> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(Unanswered::NoTrustedRoots)?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(self.client.get_or_init(|| Client::builder(TokioExecutor::new()).build(connector)))
    }

    pub async fn send(&self, url: &str, body: Vec<u8>) -> Result<(), Unanswered> {
        let uri: Uri = url.parse().map_err(Unanswered::NotAUrl)?;
        let client = self.client()?;
        let body = Bytes::from(body);
        let mut pause = self.budget.pause;
        let mut attempt = 1;
        loop {
            match Self::attempt(client, self.budget, &uri, body.clone()).await {
                Ok(()) => return Ok(()),
                Err(AttemptFailed::Refused { status, code }) => {
                    return Err(Unanswered::Refused { status: status.as_u16(), code });
                }
                Err(AttemptFailed::Transient(cause)) if attempt >= self.budget.attempts => {
                    return Err(Unanswered::Unreachable { attempts: attempt, cause });
                }
                Err(AttemptFailed::Transient(cause)) => {
                    tracing::warn!(attempt, error = %ErrorChain(cause.as_ref()), "the answer to CloudFormation did not get through; trying again");
                }
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
            attempt += 1;
        }
    }

    async fn attempt(client: &HttpsClient, budget: AnswerBudget, uri: &Uri, body: Bytes) -> Result<(), AttemptFailed> {
        // A known length: hyper sends Content-Length (S3 takes no chunked upload here) and no
        // Content-Type, since none is set.
        let request = hyper::Request::put(uri.clone())
            .body(Full::new(body))
            .map_err(|error| AttemptFailed::Transient(Box::new(error)))?;
        let exchange = async {
            let response = client.request(request).await?;
            let status = response.status();
            let reply = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn StdError + Send + Sync>>((status, reply))
        };
        let (status, reply) = tokio::time::timeout(budget.attempt, exchange)
            .await
            .map_err(|elapsed| AttemptFailed::Transient(Box::new(elapsed)))?
            .map_err(AttemptFailed::Transient)?;
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Err(AttemptFailed::Transient(format!("HTTP {status} {}", error_code(&reply)).into()))
        } else {
            Err(AttemptFailed::Refused { status, code: error_code(&reply) })
        }
    }
}

/// The `<Code>` of an S3 error reply (`AccessDenied`, `SignatureDoesNotMatch`...). Only the code:
/// the rest of such a reply can echo the signed request.
fn error_code(reply: &[u8]) -> String {
    let reply = String::from_utf8_lossy(reply);
    reply
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback server answering each request with the next of `statuses`; it records each
    /// request's head and body.
    async fn server(statuses: &'static [u16]) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let url = format!("http://{}/answer?X-Amz-Signature=abc", listener.local_addr().expect("address"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            for status in statuses {
                let (mut stream, _) = listener.accept().await.expect("accepted");
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                // Head and body arrive together for these small requests; read until the body is in.
                while !String::from_utf8_lossy(&request).contains("\"Status\"") {
                    let read = stream.read(&mut buffer).await.expect("read");
                    if read == 0 {
                        break;
                    }
                    request.extend_from_slice(&buffer[..read]);
                }
                log.lock().expect("log").push(String::from_utf8_lossy(&request).into_owned());
                let body = match status {
                    200 => String::new(),
                    503 => "<Error><Code>SlowDown</Code></Error>".to_owned(),
                    _ => "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>".to_owned(),
                };
                let reply =
                    format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                stream.write_all(reply.as_bytes()).await.expect("written");
            }
        });
        (url, received)
    }

    fn sender() -> ResponseSender {
        let budget = AnswerBudget { attempt: Duration::from_secs(5), attempts: 3, pause: Duration::from_millis(10) };
        ResponseSender::new(budget)
    }

    #[tokio::test]
    async fn the_answer_is_put_without_content_type_and_retried_while_s3_is_busy() {
        // Given a ResponseURL that is busy once, then takes the answer
        let (url, received) = server(&[503, 200]).await;

        // When the response is sent
        let sent = sender().send(&url, br#"{"Status":"SUCCESS"}"#.to_vec()).await;

        // Then it arrived on the second attempt, as a PUT to the signed path with a length and no type
        assert!(sent.is_ok(), "{sent:?}");
        let received = received.lock().expect("log").clone();
        assert_eq!(received.len(), 2);
        let request = received[1].to_ascii_lowercase();
        assert!(request.starts_with("put /answer?x-amz-signature=abc http/1.1\r\n"), "{request}");
        assert!(request.contains("content-length: 20\r\n") && !request.contains("content-type"), "{request}");
    }

    #[tokio::test]
    async fn a_refused_answer_is_not_retried_and_names_the_code() {
        let (url, received) = server(&[403]).await;

        let sent = sender().send(&url, br#"{"Status":"SUCCESS"}"#.to_vec()).await;

        assert!(matches!(&sent, Err(Unanswered::Refused { status: 403, code }) if code == "AccessDenied"), "{sent:?}");
        assert_eq!(received.lock().expect("log").len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_url_fails_after_the_budgeted_attempts() {
        let closed = TcpListener::bind("127.0.0.1:0").await.expect("bound").local_addr().expect("address");

        let sent = sender().send(&format!("http://{closed}/answer"), b"{}".to_vec()).await;

        assert!(matches!(sent, Err(Unanswered::Unreachable { attempts: 3, .. })), "{sent:?}");
    }
}
