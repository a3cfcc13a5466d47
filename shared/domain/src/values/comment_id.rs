use crate::validation::InvalidValue;

/// A comment's id: a positive integer, unique within its article (the API shows it as a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommentId(u64);

impl CommentId {
    pub fn new(value: u64) -> Result<Self, InvalidValue> {
        if value == 0 { Err(InvalidValue::invalid()) } else { Ok(Self(value)) }
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        raw.trim().parse::<u64>().map_err(|_| InvalidValue::invalid()).and_then(Self::new)
    }

    pub fn value(&self) -> u64 {
        self.0
    }
}
