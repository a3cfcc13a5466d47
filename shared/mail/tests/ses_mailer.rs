//! The SES mailer against a real SES v2 protocol endpoint (moto_server, started by the test
//! command); each test uses a sender and a recipient of its own, so tests run in parallel.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use aws_sdk_sesv2::Client;
use conduit_aws::TimeBudget;
use conduit_domain::ports::{MailMessage, Mailer};
use conduit_domain::values::Email;
use conduit_mail::SesMailer;
use serde_json::Value;

/// moto_server serves every service on one port, so the Secrets Manager endpoint the test command
/// already hands over does for SES too.
const ENDPOINT_VARIABLES: [&str; 2] = ["CONDUIT_TEST_SES_ENDPOINT", "CONDUIT_TEST_SECRETSMANAGER_ENDPOINT"];

fn endpoint() -> String {
    ENDPOINT_VARIABLES.iter().find_map(|name| std::env::var(name).ok()).unwrap_or_else(|| {
        panic!(
            "neither {} nor {} is set: run the tests with infra/test.sh, which starts moto_server",
            ENDPOINT_VARIABLES[0], ENDPOINT_VARIABLES[1]
        )
    })
}

/// A client as functions build it: with the time budget and the AWS call log.
fn client_at(endpoint: &str) -> Client {
    conduit_aws::clients::ses(&conduit_dynamodb_local::local_sdk_config(endpoint), &TimeBudget::default())
}

fn unique(prefix: &str, domain: &str) -> String {
    format!("{prefix}-{}@{domain}", ulid::Ulid::new().to_string().to_lowercase())
}

async fn verified_sender(client: &Client) -> String {
    let sender = unique("noreply", "conduit.example");
    client.create_email_identity().email_identity(&sender).send().await.expect("identity created");
    sender
}

fn message_to(recipient: &str) -> MailMessage {
    MailMessage {
        to: Email::parse(recipient).expect("valid"),
        subject: "Reset your Conduit password".into(),
        text: "Open https://conduit.example/reset?token=abc".into(),
        html: r#"<p><a href="https://conduit.example/reset?token=abc">Choose a new password</a></p>"#.into(),
    }
}

/// The messages moto's SES backend holds for `recipient`, from its introspection endpoint.
async fn delivered_to(endpoint: &str, recipient: &str) -> Vec<Value> {
    let answer = reqwest::get(format!("{endpoint}/moto-api/data.json")).await.expect("moto answered");
    let data: Value = serde_json::from_str(&answer.text().await.expect("a body")).expect("JSON");
    data["ses"]["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| {
            message["destinations"]["ToAddresses"].as_array().is_some_and(|to| to.contains(&recipient.into()))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn given_a_verified_sender_when_a_mail_is_sent_then_ses_holds_it_for_the_recipient() {
    let endpoint = endpoint();
    let client = client_at(&endpoint);
    let sender = verified_sender(&client).await;
    let recipient = unique("jake", "example.com");
    let mailer = SesMailer::new(client, &sender);

    mailer.send(&message_to(&recipient)).await.expect("sent");

    let delivered = delivered_to(&endpoint, &recipient).await;
    assert_eq!(delivered.len(), 1, "{delivered:#?}");
    let message = &delivered[0];
    assert_eq!(message["source"], sender.as_str());
    assert_eq!(message["subject"], "Reset your Conduit password");
    // moto keeps one part of a simple message, the HTML one when there is one; that the text part
    // goes along too is the content unit test's to show.
    assert_eq!(message["body"], message_to(&recipient).html.as_str());
}

#[tokio::test]
async fn given_an_unverified_sender_when_a_mail_is_sent_then_it_fails_as_a_defect_not_an_outage() {
    let endpoint = endpoint();
    let mailer = SesMailer::new(client_at(&endpoint), unique("nobody", "unverified.example"));
    let recipient = unique("jake", "example.com");

    let error = mailer.send(&message_to(&recipient)).await.expect_err("refused");

    assert_eq!(error.unavailable, None, "retrying will not verify the sender: {error:?}");
    assert!(format!("{:?}", error.source).contains("MessageRejected"), "{error:?}");
    assert!(delivered_to(&endpoint, &recipient).await.is_empty());
}

#[tokio::test]
async fn given_ses_refuses_connections_when_a_mail_is_sent_then_it_is_unavailable_within_the_budget() {
    // A port that was free a moment ago: nothing listens there now.
    let closed = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("bound").port();
    let mailer = SesMailer::new(client_at(&format!("http://127.0.0.1:{closed}")), "noreply@conduit.example");
    let started = Instant::now();

    let error = mailer.send(&message_to("jake@example.com")).await.expect_err("nothing answered");

    let elapsed = started.elapsed();
    assert_eq!(error.unavailable, Some("Amazon SES"), "{error:?}");
    assert!(elapsed < TimeBudget::default().operation + Duration::from_millis(500), "took {elapsed:?}");
}
