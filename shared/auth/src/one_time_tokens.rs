//! Secrets of one-time links (password reset): 256 bits from the OS random source, base64url
//! without padding, stored only as a SHA-256 digest. A fast hash is enough here, unlike for
//! passwords: the secret has full entropy, so there is nothing to guess from a leaked digest.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use conduit_domain::ports::OneTimeTokens;
use conduit_domain::values::{ResetToken, TokenDigest};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, Default)]
pub struct RandomOneTimeTokens;

impl OneTimeTokens for RandomOneTimeTokens {
    fn generate(&self) -> ResetToken {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        // 32 bytes are always 43 base64url characters, so parsing cannot fail.
        ResetToken::parse(&URL_SAFE_NO_PAD.encode(secret)).expect("32 random bytes encode to a valid token")
    }

    fn digest(&self, token: &ResetToken) -> TokenDigest {
        let digest = Sha256::digest(token.expose().as_bytes());
        TokenDigest::from_hex(digest.iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_url_safe_and_stored_only_as_a_digest() {
        let first = RandomOneTimeTokens.generate();
        let second = RandomOneTimeTokens.generate();

        assert_ne!(first, second);
        assert_eq!(first.expose().len(), ResetToken::LENGTH);
        let digest = RandomOneTimeTokens.digest(&first);
        assert_eq!(digest, RandomOneTimeTokens.digest(&first), "the same token, the same digest");
        assert_eq!(digest.as_str().len(), 64);
        assert!(!digest.as_str().contains(first.expose()));
    }

    #[test]
    fn the_digest_is_sha256_of_the_token_text() {
        let token = ResetToken::parse(&"a".repeat(43)).expect("valid");

        let digest = RandomOneTimeTokens.digest(&token);

        // sha256("a" x 43), computed independently.
        assert_eq!(digest.as_str(), format!("{:x}", Sha256::digest("a".repeat(43).as_bytes())));
    }
}
