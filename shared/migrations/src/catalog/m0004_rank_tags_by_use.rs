//! 0004: every tag counter enters the index of tags by use (GSI4), so `GET /api/tags` reads the
//! most used tags from one bounded query instead of every tag ever used.
//!
//! A tag counter (`TAGS` / `<tag>`) gains `GSI4PK = TAGS`; its `count` is the index's sort key
//! already. Expand only: the previous release reads the `TAGS` partition itself and ignores the
//! attribute. This release sets it with every change of a count, so a counter the previous release
//! created while this ran (and the scan had passed) enters the index with the next article that
//! uses or drops its tag.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_repository::keys;

use crate::migration::{Item, Migration, Rewrite, text};

pub struct RankTagsByUse;

impl Migration for RankTagsByUse {
    fn id(&self) -> &'static str {
        "0004-rank-tags-by-use"
    }

    fn description(&self) -> &'static str {
        "put every tag counter in the index of tags by use, so the tag list reads only the most used"
    }

    fn rewrite(&self, item: &Item) -> Option<Rewrite> {
        if text(item, keys::PARTITION_KEY)? != keys::TAGS_PARTITION {
            return None;
        }
        let (index_partition, _) = keys::key_attributes(Some(keys::TAGS_BY_USE_INDEX));
        if item.contains_key(index_partition) {
            return None;
        }
        Some(
            Rewrite::default()
                .set(index_partition, AttributeValue::S(keys::TAGS_PARTITION.to_owned()))
                .expecting(index_partition, None),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_counter(extra: &[(&str, AttributeValue)]) -> Item {
        let (partition, sort) = keys::tag_counter("dragons");
        let mut item = Item::from([
            (keys::PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
            (keys::SORT_KEY.to_owned(), AttributeValue::S(sort)),
            ("count".to_owned(), AttributeValue::N("3".into())),
        ]);
        item.extend(extra.iter().map(|(name, value)| ((*name).to_owned(), value.clone())));
        item
    }

    #[test]
    fn given_a_tag_counter_outside_the_index_when_migrated_then_it_joins_it() {
        let rewrite = RankTagsByUse.rewrite(&tag_counter(&[])).expect("a rewrite");

        assert_eq!(rewrite.describe(), "set GSI4PK = \"TAGS\"");
    }

    #[test]
    fn given_a_counter_already_indexed_or_another_item_when_migrated_then_nothing_changes() {
        let indexed = tag_counter(&[("GSI4PK", AttributeValue::S("TAGS".into()))]);
        let (partition, sort) = keys::article_counter();
        let article_counter = Item::from([
            (keys::PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
            (keys::SORT_KEY.to_owned(), AttributeValue::S(sort)),
            ("count".to_owned(), AttributeValue::N("3".into())),
        ]);

        for item in [indexed, article_counter] {
            assert_eq!(RankTagsByUse.rewrite(&item), None, "{item:?}");
        }
    }
}
