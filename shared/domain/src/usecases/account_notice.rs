//! Security notices: the mail that tells an account's former address of a change to its e-mail
//! address or password, once per change, after (and outside) the write that made it.

use super::send_once::{MailOutcome, SendOnce};
use crate::DomainError;
use crate::account_notice::AccountNotice;
use crate::mail_templates;
use crate::ports::{Clock, MailLedger, Mailer};

/// The front end's password-reset page. Opened without a token (which only a reset link carries,
/// in its fragment), it asks for an address and requests a reset link for it.
const RESET_REQUEST_PAGE: &str = "/reset-password";

pub struct SendAccountNotice<L, C, M> {
    once: SendOnce<L, C, M>,
    /// Where the owner acts on a change they did not make: `<AppBaseUrl>/reset-password`.
    reset_request_link: String,
}

impl<L: MailLedger<Mail = AccountNotice>, C: Clock, M: Mailer> SendAccountNotice<L, C, M> {
    pub fn new(ledger: L, clock: C, mailer: M, app_base_url: &str) -> Self {
        let reset_request_link = format!("{}{RESET_REQUEST_PAGE}", app_base_url.trim_end_matches('/'));
        Self { once: SendOnce::new(ledger, clock, mailer), reset_request_link }
    }

    /// Sends the notice unless it went out (or is going out) already.
    #[tracing::instrument(name = "SendAccountNotice", skip_all)]
    pub async fn execute(&self, notice: &AccountNotice) -> Result<MailOutcome, DomainError> {
        let message = mail_templates::account_notice(notice, &self.reset_request_link)?;
        self.once.send(notice, &message).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::User;
    use crate::account_notice::tests::jake;
    use crate::usecases::fakes::{FixedClock, FlakyMailer, InMemoryMailLedger, RecordingMailer};
    use crate::values::PasswordHash;

    /// The notice of `previous` getting a new password, one version later.
    fn password_change(previous: &User) -> AccountNotice {
        let mut updated = previous.with_password(PasswordHash::from_phc("hashed:next".into()), previous.updated_at);
        updated.updated_at = previous.updated_at.plus(Duration::from_secs(60));
        AccountNotice::for_change(previous, &updated).expect("a notice")
    }

    fn sender<M: Mailer>(mailer: M) -> SendAccountNotice<InMemoryMailLedger<AccountNotice>, FixedClock, M> {
        SendAccountNotice::new(
            InMemoryMailLedger::default(),
            FixedClock::at("2026-01-01T10:00:00Z"),
            mailer,
            "https://conduit.example/",
        )
    }

    #[tokio::test]
    async fn each_change_gets_one_notice_however_often_its_record_comes() {
        // Given two password changes of jake's account, one after the other
        let mailer = RecordingMailer::default();
        let send = sender(mailer.clone());
        let jake = jake();
        let first = password_change(&jake);
        let mut once_changed = jake.clone();
        once_changed.version = first.version();
        let second = password_change(&once_changed);

        // When each change's record comes twice
        let outcomes = [
            send.execute(&first).await.expect("handled"),
            send.execute(&first).await.expect("handled"),
            send.execute(&second).await.expect("handled"),
            send.execute(&second).await.expect("handled"),
        ];

        // Then each change sent one notice to the account's address
        use MailOutcome::{AlreadyHandled, Sent};
        assert_eq!(outcomes, [Sent, AlreadyHandled, Sent, AlreadyHandled]);
        let sent = mailer.sent();
        assert_eq!(sent.len(), 2);
        assert!(sent.iter().all(|mail| mail.to.as_str() == "jake@example.com"));
        assert_eq!(sent[0].subject, "Your Conduit password was changed");
    }

    #[tokio::test]
    async fn the_notice_links_the_page_that_requests_a_reset_and_carries_no_secret() {
        let mailer = RecordingMailer::default();
        let send = sender(mailer.clone());

        send.execute(&password_change(&jake())).await.expect("sent");

        let mail = mailer.sent().remove(0);
        for part in [&mail.text, &mail.html] {
            assert!(part.contains("https://conduit.example/reset-password"), "{part}");
            assert!(!part.contains("#token") && !part.contains("hashed:"), "{part}");
        }
    }

    #[tokio::test]
    async fn a_failed_send_is_sent_by_the_retried_record_and_only_then() {
        // Given a mail service that fails the first send
        let mailer = FlakyMailer::default();
        let send = sender(mailer.clone());
        let notice = password_change(&jake());

        // When the record comes three times
        let failed = send.execute(&notice).await;
        let retried = send.execute(&notice).await.expect("sent");
        let redelivered = send.execute(&notice).await.expect("handled");

        // Then the failure gave the claim back: the retry sent the one notice, and no more went
        assert!(matches!(failed, Err(DomainError::Infrastructure(_))), "{failed:?}");
        assert_eq!((retried, redelivered), (MailOutcome::Sent, MailOutcome::AlreadyHandled));
        assert_eq!(mailer.sent().len(), 1);
    }
}
