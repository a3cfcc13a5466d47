use std::future::Future;

use crate::error::InfrastructureError;
use crate::values::{Password, PasswordHash, Session};

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
    fn issue(&self, session: Session) -> impl Future<Output = Result<String, InfrastructureError>> + Send;
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
    /// Issued before the account revoked its sessions (401).
    #[error("token has been revoked")]
    Revoked,
    /// The keys to check it with, or the account's sessions, cannot be read (503 or 500: not the
    /// client's fault).
    #[error(transparent)]
    Unavailable(#[from] InfrastructureError),
}

/// Checks a bearer token's signature and expiry and tells what session it asserts. Whether that
/// session is still current is the account's to say (see `usecases::Authenticate`).
pub trait TokenVerifier: Send + Sync {
    fn verify(&self, token: &str) -> impl Future<Output = Result<Session, TokenRejection>> + Send;
}
