//! 0002: every slug claim names its article's author, so a request resolving a slug reads the
//! author's profile (and the caller's relations to both) in the same round trip as the article.
//!
//! Only the article summary knows its author, so the migration rewrites the claim its summary
//! names (`SLUG#<slug>`), and only while that claim still points at this article and names no
//! author yet: a renamed article's new claim is written with its author already, a claim deleted
//! meanwhile stays deleted. Expand only: claims gain an attribute, and this release's reads still
//! learn the author from the summary when a claim has none (those written by the previous release
//! while this runs).

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_repository::keys;

use crate::migration::{Item, Migration, Rewrite, text};

pub struct SlugClaimsNameAuthor;

const AUTHOR: &str = "author_id";
const ARTICLE: &str = "article_id";

/// A slug claim as the layouts before this migration stored it (no author): what this migration
/// completes. For the tests of this migration.
pub fn claim_without_author(slug: &str, article: &str) -> Item {
    let (partition, sort) = keys::slug_claim(slug);
    Item::from([
        (keys::PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
        (keys::SORT_KEY.to_owned(), AttributeValue::S(sort)),
        (ARTICLE.to_owned(), AttributeValue::S(article.to_owned())),
    ])
}

impl Migration for SlugClaimsNameAuthor {
    fn id(&self) -> &'static str {
        "0002-slug-claims-name-author"
    }

    fn description(&self) -> &'static str {
        "copy each article's author into its slug claim, so a slug resolves to the article and its author at once"
    }

    fn rewrite(&self, item: &Item) -> Option<Rewrite> {
        let article = keys::article_of_summary(text(item, keys::PARTITION_KEY)?, text(item, keys::SORT_KEY)?)?;
        let (slug, author) = (text(item, "slug")?, text(item, AUTHOR)?);
        let (partition, sort) = keys::slug_claim(slug);
        Some(
            Rewrite::of(&partition, &sort)
                .set(AUTHOR, AttributeValue::S(author.to_owned()))
                .expecting(ARTICLE, Some(AttributeValue::S(article.to_owned())))
                .expecting(AUTHOR, None),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE_ID: &str = "01JQ3V8W2Y9R5T7K4M6N8P0S2A";
    const AUTHOR_ID: &str = "01JQ3V8W2Y9R5T7K4M6N8P0S2B";

    fn summary(slug: &str) -> Item {
        let text = |value: &str| AttributeValue::S(value.to_owned());
        Item::from([
            (keys::PARTITION_KEY.to_owned(), text(&keys::article_partition(ARTICLE_ID))),
            (keys::SORT_KEY.to_owned(), text("ARTICLE")),
            ("id".to_owned(), text(ARTICLE_ID)),
            ("slug".to_owned(), text(slug)),
            (AUTHOR.to_owned(), text(AUTHOR_ID)),
        ])
    }

    #[test]
    fn an_article_summary_names_its_author_in_its_slug_claim() {
        // Given an article summary
        let article = summary("how-to-train-your-dragon");

        // When the migration looks at it
        let rewrite = SlugClaimsNameAuthor.rewrite(&article).expect("a rewrite");

        // Then its slug's claim gains the author, if it still points at this article and names none
        assert_eq!(
            rewrite,
            Rewrite::of("SLUG#how-to-train-your-dragon", "SLUG")
                .set(AUTHOR, AttributeValue::S(AUTHOR_ID.to_owned()))
                .expecting(ARTICLE, Some(AttributeValue::S(ARTICLE_ID.to_owned())))
                .expecting(AUTHOR, None)
        );
        assert_eq!(
            rewrite.describe(),
            format!("on SLUG#how-to-train-your-dragon / SLUG: set author_id = \"{AUTHOR_ID}\"")
        );
    }

    #[test]
    fn items_other_than_article_summaries_are_left_alone() {
        // Given a slug claim, a body and a user
        let claim = claim_without_author("how-to-train-your-dragon", ARTICLE_ID);
        let mut body = summary("how-to-train-your-dragon");
        body.insert(keys::SORT_KEY.to_owned(), AttributeValue::S("BODY".into()));
        let user = Item::from([
            (keys::PARTITION_KEY.to_owned(), AttributeValue::S(format!("USER#{AUTHOR_ID}"))),
            (keys::SORT_KEY.to_owned(), AttributeValue::S("USER".into())),
        ]);

        // When the migration looks at them, then it changes nothing
        for item in [claim, body, user] {
            assert_eq!(SlugClaimsNameAuthor.rewrite(&item), None, "{item:?}");
        }
    }
}
