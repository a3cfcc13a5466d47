use std::future::Future;

use crate::ports::StoreError;
use crate::values::Timestamp;

/// Remembers which mails went out, so that a change record delivered twice (at-least-once
/// delivery) sends nothing more. One ledger per kind of mail; `Mail` names one mail of that kind
/// (the account a welcome mail is for, the change an account notice tells of).
pub trait MailLedger: Send + Sync {
    type Mail: Send + Sync;

    /// Takes the right to send `mail`: `true` when it was not sent and no other sender holds a
    /// claim that is still valid at `now`. The claim lasts until `until`, so a sender that dies
    /// mid-way does not block the mail for good.
    fn claim(
        &self,
        mail: &Self::Mail,
        now: Timestamp,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The mail went out: no claim will be granted again.
    fn record_sent(&self, mail: &Self::Mail, at: Timestamp) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The mail did not go out: the next delivery of the record may try again.
    fn release(&self, mail: &Self::Mail) -> impl Future<Output = Result<(), StoreError>> + Send;
}
