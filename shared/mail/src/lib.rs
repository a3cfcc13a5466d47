//! Mail adapters implementing the domain's [`Mailer`] port: [`SesMailer`] sends through Amazon
//! SES when deployed; [`OutboxMailer`] captures mail in an in-memory [`Outbox`] when run locally,
//! where the local gateway shows it. [`ConfiguredMailer`] is either, so a function has one
//! concrete mailer type wherever it runs.

mod outbox;
mod ses;

use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::{MailMessage, Mailer};

pub use outbox::{CapturedMail, Outbox, OutboxMailer};
pub use ses::SesMailer;

/// The mailer a function was configured with.
#[derive(Clone, Debug)]
pub enum ConfiguredMailer {
    Ses(SesMailer),
    Outbox(OutboxMailer),
}

impl Mailer for ConfiguredMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
        match self {
            Self::Ses(mailer) => mailer.send(message).await,
            Self::Outbox(mailer) => mailer.send(message).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use conduit_domain::values::Email;

    use super::*;

    #[tokio::test]
    async fn a_configured_outbox_mailer_captures_what_it_is_given_to_send() {
        // Given a mailer configured with an outbox
        let outbox = Outbox::new();
        let mailer = ConfiguredMailer::Outbox(outbox.mailer());
        let message = MailMessage {
            to: Email::parse("jake@example.com").expect("valid"),
            subject: "Welcome to Conduit".into(),
            text: "Hello".into(),
            html: "<p>Hello</p>".into(),
        };

        // When a message is sent through it
        mailer.send(&message).await.expect("captured");

        // Then the outbox holds it
        let captured = outbox.messages();
        assert_eq!(captured.len(), 1);
        assert_eq!(captured[0].subject, "Welcome to Conduit");
    }
}
