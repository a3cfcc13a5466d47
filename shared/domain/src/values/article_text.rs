//! The free-text parts of articles and comments: required, trimmed, bounded.

use super::{at_most, non_blank};
use crate::validation::InvalidValue;

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LENGTH: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
                Ok(Self(at_most(non_blank(raw)?, Self::MAX_LENGTH)?.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// An article's headline; the slug is derived from it.
    Title,
    200
);
bounded_text!(
    /// The one-paragraph summary shown in article lists.
    Description,
    1_000
);
bounded_text!(
    /// The article itself (Markdown). Bounded so one request stays far below the 64 KiB body limit
    /// in plain text, and one article item far below DynamoDB's 400 KB.
    ArticleBody,
    50_000
);
bounded_text!(
    /// A comment on an article.
    CommentBody,
    10_000
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_required_and_bounded() {
        assert_eq!(Title::parse("  Dragons ").expect("valid").as_str(), "Dragons");
        assert_eq!(Description::parse(" "), Err(InvalidValue::blank()));
        assert_eq!(CommentBody::parse(&"c".repeat(10_001)), Err(InvalidValue::too_long(10_000)));
        assert!(ArticleBody::parse(&"b".repeat(50_000)).is_ok());
    }
}
