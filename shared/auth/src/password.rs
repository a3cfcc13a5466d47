//! Passwords hashed with argon2id through the RustCrypto `argon2` crate (pure Rust, audited, and
//! the PHC-string format it writes carries its own parameters, so they can be raised later
//! without invalidating stored hashes).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::PasswordHasher;
use conduit_domain::values::{Password, PasswordHash};

/// argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1): OWASP's recommended minimum.
#[derive(Clone, Default)]
pub struct Argon2Hasher;

impl Argon2Hasher {
    /// A real hash of a throw-away password, computed once, for timing-safe misses.
    fn decoy() -> &'static str {
        static DECOY: OnceLock<String> = OnceLock::new();
        DECOY.get_or_init(|| {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(b"decoy password for unknown accounts", &salt)
                .map(|hash| hash.to_string())
                .unwrap_or_default()
        })
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfrastructureError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| PasswordHash::from_phc(hash.to_string()))
            .map_err(|error| InfrastructureError::new("password hashing", error.to_string()))
    }

    fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, InfrastructureError> {
        let parsed = PhcHash::new(hash.as_phc())
            .map_err(|error| InfrastructureError::new("reading a stored password hash", error.to_string()))?;
        Ok(Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
    }

    fn verify_against_nothing(&self, password: &Password) {
        if let Ok(decoy) = PhcHash::new(Self::decoy()) {
            let _ = Argon2::default().verify_password(password.expose().as_bytes(), &decoy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_hides_it() {
        let hasher = Argon2Hasher;
        let password = Password::parse("correct horse").expect("valid");

        let hash = hasher.hash(&password).expect("hashed");

        assert!(hash.as_phc().starts_with("$argon2id$"));
        assert!(!hash.as_phc().contains("correct horse"));
        assert!(hasher.verify(&password, &hash).expect("verified"));
        assert!(!hasher.verify(&Password::parse("wrong horse").expect("valid"), &hash).expect("verified"));
    }

    #[test]
    fn the_same_password_gets_a_different_salt_each_time() {
        let hasher = Argon2Hasher;
        let password = Password::parse("correct horse").expect("valid");

        assert_ne!(hasher.hash(&password).expect("hashed"), hasher.hash(&password).expect("hashed"));
    }

    #[test]
    fn a_corrupt_stored_hash_is_an_error_not_a_mismatch() {
        let password = Password::parse("correct horse").expect("valid");

        let result = Argon2Hasher.verify(&password, &PasswordHash::from_phc("not a phc string".into()));

        assert!(result.is_err());
    }
}
