use crate::validation::InvalidValue;

/// An article's permanent identity. ULIDs sort by creation time, so "most recent first" is simply
/// "highest id first" in every index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleId(ulid::Ulid);

impl ArticleId {
    pub fn generate() -> Self {
        Self(ulid::Ulid::new())
    }

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        ulid::Ulid::from_string(raw).map(Self).map_err(|_| InvalidValue::invalid())
    }

    /// A short lower-case tag taken from the id's random part, to tell apart slugs of equal titles.
    pub fn slug_suffix(&self, length: usize) -> String {
        let text = self.0.to_string().to_ascii_lowercase();
        text[text.len() - length.min(16)..].to_owned()
    }
}

impl std::fmt::Display for ArticleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
