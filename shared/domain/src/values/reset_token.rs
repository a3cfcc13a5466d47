use crate::validation::InvalidValue;

/// The secret of a password-reset link: 32 bytes from the OS random source, base64url without
/// padding (43 characters). Parsing refuses anything else, so a mangled link is refused before any
/// lookup. Like [`super::Password`], it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct ResetToken(String);

impl ResetToken {
    /// 256 bits of entropy in base64url: 43 characters of `[A-Za-z0-9_-]`.
    pub const LENGTH: usize = 43;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidValue::blank());
        }
        let url_safe = raw.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if raw.len() == Self::LENGTH && url_safe { Ok(Self(raw.to_owned())) } else { Err(reset_token_refused()) }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ResetToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetToken(<redacted>)")
    }
}

/// What is stored instead of the token: a one-way digest (hex SHA-256), so a leaked table holds no
/// usable link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

impl TokenDigest {
    pub fn from_hex(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One answer for a token that is malformed, unknown, used, superseded or expired: telling them
/// apart would only help someone guessing.
pub fn reset_token_refused() -> InvalidValue {
    InvalidValue("is invalid or has expired".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_43_url_safe_characters_are_a_token() {
        let valid = "A".repeat(42) + "_";

        assert!(ResetToken::parse(&valid).is_ok());
        assert_eq!(ResetToken::parse(""), Err(InvalidValue::blank()));
        assert_eq!(ResetToken::parse(&"A".repeat(42)), Err(reset_token_refused()));
        assert_eq!(ResetToken::parse(&("A".repeat(42) + "=")), Err(reset_token_refused()));
        assert_eq!(ResetToken::parse(&("A".repeat(42) + "/")), Err(reset_token_refused()));
    }

    #[test]
    fn a_token_never_prints() {
        let token = ResetToken::parse(&"s".repeat(43)).expect("valid");

        assert_eq!(format!("{token:?}"), "ResetToken(<redacted>)");
    }
}
