use crate::validation::InvalidValue;

/// The client's name for one intended write (`Idempotency-Key`): 1 to 255 printable ASCII
/// characters, as the API documents. Anything longer or stranger is refused, so a key can be
/// logged, hashed and compared without surprises.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LENGTH: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        if raw.is_empty() {
            return Err(InvalidValue::blank());
        }
        if raw.len() > Self::MAX_LENGTH {
            return Err(InvalidValue::too_long(Self::MAX_LENGTH));
        }
        if !raw.bytes().all(|byte| byte.is_ascii_graphic() || byte == b' ') {
            return Err(InvalidValue("must be printable ASCII (letters, digits, punctuation and spaces)".to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("8e03978e-40d5-43e8-bc93-6894a57f9324").is_ok());
        assert!(IdempotencyKey::parse("order 42: retry!").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());

        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("tab\there").is_err());
        assert!(IdempotencyKey::parse("clé").is_err());
    }
}
