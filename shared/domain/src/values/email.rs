use super::{at_most, non_blank};
use crate::validation::InvalidValue;

/// An e-mail address as the user typed it (trimmed), unique across accounts regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// RFC 5321 caps a forward path at 256 octets, of which the address gets 254.
    pub const MAX_LENGTH: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = at_most(non_blank(raw)?, Self::MAX_LENGTH)?;
        let options = email_address::Options::default().without_display_text();
        let syntactically_valid = email_address::EmailAddress::parse_with_options(text, options).is_ok();
        // The RFC allows dotless domains ("root@localhost"); no mail for a public service goes there.
        let has_dotted_domain =
            text.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if syntactically_valid && has_dotted_domain { Ok(Self(text.to_owned())) } else { Err(InvalidValue::invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form under which uniqueness is enforced: "Jake@Example.com" and "jake@example.com" are one.
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_an_ordinary_address_and_trims_it() {
        let email = Email::parse("  Jake@Example.com ").expect("valid");
        assert_eq!(email.as_str(), "Jake@Example.com");
        assert_eq!(email.canonical(), "jake@example.com");
    }

    #[test]
    fn refuses_blank_malformed_dotless_and_overlong_addresses() {
        assert_eq!(Email::parse("   "), Err(InvalidValue::blank()));
        for malformed in ["jake", "jake@", "@example.com", "ja ke@example.com", "jake@localhost", "a@b."] {
            assert_eq!(Email::parse(malformed), Err(InvalidValue::invalid()), "{malformed}");
        }
        let overlong = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&overlong), Err(InvalidValue::too_long(254)));
    }
}
