use std::future::Future;

use crate::ports::StoreError;
use crate::values::{Timestamp, UserId};

/// Remembers whose welcome mail went out, so that a change record delivered twice (at-least-once
/// delivery) sends nothing more.
pub trait WelcomeMailLedger: Send + Sync {
    /// Takes the right to send `user`'s welcome mail: `true` when none was sent and no other sender
    /// holds a claim that is still valid at `now`. The claim lasts until `until`, so a sender that
    /// dies mid-way does not block the mail for good.
    fn claim(
        &self,
        user: UserId,
        now: Timestamp,
        until: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The mail went out: no claim will be granted again.
    fn record_sent(&self, user: UserId, at: Timestamp) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The mail did not go out: the next delivery of the record may try again.
    fn release(&self, user: UserId) -> impl Future<Output = Result<(), StoreError>> + Send;
}
