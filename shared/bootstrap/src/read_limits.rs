//! The read limits (see `conduit_domain::read_limits`) from the environment: each one is a
//! template parameter deployed and an environment variable of the local gateway locally, so tests
//! can set small values and the defaults hold everywhere else.

use conduit_domain::read_limits::ReadLimits;

use crate::whole_number::{self, OutOfRange};

/// The variables, each optional (absent means the default).
pub mod variables {
    pub const COMMENTS_PER_PAGE: &str = "COMMENTS_PER_PAGE";
    pub const COMMENT_PAGE_BYTES: &str = "COMMENT_PAGE_BYTES";
    pub const TAGS_LISTED: &str = "TAGS_LISTED";
    pub const COMBINED_FILTER_WINDOW: &str = "COMBINED_FILTER_WINDOW";

    /// Every one of them, in the order docs/bounded-reads.md lists them.
    pub const ALL: [&str; 4] = [COMMENTS_PER_PAGE, COMMENT_PAGE_BYTES, TAGS_LISTED, COMBINED_FILTER_WINDOW];
}

/// What a Query reads in one call (1 MB) bounds these: no page needs more items than fit in it.
const MAX_ITEMS: usize = 1_000;
/// Lambda's response limit is 6 MB; a page must leave room for the rest of the answer.
const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;
/// A combined filter searches at most this many entries, however it is configured.
const MAX_WINDOW: usize = 10_000;

/// The limits the process's environment sets.
pub fn from_env() -> Result<ReadLimits, OutOfRange> {
    from_variables(|name| std::env::var(name).ok())
}

/// The limits `variable` sets, each absent one at its default.
pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Result<ReadLimits, OutOfRange> {
    use variables::*;
    let defaults = ReadLimits::default();
    let whole = |name, default, min, max| whole_number::read_count(&variable, name, default, min..=max);
    Ok(ReadLimits {
        comments_per_page: whole(COMMENTS_PER_PAGE, defaults.comments_per_page, 1, MAX_ITEMS)?,
        comment_page_bytes: whole(
            COMMENT_PAGE_BYTES,
            defaults.comment_page_bytes,
            ReadLimits::MIN_COMMENT_PAGE_BYTES,
            MAX_PAGE_BYTES,
        )?,
        tags_listed: whole(TAGS_LISTED, defaults.tags_listed, 1, MAX_ITEMS)?,
        combined_filter_window: whole(COMBINED_FILTER_WINDOW, defaults.combined_filter_window, 1, MAX_WINDOW)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whole_number::environment;

    #[test]
    fn given_no_variables_when_read_then_every_limit_is_at_its_default() {
        assert_eq!(from_variables(environment(&[])).expect("valid"), ReadLimits::default());
    }

    #[test]
    fn given_each_variable_when_read_then_it_sets_its_own_limit() {
        let limits = from_variables(environment(&[
            ("COMMENTS_PER_PAGE", "3"),
            ("COMMENT_PAGE_BYTES", "200000"),
            ("TAGS_LISTED", "5"),
            ("COMBINED_FILTER_WINDOW", "7"),
        ]))
        .expect("valid");
        assert_eq!(
            limits,
            ReadLimits { comments_per_page: 3, comment_page_bytes: 200_000, tags_listed: 5, combined_filter_window: 7 }
        );
    }

    #[test]
    fn given_a_value_out_of_range_when_read_then_start_up_fails_naming_it() {
        for (name, value) in [
            ("COMMENTS_PER_PAGE", "0"),
            ("COMMENTS_PER_PAGE", "1001"),
            ("COMMENT_PAGE_BYTES", "1000"),
            ("COMMENT_PAGE_BYTES", "7000000"),
            ("TAGS_LISTED", "many"),
            ("COMBINED_FILTER_WINDOW", "-1"),
        ] {
            let error = from_variables(environment(&[(name, value)])).expect_err(name).to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
