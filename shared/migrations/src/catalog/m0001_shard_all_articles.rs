//! 0001: every article joins its shard of the write-sharded all-articles list (index GSI3).
//!
//! Expand only: the article keeps its place in the first layout's list (GSI2, `ARTICLES`), so the
//! release before this one, still serving while the migration runs, lists every article; this
//! release reads both lists and merges them by id.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_repository::keys;

use crate::migration::{Item, Migration, Rewrite, text};

pub struct ShardAllArticles;

/// An article summary as the first layout stored it (listed under `ARTICLES` only): what this
/// migration rewrites. For the tests of this migration and of everything that runs it.
pub fn first_layout_article(id: &str) -> Item {
    let text = |value: &str| AttributeValue::S(value.to_owned());
    Item::from([
        (keys::PARTITION_KEY.to_owned(), text(&keys::article_partition(id))),
        (keys::SORT_KEY.to_owned(), text("ARTICLE")),
        ("GSI1PK".to_owned(), text("AUTHOR#01JQ3V8W2Y9R5T7K4M6N8P0S2B")),
        ("GSI1SK".to_owned(), text(id)),
        ("GSI2PK".to_owned(), text(keys::LEGACY_ALL_ARTICLES_PARTITION)),
        ("GSI2SK".to_owned(), text(id)),
        ("id".to_owned(), text(id)),
        ("title".to_owned(), text(&format!("Article {id}"))),
    ])
}

const SHARD_PARTITION: &str = "GSI3PK";
const SHARD_SORT: &str = "GSI3SK";

impl Migration for ShardAllArticles {
    fn id(&self) -> &'static str {
        "0001-shard-all-articles"
    }

    fn description(&self) -> &'static str {
        "put every article in its shard of the all-articles list (GSI3), keeping the single-partition list (GSI2)"
    }

    fn rewrite(&self, item: &Item) -> Option<Rewrite> {
        let article = keys::article_of_summary(text(item, keys::PARTITION_KEY)?, text(item, keys::SORT_KEY)?)?;
        if item.contains_key(SHARD_PARTITION) {
            return None;
        }
        Some(
            Rewrite::default()
                .set(SHARD_PARTITION, AttributeValue::S(keys::all_articles_shard(article)))
                .set(SHARD_SORT, AttributeValue::S(article.to_owned()))
                .expecting(SHARD_PARTITION, None),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(attributes: &[(&str, &str)]) -> Item {
        attributes.iter().map(|(name, value)| ((*name).to_owned(), AttributeValue::S((*value).to_owned()))).collect()
    }

    #[test]
    fn an_article_of_the_first_layout_joins_its_shard() {
        // Given an article summary listed only under ARTICLES
        let article = "01JQ3V8W2Y9R5T7K4M6N8P0S2A";
        let summary = first_layout_article(article);

        // When the migration looks at it
        let rewrite = ShardAllArticles.rewrite(&summary).expect("a rewrite");

        // Then it gains its shard, unless someone gave it one meanwhile, and keeps GSI2
        assert_eq!(
            rewrite,
            Rewrite::default()
                .set("GSI3PK", AttributeValue::S(keys::all_articles_shard(article)))
                .set("GSI3SK", AttributeValue::S(article.to_owned()))
                .expecting("GSI3PK", None)
        );
    }

    #[test]
    fn a_sharded_article_and_other_items_are_left_alone() {
        let article = "01JQ3V8W2Y9R5T7K4M6N8P0S2A";
        let sharded = item(&[("PK", &format!("ARTICLE#{article}")), ("SK", "ARTICLE"), ("GSI3PK", "ARTICLES#01")]);
        let body = item(&[("PK", &format!("ARTICLE#{article}")), ("SK", "BODY")]);
        let user = item(&[("PK", "USER#01JQ3V8W2Y9R5T7K4M6N8P0S2B"), ("SK", "USER")]);

        for untouched in [sharded, body, user] {
            assert_eq!(ShardAllArticles.rewrite(&untouched), None);
        }
    }
}
