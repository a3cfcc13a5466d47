//! Mail through Amazon SES (API v2), from one verified sender address.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::operation::send_email::builders::SendEmailFluentBuilder;
use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use conduit_aws::sending::Sending;
use conduit_aws::traced::traced;
use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::{MailMessage, Mailer};
use conduit_telemetry::traces::attributes::AwsCall;

const OPERATION: &str = "sending a mail";
const DEPENDENCY: &str = "Amazon SES";
/// What SES decodes every part as; Rust strings are UTF-8.
const CHARSET: &str = "UTF-8";

/// Sends each message as one SES `SendEmail` call with a subject, a text and an HTML part.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    sender: String,
}

impl SesMailer {
    /// `sender` is the `From` address, an identity verified in SES (`Conduit <noreply@example.com>`
    /// also works when the address is).
    pub fn new(client: Client, sender: impl Into<String>) -> Self {
        Self { client, sender: sender.into() }
    }
}

impl Mailer for SesMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
        let content = content(message)?;
        let request = self
            .client
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(message.to.as_str()).build())
            .content(content);
        let sent = traced(AwsCall::start("SESv2", "SendEmail"), send_boxed(request), |_| false).await;
        match sent {
            // The subject alone: addresses are personal data, and bodies may carry secret links.
            Ok(_) => {
                tracing::info!(subject = message.subject.as_str(), "mail sent");
                Ok(())
            }
            Err(error) if conduit_aws::errors::is_transient(&error) => {
                Err(InfrastructureError::unavailable(OPERATION, DEPENDENCY, error))
            }
            Err(error) => Err(InfrastructureError::new(OPERATION, error)),
        }
    }
}

/// The message as SES's simple content: subject, text part and HTML part, all UTF-8.
fn content(message: &MailMessage) -> Result<EmailContent, InfrastructureError> {
    let utf8 = |data: &str| {
        Content::builder()
            .data(data)
            .charset(CHARSET)
            .build()
            .map_err(|error| InfrastructureError::new(OPERATION, error))
    };
    let body = Body::builder().text(utf8(&message.text)?).html(utf8(&message.html)?).build();
    let simple = Message::builder().subject(utf8(&message.subject)?).body(body).build();
    Ok(EmailContent::builder().simple(simple).build())
}

/// `send()` compiled in this crate, not in each binary (see `conduit_aws::sending`).
fn send_boxed(request: SendEmailFluentBuilder) -> Sending<SendEmailOutput, SendEmailError> {
    Box::pin(request.send())
}

#[cfg(test)]
mod tests {
    use conduit_domain::values::Email;

    use super::*;

    #[test]
    fn a_message_becomes_simple_content_with_subject_text_and_html_in_utf8() {
        // Given a message with text outside ASCII
        let message = MailMessage {
            to: Email::parse("jake@example.com").expect("valid"),
            subject: "Willkommen, Jäke".into(),
            text: "Grüße".into(),
            html: "<p>Grüße</p>".into(),
        };

        // When it is turned into SES content
        let content = content(&message).expect("built");

        // Then every part is there, each declared UTF-8
        let simple = content.simple().expect("simple content");
        let body = simple.body().expect("a body");
        let parts = [simple.subject(), body.text(), body.html()].map(|part| part.expect("the part"));
        assert_eq!(parts.map(Content::data), ["Willkommen, Jäke", "Grüße", "<p>Grüße</p>"]);
        assert!(parts.iter().all(|part| part.charset() == Some("UTF-8")));
        assert!(content.raw().is_none() && content.template().is_none());
    }
}
