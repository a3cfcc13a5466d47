//! The account entity.

use crate::values::{Bio, Email, ImageUrl, PasswordHash, Session, SessionGeneration, Timestamp, UserId, Username};

/// A registered account. `version` increases with every stored change so concurrent updates can be
/// detected by the store instead of silently overwriting each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub bio: Option<Bio>,
    pub image: Option<ImageUrl>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Tokens of any other generation are revoked.
    pub session_generation: SessionGeneration,
    pub version: u64,
}

impl User {
    pub fn register(username: Username, email: Email, password_hash: PasswordHash) -> Self {
        let now = Timestamp::now();
        Self {
            id: UserId::generate(),
            username,
            email,
            password_hash,
            bio: None,
            image: None,
            created_at: now,
            updated_at: now,
            session_generation: SessionGeneration::FIRST,
            version: 1,
        }
    }

    /// The session a token issued now would carry.
    pub fn session(&self) -> Session {
        Session { user: self.id, generation: self.session_generation }
    }

    /// The same account with a new password hash; every token issued so far is revoked.
    pub fn with_password(&self, password_hash: PasswordHash, now: Timestamp) -> Self {
        let mut changed = self.revoking_sessions(now);
        changed.password_hash = password_hash;
        changed
    }

    /// The same account one session generation later, as the next stored version.
    pub fn revoking_sessions(&self, now: Timestamp) -> Self {
        Self {
            session_generation: self.session_generation.next(),
            updated_at: now.max(self.updated_at),
            version: self.version + 1,
            ..self.clone()
        }
    }
}
