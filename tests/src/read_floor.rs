//! The least a list page could cost to read, computed from the page as served: what the page
//! shows, bought at DynamoDB's cheapest rate. The bench prints it beside what each list page
//! consumed, and the cost tests hold list pages to a multiple of it.
//!
//! - the summaries shown (each article or comment without its author and the viewer's flags), at
//!   half a unit per 4 KB: read eventually consistently by Query from an index that projects them;
//! - each distinct author once, at half a unit (a profile under 4 KB, eventually consistent);
//! - with a token, one unit for the viewer's relations (one consistent read of under 4 KB).

use serde_json::Value;

/// DynamoDB bills reads in 4 KB steps, half a unit each when eventually consistent.
const READ_STEP_BYTES: usize = 4096;
const EVENTUAL_UNIT_PER_STEP: f64 = 0.5;
const AUTHOR_UNITS: f64 = 0.5;
const VIEWER_RELATIONS_UNITS: f64 = 1.0;

/// A page's floor and what it is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadFloor {
    pub shown_bytes: usize,
    pub authors: usize,
    pub with_token: bool,
    pub units: f64,
}

impl ReadFloor {
    /// The floor of a list answer (`articles` or `comments`); `None` for any other body.
    pub fn of_page(body: &Value, with_token: bool) -> Option<Self> {
        let shown = body.get("articles").or_else(|| body.get("comments"))?.as_array()?;
        let mut authors: Vec<&str> = shown.iter().filter_map(|entry| entry["author"]["username"].as_str()).collect();
        authors.sort_unstable();
        authors.dedup();
        let shown_bytes: usize = shown.iter().map(shown_size).sum();
        let steps = shown_bytes.div_ceil(READ_STEP_BYTES);
        let units = steps as f64 * EVENTUAL_UNIT_PER_STEP
            + authors.len() as f64 * AUTHOR_UNITS
            + if with_token { VIEWER_RELATIONS_UNITS } else { 0.0 };
        Some(Self { shown_bytes, authors: authors.len(), with_token, units })
    }

    /// How many times the floor `consumed` read units are (1 for an empty page's zero floor).
    pub fn ratio(&self, consumed: f64) -> f64 {
        if self.units == 0.0 { if consumed == 0.0 { 1.0 } else { f64::INFINITY } } else { consumed / self.units }
    }
}

/// The bytes of one entry as a list shows it, without its author and the viewer's flags (those
/// are priced apart).
fn shown_size(entry: &Value) -> usize {
    let Some(fields) = entry.as_object() else { return 0 };
    fields
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "author" | "favorited"))
        .map(|(name, value)| name.len() + value.to_string().len())
        .sum()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn article(slug: &str, author: &str) -> Value {
        json!({"slug": slug, "title": "T", "description": "D", "tagList": [], "favorited": true,
               "favoritesCount": 0, "author": {"username": author, "following": false}})
    }

    #[test]
    fn a_page_pays_its_shown_bytes_by_the_4_kb_step_each_author_once_and_a_unit_for_a_viewer() {
        // Given a page of three articles by two authors
        let page = json!({"articles": [article("a", "jake"), article("b", "jake"), article("c", "anne")]});

        // When its floor is computed with and without a token
        let anonymous = ReadFloor::of_page(&page, false).expect("a list");
        let viewed = ReadFloor::of_page(&page, true).expect("a list");

        // Then the bytes fit one step (0.5), the two authors cost 1, the viewer 1 more
        assert_eq!(anonymous.authors, 2);
        assert!(anonymous.shown_bytes > 0 && anonymous.shown_bytes < READ_STEP_BYTES);
        assert_eq!(anonymous.units, 1.5);
        assert_eq!(viewed.units, 2.5);
        assert_eq!(viewed.ratio(5.0), 2.0);
    }

    #[test]
    fn an_empty_page_has_a_zero_floor_and_other_bodies_none() {
        let empty = ReadFloor::of_page(&json!({"articles": [], "articlesCount": 0}), false).expect("a list");
        assert_eq!(empty.units, 0.0);
        assert_eq!(empty.ratio(0.0), 1.0);
        assert_eq!(ReadFloor::of_page(&json!({"article": {}}), false), None);
    }
}
