//! The local stand-in for a mail service: mail is kept in memory, where the local gateway shows it,
//! instead of being delivered.

use std::sync::{Arc, Mutex, PoisonError};

use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::{MailMessage, Mailer};
use conduit_domain::values::{Email, Timestamp};
use serde::{Serialize, Serializer};

/// One message as it was sent. Serialises as `{"to","subject","text","html","sentAt"}`, `sentAt` in
/// ISO 8601 UTC with milliseconds, like every instant the API shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedMail {
    #[serde(serialize_with = "address")]
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(serialize_with = "iso8601")]
    pub sent_at: Timestamp,
}

fn address<S: Serializer>(email: &Email, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(email.as_str())
}

fn iso8601<S: Serializer>(instant: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&instant.to_iso8601())
}

/// Every message sent through its mailers, oldest first. Clones share the same messages, so the
/// functions' mailers and the page that shows them can hold one each.
#[derive(Clone, Default)]
pub struct Outbox {
    messages: Arc<Mutex<Vec<CapturedMail>>>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// A mailer that captures into this outbox.
    pub fn mailer(&self) -> OutboxMailer {
        OutboxMailer { outbox: self.clone() }
    }

    /// The captured messages, newest last.
    pub fn messages(&self) -> Vec<CapturedMail> {
        self.lock().clone()
    }

    fn capture(&self, mail: CapturedMail) {
        self.lock().push(mail);
    }

    // A panic elsewhere cannot leave the list half-changed (pushes and clones only), so a poisoned
    // lock is safe to keep using.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CapturedMail>> {
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// Counts only: the messages carry reset links, which must not end up in logs.
impl std::fmt::Debug for Outbox {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Outbox").field("messages", &self.lock().len()).finish()
    }
}

/// Sends by capturing into an [`Outbox`].
#[derive(Clone, Debug)]
pub struct OutboxMailer {
    outbox: Outbox,
}

impl OutboxMailer {
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

impl Mailer for OutboxMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
        // Recipient and subject only: the body may hold a secret link.
        tracing::info!(
            to = message.to.as_str(),
            subject = message.subject.as_str(),
            "mail captured in the local outbox"
        );
        self.outbox.capture(CapturedMail {
            to: message.to.clone(),
            subject: message.subject.clone(),
            text: message.text.clone(),
            html: message.html.clone(),
            sent_at: Timestamp::now(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(to: &str, subject: &str) -> MailMessage {
        MailMessage {
            to: Email::parse(to).expect("valid"),
            subject: subject.to_owned(),
            text: format!("{subject}, as text"),
            html: format!("<p>{subject}, as HTML</p>"),
        }
    }

    #[tokio::test]
    async fn sent_messages_are_kept_newest_last_and_seen_through_every_clone_of_the_outbox() {
        // Given an outbox, and a mailer on a clone of it
        let outbox = Outbox::new();
        let mailer = OutboxMailer::new(outbox.clone());
        let before = Timestamp::now();

        // When two messages are sent
        mailer.send(&message("jake@example.com", "First")).await.expect("captured");
        mailer.send(&message("jane@example.com", "Second")).await.expect("captured");

        // Then the outbox holds both as sent, oldest first
        let messages = outbox.messages();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].to.as_str(), "jake@example.com");
        assert_eq!(messages[0].subject, "First");
        assert_eq!(messages[0].text, "First, as text");
        assert_eq!(messages[0].html, "<p>First, as HTML</p>");
        assert_eq!(messages[1].subject, "Second");
        assert!(messages[0].sent_at >= before && messages[1].sent_at >= messages[0].sent_at);
    }

    #[tokio::test]
    async fn a_captured_message_serialises_with_camel_case_names_and_an_iso_8601_instant() {
        let outbox = Outbox::new();
        outbox.mailer().send(&message("jake@example.com", "Hello")).await.expect("captured");

        let json = serde_json::to_value(&outbox.messages()[0]).expect("serialises");

        let mut fields: Vec<&str> = json.as_object().expect("an object").keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["html", "sentAt", "subject", "text", "to"]);
        assert_eq!(json["to"], "jake@example.com");
        assert_eq!(json["subject"], "Hello");
        let sent_at = json["sentAt"].as_str().expect("a string");
        assert_eq!(sent_at.len(), "2016-02-18T03:22:56.637Z".len(), "{sent_at}");
        assert!(sent_at.ends_with('Z'), "{sent_at}");
        assert_eq!(Timestamp::parse_iso8601(sent_at).map(|instant| instant.to_iso8601()).as_deref(), Ok(sent_at));
    }

    #[test]
    fn an_outbox_shows_in_debug_output_as_a_count_never_its_messages() {
        let outbox = Outbox::new();
        outbox.capture(CapturedMail {
            to: Email::parse("jake@example.com").expect("valid"),
            subject: "Reset".into(),
            text: "https://conduit.example/reset?token=secret".into(),
            html: String::new(),
            sent_at: Timestamp::now(),
        });

        assert_eq!(format!("{outbox:?}"), "Outbox { messages: 1 }");
    }
}
