//! The passwords attackers try first: Django's list of the 20,000 most common (source, version and
//! licence in `shared/domain/data/README.md`). Only code that sets a password refers to it, so
//! only the functions that do carry it in their binary.

use std::sync::LazyLock;

/// Lower case, one per line, most common first.
const LIST: &str = include_str!("../../data/common-passwords.txt");

/// Sorted on first use, not at start-up: a cold start pays nothing, and the first password set in
/// a container pays one sort of about 20,000 slices, little beside the hashing that follows.
static SORTED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut entries: Vec<&'static str> = LIST.lines().collect();
    entries.sort_unstable();
    entries
});

/// Whether `password` is on the list, compared as Django does: ignoring case and the whitespace
/// around it, so `Password1` and ` password1 ` count as `password1`.
pub(super) fn contains(password: &str) -> bool {
    let folded = password.trim().to_lowercase();
    SORTED.binary_search(&folded.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_is_lower_case_without_blanks_or_duplicates() {
        // Given the file as compiled in
        let entries: Vec<&str> = LIST.lines().collect();

        // Then it holds Django's entries as the lookup expects them
        assert_eq!(entries.len(), 19_640);
        assert!(entries.iter().all(|entry| *entry == entry.to_lowercase()), "an entry with upper case");
        assert!(entries.iter().all(|entry| !entry.trim().is_empty() && *entry == entry.trim()), "a padded entry");
        assert_eq!(SORTED.windows(2).filter(|pair| pair[0] == pair[1]).count(), 0, "a duplicate entry");
    }

    #[test]
    fn finds_entries_from_the_top_and_the_bottom_of_the_list_in_any_case() {
        // Given the most common entry, a later one and the last one
        for listed in ["123456", "Password1", "  qwertyuiop ", "FALLEN_ANGEL", "Friend Of Emily"] {
            // Then each is found
            assert!(contains(listed), "{listed:?}");
        }
    }

    #[test]
    fn finds_nothing_for_passwords_that_are_not_listed() {
        for unlisted in ["jake-skateboard-42", "correct horse battery staple", "", "password 1"] {
            assert!(!contains(unlisted), "{unlisted:?}");
        }
    }

    #[test]
    fn lower_cases_beyond_ascii_like_the_list() {
        // Given a listed Cyrillic entry typed in capitals
        assert!(contains("ПАРОЛЬ"));
    }
}
