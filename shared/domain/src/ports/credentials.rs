use std::future::Future;

use crate::error::InfrastructureError;
use crate::values::{Password, PasswordHash, UserId};

pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfrastructureError>;
    /// `Ok(false)` for a wrong password; `Err` only when the stored hash itself is unusable.
    fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, InfrastructureError>;
    /// Burns the same time as a real verification, so a login for an unknown e-mail cannot be told
    /// apart from a wrong password by its latency.
    fn verify_against_nothing(&self, password: &Password);
}

/// Issues the bearer token a client presents on later requests.
pub trait TokenIssuer: Send + Sync {
    fn issue(&self, user: UserId) -> impl Future<Output = Result<String, InfrastructureError>> + Send;
}

/// Why a presented token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenRejection {
    /// Malformed, tampered with, or signed with a key we do not know (401).
    #[error("token is invalid")]
    Invalid,
    /// Past its expiry (401).
    #[error("token has expired")]
    Expired,
    /// The keys to check it with cannot be read (500: our fault, not the client's).
    #[error(transparent)]
    Unavailable(#[from] InfrastructureError),
}

/// Checks a bearer token and tells whose it is.
pub trait TokenVerifier: Send + Sync {
    fn verify(&self, token: &str) -> impl Future<Output = Result<UserId, TokenRejection>> + Send;
}
