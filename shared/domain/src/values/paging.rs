use crate::validation::InvalidValue;

/// `limit` and `offset` of a list request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    pub offset: usize,
}

impl Page {
    pub const DEFAULT_LIMIT: usize = 20;
    pub const MAX_LIMIT: usize = 100;
    /// Offsets are paid for in keys read (offset + limit of them); past this a client should
    /// narrow its query instead.
    pub const MAX_OFFSET: usize = 10_000;

    pub fn parse_limit(raw: Option<&str>) -> Result<usize, InvalidValue> {
        match raw {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(limit) if (1..=Self::MAX_LIMIT).contains(&limit) => Ok(limit),
                _ => Err(InvalidValue(format!("must be a whole number from 1 to {}", Self::MAX_LIMIT))),
            },
        }
    }

    pub fn parse_offset(raw: Option<&str>) -> Result<usize, InvalidValue> {
        match raw {
            None => Ok(0),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(offset) if offset <= Self::MAX_OFFSET => Ok(offset),
                _ => Err(InvalidValue(format!("must be a whole number from 0 to {}", Self::MAX_OFFSET))),
            },
        }
    }

    /// How many keys must be read from the start of a list to serve this page.
    pub fn end(&self) -> usize {
        self.offset + self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_garbage() {
        assert_eq!(Page::parse_limit(None), Ok(20));
        assert_eq!(Page::parse_limit(Some("100")), Ok(100));
        for bad in ["0", "101", "-1", "ten", "1.5", ""] {
            assert!(Page::parse_limit(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(Page::parse_offset(None), Ok(0));
        assert_eq!(Page::parse_offset(Some("10000")), Ok(10_000));
        assert!(Page::parse_offset(Some("10001")).is_err());
        assert!(Page::parse_offset(Some("-5")).is_err());
    }
}
