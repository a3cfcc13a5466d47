//! A mail that follows a change record, sent once however often the record is delivered: claim,
//! send, record. The welcome mail and the account notices go out this way.

use std::time::Duration;

use crate::DomainError;
use crate::ports::{Clock, MailLedger, MailMessage, Mailer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    /// Sent before, or being sent by another delivery of the same record: nothing to do.
    AlreadyHandled,
}

pub(crate) struct SendOnce<L, C, M> {
    ledger: L,
    clock: C,
    mailer: M,
}

impl<L: MailLedger, C: Clock, M: Mailer> SendOnce<L, C, M> {
    /// Longer than one send can take within its time budget, so a claim outlives the sender that
    /// holds it only when that sender died.
    const CLAIM: Duration = Duration::from_secs(60);

    pub(crate) fn new(ledger: L, clock: C, mailer: M) -> Self {
        Self { ledger, clock, mailer }
    }

    /// Sends `message` as `mail` unless it was sent or is being sent: a second delivery finds the
    /// claim or the record and sends nothing. A failed send gives the claim back, so the retried
    /// record sends it then.
    pub(crate) async fn send(&self, mail: &L::Mail, message: &MailMessage) -> Result<MailOutcome, DomainError> {
        let now = self.clock.now();
        if !self.ledger.claim(mail, now, now.plus(Self::CLAIM)).await? {
            return Ok(MailOutcome::AlreadyHandled);
        }
        if let Err(failure) = self.mailer.send(message).await {
            self.ledger.release(mail).await?;
            return Err(failure.into());
        }
        self.ledger.record_sent(mail, self.clock.now()).await?;
        Ok(MailOutcome::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{FixedClock, FlakyMailer, InMemoryMailLedger, RecordingMailer};
    use crate::values::{Email, UserId};

    fn message() -> MailMessage {
        MailMessage {
            to: Email::parse("jake@example.com").expect("valid"),
            subject: "Hello".to_owned(),
            text: "Hello".to_owned(),
            html: "<p>Hello</p>".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_failed_send_gives_the_claim_back_so_the_retried_record_sends_it() {
        // Given a mail service that fails the first send
        let mailer = FlakyMailer::default();
        let send = SendOnce::new(InMemoryMailLedger::default(), FixedClock::at("2026-01-01T10:00:00Z"), mailer.clone());
        let mail = UserId::generate();

        // When the record comes, then comes again
        let failed = send.send(&mail, &message()).await;
        let retried = send.send(&mail, &message()).await.expect("sent");

        // Then the first delivery fails and the retry sends the one mail
        assert!(matches!(failed, Err(DomainError::Infrastructure(_))), "{failed:?}");
        assert_eq!(retried, MailOutcome::Sent);
        assert_eq!(mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_claim_left_by_a_sender_that_died_expires() {
        // Given a claim taken by a sender that never finished
        let ledger = InMemoryMailLedger::default();
        let clock = FixedClock::at("2026-01-01T10:00:00Z");
        let mailer = RecordingMailer::default();
        let mail = UserId::generate();
        let now = clock.now();
        assert!(ledger.claim(&mail, now, now.plus(Duration::from_secs(60))).await.expect("claimed"));
        let send = SendOnce::new(ledger, clock.clone(), mailer.clone());

        // When the record comes while the claim holds, and again once it has run out
        let while_held = send.send(&mail, &message()).await.expect("handled");
        clock.advance(Duration::from_secs(61));
        let after = send.send(&mail, &message()).await.expect("sent");

        // Then only the second delivery sends
        assert_eq!((while_held, after), (MailOutcome::AlreadyHandled, MailOutcome::Sent));
        assert_eq!(mailer.sent().len(), 1);
    }
}
