use super::{ArticleId, Title};
use crate::validation::InvalidValue;

/// The URL name of an article, derived from its title: lower-case letters and digits separated by
/// single hyphens. Unique across articles; a clashing title gets a suffix from the article's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Long enough to read, short enough for a URL; suffixes come on top.
    pub const MAX_BASE_LENGTH: usize = 80;
    pub const MAX_LENGTH: usize = 120;

    /// Slugs that would read as a fixed route (`GET /api/articles/feed`): a title producing one
    /// is treated like a taken slug and gets a suffix.
    const RESERVED: &'static [&'static str] = &["feed"];

    pub fn from_title(title: &Title) -> Self {
        let mut slug = String::new();
        for c in title.as_str().chars().flat_map(char::to_lowercase) {
            if is_slug_character(c) {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug: String = slug.chars().take(Self::MAX_BASE_LENGTH).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        if slug.is_empty() {
            slug.push_str("article");
        }
        Self(slug)
    }

    pub fn is_reserved(&self) -> bool {
        Self::RESERVED.contains(&self.0.as_str())
    }

    /// The same base with a suffix unique to `id`, for when the plain slug is taken.
    pub fn with_suffix_of(&self, id: ArticleId, suffix_length: usize) -> Self {
        Self(format!("{}-{}", self.0, id.slug_suffix(suffix_length)))
    }

    /// A slug as it arrives in a URL. Anything that could never have been generated cannot name an
    /// article, which the caller reports as "not found".
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let valid = !raw.is_empty()
            && raw.chars().count() <= Self::MAX_LENGTH
            && raw.chars().all(|c| c == '-' || is_slug_character(c));
        if valid { Ok(Self(raw.to_owned())) } else { Err(InvalidValue::invalid()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Letters and digits already in lower case. Some letters have no lower-case form (ℝ, 𝐀) and
/// count as lower case here, so every slug a title produces can also be parsed from a URL.
fn is_slug_character(c: char) -> bool {
    c.is_alphanumeric() && c.to_lowercase().eq(std::iter::once(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(title: &str) -> String {
        Slug::from_title(&Title::parse(title).expect("valid title")).as_str().to_owned()
    }

    #[test]
    fn a_title_becomes_lower_case_words_joined_by_single_hyphens() {
        assert_eq!(slug("How to train your dragon"), "how-to-train-your-dragon");
        assert_eq!(slug("  Rust & DynamoDB: 101!! "), "rust-dynamodb-101");
        assert_eq!(slug("Ünïcode Straße"), "ünïcode-straße");
        assert_eq!(slug("?!"), "article");
    }

    #[test]
    fn long_titles_are_cut_without_a_trailing_hyphen() {
        let long = slug(&"word ".repeat(40));
        assert!(long.chars().count() <= Slug::MAX_BASE_LENGTH);
        assert!(!long.ends_with('-'));
    }

    #[test]
    fn a_suffix_makes_equal_titles_distinct() {
        let base = Slug::from_title(&Title::parse("Same").expect("valid"));
        let (a, b) = (ArticleId::generate(), ArticleId::generate());
        assert_ne!(base.with_suffix_of(a, 8), base.with_suffix_of(b, 8));
        assert!(Slug::parse(base.with_suffix_of(a, 8).as_str()).is_ok());
    }

    #[test]
    fn every_slug_a_title_produces_parses_back() {
        for title in ["ℝ is complete", "𝐀lgebra", "ϒ and İstanbul", "Feed", "Ünïcode Straße"] {
            let slug = Slug::from_title(&Title::parse(title).expect("valid"));
            assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()), "{title}");
        }
    }

    #[test]
    fn a_title_reading_as_a_route_gives_a_reserved_slug() {
        assert!(Slug::from_title(&Title::parse("Feed").expect("valid")).is_reserved());
        assert!(!Slug::from_title(&Title::parse("Feedback").expect("valid")).is_reserved());
    }

    #[test]
    fn url_input_that_no_title_could_produce_is_refused() {
        assert!(Slug::parse("how-to-train").is_ok());
        for bad in ["", "Upper", "with space", "semi;colon", &"a".repeat(121)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
