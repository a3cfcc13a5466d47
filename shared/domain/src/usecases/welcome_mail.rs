//! The welcome mail, sent once per new account after the registration that created it.

use std::time::Duration;

use crate::DomainError;
use crate::mail_templates;
use crate::ports::{Clock, Mailer, WelcomeMailLedger};
use crate::values::{Email, UserId, Username};

/// The account a welcome mail is for, as its creation recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WelcomeOutcome {
    Sent,
    /// Sent before, or being sent by another delivery of the same record: nothing to do.
    AlreadyHandled,
}

pub struct SendWelcomeMail<L, C, M> {
    ledger: L,
    clock: C,
    mailer: M,
    /// Where the front end lives; the mail links there.
    app_base_url: String,
}

impl<L: WelcomeMailLedger, C: Clock, M: Mailer> SendWelcomeMail<L, C, M> {
    /// Longer than one send can take within its time budget, so a claim outlives the sender that
    /// holds it only when that sender died.
    const CLAIM: Duration = Duration::from_secs(60);

    pub fn new(ledger: L, clock: C, mailer: M, app_base_url: impl Into<String>) -> Self {
        Self { ledger, clock, mailer, app_base_url: app_base_url.into() }
    }

    /// Claim, send, record: a second delivery finds the claim or the record and sends nothing. A
    /// failed send gives the claim back, so the retried record sends it then.
    pub async fn execute(&self, account: &NewAccount) -> Result<WelcomeOutcome, DomainError> {
        let now = self.clock.now();
        if !self.ledger.claim(account.id, now, now.plus(Self::CLAIM)).await? {
            return Ok(WelcomeOutcome::AlreadyHandled);
        }
        let message = mail_templates::welcome(&account.email, &account.username, &self.app_base_url)?;
        if let Err(failure) = self.mailer.send(&message).await {
            self.ledger.release(account.id).await?;
            return Err(failure.into());
        }
        self.ledger.record_sent(account.id, self.clock.now()).await?;
        Ok(WelcomeOutcome::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InfrastructureError;
    use crate::ports::MailMessage;
    use crate::usecases::fakes::{FixedClock, InMemoryWelcomeLedger, RecordingMailer};

    fn jake() -> NewAccount {
        NewAccount {
            id: UserId::generate(),
            username: Username::parse("jake").expect("valid"),
            email: Email::parse("jake@example.com").expect("valid"),
        }
    }

    #[tokio::test]
    async fn a_new_account_gets_one_welcome_mail_however_often_its_record_comes() {
        let mailer = RecordingMailer::default();
        let send = SendWelcomeMail::new(
            InMemoryWelcomeLedger::default(),
            FixedClock::at("2026-01-01T10:00:00Z"),
            mailer.clone(),
            "https://conduit.example",
        );
        let account = jake();

        let first = send.execute(&account).await.expect("sent");
        let again = send.execute(&account).await.expect("handled");

        assert_eq!((first, again), (WelcomeOutcome::Sent, WelcomeOutcome::AlreadyHandled));
        let sent = mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "jake@example.com");
        assert!(sent[0].text.contains("https://conduit.example"));
    }

    /// Fails the first send, then works.
    #[derive(Clone, Default)]
    struct FlakyMailer {
        failed_once: std::sync::Arc<std::sync::atomic::AtomicBool>,
        inner: RecordingMailer,
    }

    impl Mailer for FlakyMailer {
        async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
            if !self.failed_once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Err(InfrastructureError::unavailable("sending mail", "Amazon SES", "throttled"));
            }
            self.inner.send(message).await
        }
    }

    #[tokio::test]
    async fn a_failed_send_gives_the_claim_back_so_the_retried_record_sends_it() {
        let mailer = FlakyMailer::default();
        let send = SendWelcomeMail::new(
            InMemoryWelcomeLedger::default(),
            FixedClock::at("2026-01-01T10:00:00Z"),
            mailer.clone(),
            "https://conduit.example",
        );
        let account = jake();

        let failed = send.execute(&account).await;
        let retried = send.execute(&account).await.expect("sent");

        assert!(matches!(failed, Err(DomainError::Infrastructure(_))), "{failed:?}");
        assert_eq!(retried, WelcomeOutcome::Sent);
        assert_eq!(mailer.inner.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_claim_left_by_a_sender_that_died_expires() {
        let ledger = InMemoryWelcomeLedger::default();
        let clock = FixedClock::at("2026-01-01T10:00:00Z");
        let mailer = RecordingMailer::default();
        let account = jake();
        let now = clock.now();
        assert!(ledger.claim(account.id, now, now.plus(Duration::from_secs(60))).await.expect("claimed"));
        let send = SendWelcomeMail::new(ledger, clock.clone(), mailer.clone(), "https://conduit.example");

        let while_held = send.execute(&account).await.expect("handled");
        clock.advance(Duration::from_secs(61));
        let after = send.execute(&account).await.expect("sent");

        assert_eq!((while_held, after), (WelcomeOutcome::AlreadyHandled, WelcomeOutcome::Sent));
        assert_eq!(mailer.sent().len(), 1);
    }
}
