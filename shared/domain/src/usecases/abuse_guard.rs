//! The abuse limits of [`crate::throttling`] applied through their stores: what the account use
//! cases consult before they spend a password hash or a mail.

use crate::DomainError;
use crate::ports::{Admission, Clock, LoginAttempts, SourceQuotas};
use crate::throttling::{AbuseLimits, QuotaAction, ThrottleScope, Throttled};
use crate::values::{ClientSource, Email, Timestamp};

pub struct AbuseGuard<S, C> {
    store: S,
    clock: C,
    limits: AbuseLimits,
}

/// One unit of a source's quota, taken: enough to give it back into the same window.
#[derive(Debug, Clone)]
pub struct TakenQuota {
    action: QuotaAction,
    source: ClientSource,
    taken_at: Timestamp,
}

impl<S: LoginAttempts + SourceQuotas, C: Clock> AbuseGuard<S, C> {
    pub fn new(store: S, clock: C, limits: AbuseLimits) -> Self {
        Self { store, clock, limits }
    }

    pub fn limits(&self) -> &AbuseLimits {
        &self.limits
    }

    /// Takes one of `source`'s allowance for `action`; refused (429) when it is used up.
    pub async fn take(&self, action: QuotaAction, source: &ClientSource) -> Result<TakenQuota, DomainError> {
        let now = self.clock.now();
        let quota = self.quota_of(action);
        match self.store.take(action, source, &quota, now).await? {
            Admission::Admitted => Ok(TakenQuota { action, source: source.clone(), taken_at: now }),
            Admission::Refused { retry_after } => {
                Err(DomainError::Throttled(Throttled { scope: ThrottleScope::Source, retry_after }))
            }
        }
    }

    /// Gives back what [`Self::take`] took (a login that succeeded was not a failed one).
    pub async fn give_back(&self, taken: &TakenQuota) {
        let quota = self.quota_of(taken.action);
        self.store.give_back(taken.action, &taken.source, &quota, taken.taken_at).await
    }

    /// Counts one password check on `account` before it is made; refused (429) while the
    /// account's backoff holds.
    pub async fn begin_password_check(&self, account: &Email) -> Result<(), DomainError> {
        match self.store.begin(account, &self.limits.login_backoff, self.clock.now()).await? {
            Admission::Admitted => Ok(()),
            Admission::Refused { retry_after } => {
                Err(DomainError::Throttled(Throttled { scope: ThrottleScope::Account, retry_after }))
            }
        }
    }

    /// The password was right, or was reset: the account's failures are forgotten (best effort:
    /// what proved the account's owner is never failed by this).
    pub async fn forget_failures(&self, account: &Email) {
        self.store.clear(account).await
    }

    fn quota_of(&self, action: QuotaAction) -> crate::throttling::WindowQuota {
        match action {
            QuotaAction::FailedLogin => self.limits.failed_logins_per_source,
            QuotaAction::Registration => self.limits.registrations_per_source,
            QuotaAction::PasswordResetRequest => self.limits.reset_requests_per_source,
        }
    }
}
