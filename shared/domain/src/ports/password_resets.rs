use std::future::Future;

use crate::User;
use crate::idempotency::Completion;
use crate::password_reset::PasswordReset;
use crate::ports::StoreError;
use crate::values::{ResetToken, Timestamp, TokenDigest, UserId};

/// Where password-reset state is kept.
pub trait PasswordResets: Send + Sync {
    /// The account's state as last written (a strongly consistent read).
    fn find(&self, user: UserId) -> impl Future<Output = Result<Option<PasswordReset>, StoreError>> + Send;
    /// Stores `next` (with a way to find the account from its pending link's digest) if the stored
    /// state is still the version `next` was derived from; else [`StoreError::Conflict`]. A keyed
    /// request's `completion` commits with it (see [`Completion`]): `KeyTaken` when another
    /// attempt holds the key, and nothing is written.
    fn save_request(
        &self,
        next: &PasswordReset,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The account whose link had this digest, if such a link was issued and not yet forgotten.
    fn holder_of(&self, digest: &TokenDigest) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;
    /// In one atomic write: stores `completed` (the link used up) and `updated` over `previous`.
    /// [`StoreError::Conflict`] when either changed since it was read, and then nothing is written.
    /// A keyed request's `completion` commits with it.
    fn complete(
        &self,
        completed: &PasswordReset,
        previous: &User,
        updated: &User,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Makes the secrets of one-time links and the digests stored in their place.
pub trait OneTimeTokens: Send + Sync {
    /// A fresh secret from the operating system's random source.
    fn generate(&self) -> ResetToken;
    fn digest(&self, token: &ResetToken) -> TokenDigest;
}

/// The current time, as a port so expiry can be tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
