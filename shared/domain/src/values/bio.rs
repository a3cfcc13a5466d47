use super::at_most;
use crate::validation::InvalidValue;

/// A short text about the user; an empty bio is represented as no bio at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub const MAX_LENGTH: usize = 1000;

    /// `Ok(None)` for blank text: clients clear a bio by sending "" as often as `null`.
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidValue> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self(at_most(text, Self::MAX_LENGTH)?.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_means_no_bio_and_length_is_capped() {
        assert_eq!(Bio::parse("  "), Ok(None));
        assert_eq!(Bio::parse(" I work at statefarm ").expect("valid").expect("some").as_str(), "I work at statefarm");
        assert_eq!(Bio::parse(&"b".repeat(1001)), Err(InvalidValue::too_long(1000)));
    }
}
