use super::CommentId;
use crate::validation::InvalidValue;

/// Which comments of an article one list request asks for: those numbered after `after` (all,
/// when `None`), oldest first, at most `limit`. A cursor rather than an offset, so a far page
/// costs what a near one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentPageRequest {
    pub after: Option<CommentId>,
    pub limit: usize,
}

impl CommentPageRequest {
    /// `limit` from the query string: from 1 to `max`, and `max` when absent.
    pub fn parse_limit(raw: Option<&str>, max: usize) -> Result<usize, InvalidValue> {
        match raw {
            None => Ok(max),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(limit) if (1..=max).contains(&limit) => Ok(limit),
                _ => Err(InvalidValue(format!("must be a whole number from 1 to {max}"))),
            },
        }
    }

    /// `after` from the query string: a comment id (a positive whole number), or nothing.
    pub fn parse_after(raw: Option<&str>) -> Result<Option<CommentId>, InvalidValue> {
        raw.map(|raw| CommentId::parse(raw).map_err(|_| InvalidValue("must be a comment id".into()))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_no_limit_when_parsed_then_the_page_is_as_large_as_allowed() {
        assert_eq!(CommentPageRequest::parse_limit(None, 100), Ok(100));
        assert_eq!(CommentPageRequest::parse_limit(Some("7"), 100), Ok(7));
    }

    #[test]
    fn given_a_limit_outside_one_to_the_maximum_when_parsed_then_it_is_refused() {
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(CommentPageRequest::parse_limit(Some(bad), 100).is_err(), "{bad}");
        }
    }

    #[test]
    fn given_a_cursor_when_parsed_then_only_a_comment_id_is_accepted() {
        assert_eq!(CommentPageRequest::parse_after(None), Ok(None));
        assert_eq!(CommentPageRequest::parse_after(Some("12")), Ok(Some(CommentId::new(12).expect("valid"))));
        for bad in ["0", "-3", "x", ""] {
            assert!(CommentPageRequest::parse_after(Some(bad)).is_err(), "{bad}");
        }
    }
}
