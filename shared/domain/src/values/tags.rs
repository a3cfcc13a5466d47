use super::non_blank;
use crate::validation::InvalidValue;

/// One tag, as written by the author (case is kept: "ReactJS" and "reactjs" are different tags,
/// as in the reference implementation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub const MAX_LENGTH: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let text = non_blank(raw)?;
        if text.chars().count() > Self::MAX_LENGTH {
            return Err(InvalidValue::too_long(Self::MAX_LENGTH));
        }
        // Tags travel in query strings (`?tag=`) and as key parts; control characters have no place.
        if text.chars().any(char::is_control) {
            return Err(InvalidValue::invalid());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An article's tags: distinct and sorted alphabetically (the order every response shows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagList(Vec<Tag>);

impl TagList {
    /// Each tag costs two items in the article's creation transaction (an entry and a counter);
    /// this bound keeps that transaction well inside DynamoDB's 100-item limit.
    pub const MAX_TAGS: usize = 10;

    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, InvalidValue> {
        let mut tags = raw.iter().map(|tag| Tag::parse(tag.as_ref())).collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        if tags.len() > Self::MAX_TAGS {
            return Err(InvalidValue(format!("has too many tags (maximum is {})", Self::MAX_TAGS)));
        }
        Ok(Self(tags))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    pub fn contains(&self, tag: &Tag) -> bool {
        self.0.binary_search(tag).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_deduplicated_and_sorted() {
        let tags = TagList::parse(&["  training", "dragons", "training", "Dragons"]).expect("valid");
        let names: Vec<&str> = tags.iter().map(Tag::as_str).collect();
        assert_eq!(names, ["Dragons", "dragons", "training"]);
    }

    #[test]
    fn blank_overlong_and_too_many_tags_are_refused() {
        assert_eq!(TagList::parse(&[" "]), Err(InvalidValue::blank()));
        assert!(TagList::parse(&["x".repeat(41)]).is_err());
        let many: Vec<String> = (0..11).map(|n| format!("tag{n}")).collect();
        assert!(TagList::parse(&many).is_err());
        assert!(TagList::parse(&many[..10]).is_ok());
    }
}
