//! The errors a use case can end with. Each variant documents the HTTP status the interface layer
//! gives it; the mapping itself lives in one place, at the edge.

use crate::ports::StoreError;
use crate::throttling::Throttled;
use crate::validation::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// 422: the input breaks a rule; every offending field is listed.
    #[error("{0}")]
    Validation(ValidationErrors),
    /// 401: e-mail and password do not match an account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401: the token was revoked (a password change, a reset, "sign out everywhere") after it was
    /// issued.
    #[error("session revoked")]
    SessionRevoked,
    /// 429 with `Retry-After`: a limit on the account's failed logins, on the source's requests or
    /// on the account's writes refused this attempt (see [`crate::throttling`],
    /// [`crate::write_quotas`]).
    #[error("throttled: {0:?}")]
    Throttled(Throttled),
    /// 404: the named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 403: the caller is known but may not do this.
    #[error("forbidden")]
    Forbidden,
    /// 409: the same item kept changing underneath us; the client may retry.
    #[error("the resource was modified concurrently")]
    Conflict,
    /// 409 with `Retry-After`: another request under the same idempotency key holds it or
    /// answered it; this one wrote nothing.
    #[error("the idempotency key is in use")]
    KeyInUse,
    /// 503 when a dependency was unavailable (see [`InfrastructureError::unavailable`]), else 500:
    /// storage or crypto failed; the cause is logged, never shown to the client.
    #[error("infrastructure failure")]
    Infrastructure(#[source] InfrastructureError),
}

/// A failure of something outside the domain (network, AWS service, crypto library), keeping the
/// original error as its source so logs show the whole chain.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed")]
pub struct InfrastructureError {
    pub operation: &'static str,
    /// The dependency that was unavailable, too slow or throttling, when that is what happened: a
    /// passing condition the client may retry (503). `None` is a defect of ours (500).
    pub unavailable: Option<&'static str>,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl InfrastructureError {
    /// A failure retrying will not fix.
    pub fn new(operation: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self { operation, unavailable: None, source: source.into() }
    }

    /// `dependency` could not serve us just now (down, slow, throttling).
    pub fn unavailable(
        operation: &'static str,
        dependency: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self { operation, unavailable: Some(dependency), source: source.into() }
    }
}

impl From<InfrastructureError> for DomainError {
    fn from(error: InfrastructureError) -> Self {
        Self::Infrastructure(error)
    }
}

impl From<ValidationErrors> for DomainError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<StoreError> for DomainError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::AlreadyTaken(fields) => {
                let mut errors = ValidationErrors::default();
                for field in fields {
                    errors.add(field.name(), crate::validation::InvalidValue::taken());
                }
                Self::Validation(errors)
            }
            StoreError::Conflict => Self::Conflict,
            StoreError::KeyTaken => Self::KeyInUse,
            StoreError::Missing(what) => Self::NotFound(what),
            StoreError::OverQuota(refusal) => Self::Throttled(refusal),
            StoreError::Infrastructure(error) => Self::Infrastructure(error),
        }
    }
}
