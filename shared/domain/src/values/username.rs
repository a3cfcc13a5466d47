use super::non_blank;
use crate::validation::InvalidValue;

/// A public handle: it appears in URLs (`/api/profiles/{username}`), so it keeps to characters that
/// need no escaping, and it is unique regardless of case so nobody can impersonate "Jake" as "jake".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LENGTH: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = non_blank(raw)?;
        if text.chars().count() > Self::MAX_LENGTH {
            return Err(InvalidValue::too_long(Self::MAX_LENGTH));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        if text.chars().all(allowed) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidValue("may only contain letters, digits, '_', '-' and '.'".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which uniqueness is enforced and profiles are looked up.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_url_safe_handles() {
        let username = Username::parse(" Jake_the.dog-1 ").expect("valid");
        assert_eq!(username.as_str(), "Jake_the.dog-1");
        assert_eq!(username.canonical(), "jake_the.dog-1");
    }

    #[test]
    fn refuses_blank_overlong_and_unsafe_handles() {
        assert_eq!(Username::parse(""), Err(InvalidValue::blank()));
        assert_eq!(Username::parse(&"a".repeat(33)), Err(InvalidValue::too_long(32)));
        for unsafe_name in ["jake smith", "jake/../admin", "jåke", "jake?"] {
            assert!(Username::parse(unsafe_name).is_err(), "{unsafe_name}");
        }
    }
}
