use std::future::Future;
use std::time::Duration;

use crate::ports::StoreError;
use crate::throttling::{LoginBackoff, QuotaAction, WindowQuota};
use crate::values::{ClientSource, Email, Timestamp};

/// A limit's answer to one more attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted; go on.
    Admitted,
    /// Not counted; the client may try again after this long.
    Refused { retry_after: Duration },
}

/// The failed-login count of each account, kept by the address tried (canonical) whether or not an
/// account has it, so a refusal says nothing about which addresses exist.
pub trait LoginAttempts: Send + Sync {
    /// Counts an attempt on `account` *before* its password is checked, atomically: however many
    /// attempts arrive at once, no more are admitted than `backoff` allows.
    fn begin(
        &self,
        account: &Email,
        backoff: &LoginBackoff,
        now: Timestamp,
    ) -> impl Future<Output = Result<Admission, StoreError>> + Send;
    /// Forgets the account's failures: a successful login or a completed password reset. Best
    /// effort, never failing what succeeded: an adapter logs what it could not do, and the
    /// failures then lapse on their own (see `LoginBackoff::FORGET_AFTER`).
    fn clear(&self, account: &Email) -> impl Future<Output = ()> + Send;
}

/// Per-source counters in fixed windows (see [`WindowQuota`]).
pub trait SourceQuotas: Send + Sync {
    /// Takes one of `source`'s `quota` for `action` in the window `now` falls in, atomically.
    fn take(
        &self,
        action: QuotaAction,
        source: &ClientSource,
        quota: &WindowQuota,
        now: Timestamp,
    ) -> impl Future<Output = Result<Admission, StoreError>> + Send;
    /// Returns what [`Self::take`] took at `taken_at` (a login that succeeded is not a failure).
    /// Best effort, as [`LoginAttempts::clear`]: what is not returned lapses with its window.
    fn give_back(
        &self,
        action: QuotaAction,
        source: &ClientSource,
        quota: &WindowQuota,
        taken_at: Timestamp,
    ) -> impl Future<Output = ()> + Send;
}
