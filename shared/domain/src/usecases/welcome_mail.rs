//! The welcome mail, sent once per new account after the registration that created it.

use super::send_once::{MailOutcome, SendOnce};
use crate::DomainError;
use crate::mail_templates;
use crate::ports::{Clock, MailLedger, Mailer};
use crate::values::{Email, UserId, Username};

/// The account a welcome mail is for, as its creation recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
}

pub struct SendWelcomeMail<L, C, M> {
    once: SendOnce<L, C, M>,
    /// Where the front end lives; the mail links there.
    app_base_url: String,
}

impl<L: MailLedger<Mail = UserId>, C: Clock, M: Mailer> SendWelcomeMail<L, C, M> {
    pub fn new(ledger: L, clock: C, mailer: M, app_base_url: impl Into<String>) -> Self {
        Self { once: SendOnce::new(ledger, clock, mailer), app_base_url: app_base_url.into() }
    }

    /// Sends the account's welcome mail unless it went out (or is going out) already.
    #[tracing::instrument(name = "SendWelcomeMail", skip_all)]
    pub async fn execute(&self, account: &NewAccount) -> Result<MailOutcome, DomainError> {
        let message = mail_templates::welcome(&account.email, &account.username, &self.app_base_url)?;
        self.once.send(&account.id, &message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{FixedClock, InMemoryMailLedger, RecordingMailer};

    #[tokio::test]
    async fn a_new_account_gets_one_welcome_mail_however_often_its_record_comes() {
        let mailer = RecordingMailer::default();
        let send = SendWelcomeMail::new(
            InMemoryMailLedger::default(),
            FixedClock::at("2026-01-01T10:00:00Z"),
            mailer.clone(),
            "https://conduit.example",
        );
        let account = NewAccount {
            id: UserId::generate(),
            username: Username::parse("jake").expect("valid"),
            email: Email::parse("jake@example.com").expect("valid"),
        };

        let first = send.execute(&account).await.expect("sent");
        let again = send.execute(&account).await.expect("handled");

        assert_eq!((first, again), (MailOutcome::Sent, MailOutcome::AlreadyHandled));
        let sent = mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "jake@example.com");
        assert!(sent[0].text.contains("https://conduit.example"));
    }
}
