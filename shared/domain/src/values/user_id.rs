use crate::validation::InvalidValue;

/// A user's permanent identity: a ULID, so ids sort by creation time and need no coordination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(ulid::Ulid);

impl UserId {
    pub fn generate() -> Self {
        Self(ulid::Ulid::new())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        ulid::Ulid::from_string(raw).map(Self).map_err(|_| InvalidValue::invalid())
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_text_form() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        assert!(UserId::parse("not-a-ulid").is_err());
    }
}
