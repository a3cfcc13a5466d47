use super::common_passwords;
use crate::validation::InvalidValue;

/// A plain-text password on its way to the hasher. It never prints: `Debug` is redacted so a stray
/// `{:?}` in a log line cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LENGTH: usize = 8;
    /// Hashing cost grows with input; an upper bound keeps one request from pinning a CPU.
    pub const MAX_LENGTH: usize = 128;

    /// The rule for a password being set. Passwords are taken verbatim: leading or trailing spaces
    /// are part of the secret. One of the most common passwords is refused (ASVS V2.1.7): it is the
    /// first an attacker tries, whatever its length.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let length = raw.chars().count();
        if raw.trim().is_empty() {
            Err(InvalidValue::blank())
        } else if length < Self::MIN_LENGTH {
            Err(InvalidValue::too_short(Self::MIN_LENGTH))
        } else if length > Self::MAX_LENGTH {
            Err(InvalidValue::too_long(Self::MAX_LENGTH))
        } else if common_passwords::contains(raw) {
            Err(InvalidValue::too_common())
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    /// For a login attempt only: the stored hash decides, so any non-blank input may be compared,
    /// a common password too (accounts may predate the list).
    pub fn for_login(raw: &str) -> Result<Self, InvalidValue> {
        if raw.is_empty() {
            Err(InvalidValue::blank())
        } else if raw.chars().count() > Self::MAX_LENGTH {
            Err(InvalidValue::too_long(Self::MAX_LENGTH))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$...`), as produced by the hasher port.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_bounds_on_new_passwords() {
        assert_eq!(Password::parse("short"), Err(InvalidValue::too_short(8)));
        assert_eq!(Password::parse("        "), Err(InvalidValue::blank()));
        assert_eq!(Password::parse(&"x".repeat(129)), Err(InvalidValue::too_long(128)));
        assert_eq!(Password::parse(" eight ch").expect("valid").expose(), " eight ch");
    }

    #[test]
    fn refuses_a_common_password_as_a_new_one_whatever_its_case() {
        // Given passwords from the list of the most common, as typed
        for common in ["password", "Password1", "QWERTYUIOP", " iloveyou "] {
            // When one is set as a new password
            let parsed = Password::parse(common);

            // Then it is refused as too common
            assert_eq!(parsed, Err(InvalidValue::too_common()), "{common:?}");
        }
    }

    #[test]
    fn the_length_rule_still_speaks_first_for_a_short_common_password() {
        // Given a listed password shorter than the minimum
        // When it is set, then the message is about its length
        assert_eq!(Password::parse("123456"), Err(InvalidValue::too_short(8)));
    }

    #[test]
    fn a_login_may_still_present_a_common_password() {
        // Given an account whose password was set before the list was checked
        // When its owner logs in with it, then the attempt reaches the hash comparison
        assert_eq!(Password::for_login("password1").expect("comparable").expose(), "password1");
    }

    #[test]
    fn never_shows_the_secret_in_debug_output() {
        let password = Password::parse("correct horse battery").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
        let hash = PasswordHash::from_phc("$argon2id$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
