//! The local outbox routes: mail the functions sent, served by the gateway ahead of the API's
//! routes, as JSON for tests and scripts and as a page for a person.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use conduit_bootstrap::{Adapters, KeyRing, Outbox, SigningKey};
use conduit_domain::ports::{MailMessage, Mailer};
use conduit_domain::values::Email;
use conduit_dynamodb_local::local_sdk_config;
use conduit_local_gateway::{Gateway, OUTBOX_PAGE_PATH, OUTBOX_PATH, serve};
use serde_json::Value;

/// A gateway whose functions mail into `outbox`. Nothing here reaches DynamoDB, so the endpoint is
/// one where nothing listens.
async fn gateway_with(outbox: &Outbox) -> SocketAddr {
    let keys = KeyRing { current: SigningKey::generate("outbox-test"), previous: None };
    let adapters = Adapters::local(local_sdk_config("http://127.0.0.1:9"), "unused", keys).with_outbox(outbox.clone());
    let gateway = Arc::new(Gateway::new(&adapters).expect("gateway built"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    tokio::spawn(serve(listener, gateway));
    address
}

/// One `GET` on a fresh connection: the status line, the headers and the body.
async fn get(address: SocketAddr, path: &str) -> (String, String, String) {
    let path = path.to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(address).expect("connected to the gateway");
        write!(stream, "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n").expect("sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer read");
        answer
    });
    let answer = answer.await.expect("the client ran");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_owned(), headers.to_ascii_lowercase(), body.to_owned())
}

async fn send(outbox: &Outbox, to: &str, subject: &str, text: &str, html: &str) {
    let message = MailMessage {
        to: Email::parse(to).expect("valid"),
        subject: subject.to_owned(),
        text: text.to_owned(),
        html: html.to_owned(),
    };
    outbox.mailer().send(&message).await.expect("captured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_mail_was_sent_then_the_outbox_route_serves_it_as_json_newest_last() {
    let outbox = Outbox::new();
    let address = gateway_with(&outbox).await;
    send(&outbox, "jake@example.com", "Welcome to Conduit", "Hello jake", "<p>Hello jake</p>").await;
    send(&outbox, "jake@example.com", "Reset your Conduit password", "Open https://x/reset", "<p>Reset</p>").await;

    let (status, headers, body) = get(address, OUTBOX_PATH).await;

    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(headers.contains("content-type: application/json"), "{headers}");
    assert!(headers.contains("cache-control: no-store"), "{headers}");
    let json: Value = serde_json::from_str(&body).expect("JSON");
    let messages = json["messages"].as_array().expect("a list of messages");
    assert_eq!(messages.len(), 2, "{json}");
    assert_eq!(messages[0]["subject"], "Welcome to Conduit");
    assert_eq!(messages[1]["subject"], "Reset your Conduit password");
    assert_eq!(messages[1]["to"], "jake@example.com");
    assert_eq!(messages[1]["text"], "Open https://x/reset");
    assert_eq!(messages[1]["html"], "<p>Reset</p>");
    assert!(messages[1]["sentAt"].as_str().is_some_and(|sent_at| sent_at.ends_with('Z')), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_mail_was_sent_then_the_outbox_page_lists_it_newest_first_with_everything_escaped() {
    let outbox = Outbox::new();
    let address = gateway_with(&outbox).await;
    send(&outbox, "jake@example.com", "Older", "first", "<p>first</p>").await;
    send(&outbox, "jane@example.com", "Newer <b>bold</b>", "Open https://x/reset?a=1&b=2", "<script>x()</script>")
        .await;

    let (status, headers, page) = get(address, OUTBOX_PAGE_PATH).await;

    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(headers.contains("content-type: text/html; charset=utf-8"), "{headers}");
    assert!(page.contains("2 mails"), "{page}");
    let (newer, older) = (page.find("Newer").expect("listed"), page.find("Older").expect("listed"));
    assert!(newer < older, "newest first: {page}");
    assert!(page.contains("<dd>jane@example.com</dd>"), "{page}");
    assert!(page.contains("Newer &lt;b&gt;bold&lt;/b&gt;"), "the subject is escaped: {page}");
    assert!(page.contains("<pre>Open https://x/reset?a=1&amp;b=2</pre>"), "the text part: {page}");
    assert!(!page.contains("<script>"), "the HTML part is shown, never run: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_no_mail_then_the_outbox_is_empty_and_other_paths_still_go_to_the_api() {
    let address = gateway_with(&Outbox::new()).await;

    let (_, _, body) = get(address, OUTBOX_PATH).await;
    let (status, _, _) = get(address, "/_local/elsewhere").await;

    assert_eq!(serde_json::from_str::<Value>(&body).expect("JSON"), serde_json::json!({ "messages": [] }));
    assert!(status.starts_with("HTTP/1.1 404"), "the API's own answer: {status}");
}
