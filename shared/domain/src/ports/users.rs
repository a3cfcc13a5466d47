use std::future::Future;

use crate::error::InfrastructureError;
use crate::idempotency::Completion;
use crate::throttling::Throttled;
use crate::user::User;
use crate::values::{Email, SessionGeneration, UserId, Username};

/// A value that must be unique across accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Email,
    Username,
    Slug,
}

impl UniqueField {
    /// The request field the API reports the clash under.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Username => "username",
            Self::Slug => "slug",
        }
    }
}

/// Why a store call failed, as far as a use case needs to tell the causes apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write; nothing was written.
    #[error("already taken: {0:?}")]
    AlreadyTaken(Vec<UniqueField>),
    /// The item changed since it was read (optimistic concurrency); nothing was written.
    #[error("the item changed since it was read")]
    Conflict,
    /// Something the write depends on (the article of a favorite, the caller's account) does not
    /// exist; names what.
    #[error("{0} does not exist")]
    Missing(&'static str),
    /// The account's quota of this kind of write is used up for the window; nothing was written.
    #[error("over the account's quota: {0:?}")]
    OverQuota(Throttled),
    /// The write carried the completion of an idempotency record that another attempt under the
    /// same key holds or completed; nothing was written.
    #[error("the idempotency key is held by another attempt")]
    KeyTaken,
    #[error(transparent)]
    Infrastructure(#[from] InfrastructureError),
}

pub trait UserReader: Send + Sync {
    fn find_by_id(&self, id: UserId) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Case-insensitive: looks the address up by its canonical form.
    fn find_by_email(&self, email: &Email) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Case-insensitive: looks the handle up by its canonical form.
    fn find_by_username(&self, username: &Username) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Which account holds `username` (case-insensitive), without reading the account.
    fn id_by_username(&self, username: &Username) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;
    /// Which account holds `email` (case-insensitive), without reading the account.
    fn id_by_email(&self, email: &Email) -> impl Future<Output = Result<Option<UserId>, StoreError>> + Send;
}

pub trait UserWriter: Send + Sync {
    /// Stores a new account, atomically claiming its e-mail and username. A keyed request's
    /// `completion` commits with it (see [`Completion`]): `KeyTaken` when another attempt holds
    /// the key, and nothing is written.
    fn insert(
        &self,
        user: &User,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces `previous` (as read, with its version) by `updated`; claims a changed e-mail or
    /// username and releases the old one in the same atomic write. A keyed request's `completion`
    /// commits with it.
    fn update(
        &self,
        previous: &User,
        updated: &User,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Answers the one question every authenticated request asks: which session generation does the
/// account accept now? Kept apart from [`UserReader`] so it can be answered with the smallest read.
pub trait SessionReader: Send + Sync {
    /// `None` when the account does not exist.
    fn current_generation(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<SessionGeneration>, StoreError>> + Send;
}
