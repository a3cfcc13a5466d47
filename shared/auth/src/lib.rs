//! Credential adapters: argon2id password hashing, JWT issuing and verifying, one-time link
//! secrets, and the signing keys
//! behind them (from Secrets Manager, cached with a TTL so rotation needs no redeploy), and the
//! steps of their scheduled rotation.

mod idempotency_keys;
mod jwt;
mod key_rotation;
mod one_time_tokens;
mod password;
mod signing_keys;

pub use idempotency_keys::{IdempotencyKeyRing, SigningKeyIdempotency};
pub use jwt::{JwtService, TokenError, VerifiedToken};
pub use key_rotation::{RotationError, RotationStep, SigningKeyRotation, StepOutcome};
pub use one_time_tokens::RandomOneTimeTokens;
pub use password::Argon2Hasher;
pub use signing_keys::{KeyError, KeyRing, SecretsManagerKeys, SigningKey, SigningKeySource};
