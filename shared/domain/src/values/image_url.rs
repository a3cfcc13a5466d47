use super::at_most;
use crate::validation::InvalidValue;

/// The address of a profile picture. Only absolute http(s) URLs: anything else (`javascript:`,
/// `data:`) would be rendered by front ends as a link or an `<img src>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    pub const MAX_LENGTH: usize = 2048;

    /// `Ok(None)` for blank text, which clients send to remove their picture.
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidValue> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let text = at_most(text, Self::MAX_LENGTH)?;
        let lower = text.to_ascii_lowercase();
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
        let has_host = rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
        if has_host && !text.chars().any(char::is_whitespace) {
            Ok(Some(Self(text.to_owned())))
        } else {
            Err(InvalidValue("must be an http or https URL".into()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_web_urls_and_treats_blank_as_none() {
        assert_eq!(ImageUrl::parse(""), Ok(None));
        let url = ImageUrl::parse("https://api.realworld.io/images/smiley-cyrus.jpeg").expect("valid");
        assert_eq!(url.expect("some").as_str(), "https://api.realworld.io/images/smiley-cyrus.jpeg");
    }

    #[test]
    fn refuses_scripts_relative_paths_and_spaces() {
        for bad in ["javascript:alert(1)", "/images/me.png", "https://", "http:///x", "https://a b.com/x.png"] {
            assert!(ImageUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
