//! The account entity.

use crate::values::{Bio, Email, ImageUrl, PasswordHash, Timestamp, UserId, Username};

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
            version: 1,
        }
    }
}
