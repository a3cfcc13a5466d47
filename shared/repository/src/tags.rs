//! Tags in use: one counter item per tag in the `TAGS` partition, which index GSI4 sorts by its
//! count. Listing the most used tags is one query of that index that stops at the page, so its
//! cost does not grow with the number of distinct tags; a tag whose count fell to 0 lies outside
//! the query's range and is neither listed nor read.

use aws_sdk_dynamodb::types::TransactWriteItem;
use conduit_domain::ports::{StoreError, TagReader};
use conduit_domain::values::Tag;

use crate::error::RepositoryError;
use crate::keys;
use crate::table::{KeyQuery, Table};
use crate::writes;

/// The change of a tag's count by `delta`, for the transaction that adds or removes an article
/// carrying it; the counter is (or stays) in the index of tags by use.
pub(crate) fn count_change(table: &Table, tag: &Tag, delta: i64) -> Result<TransactWriteItem, RepositoryError> {
    let (index_partition, _) = keys::key_attributes(Some(keys::TAGS_BY_USE_INDEX));
    writes::add_indexed(table, keys::tag_counter(tag.as_str()), "count", delta, (index_partition, keys::TAGS_PARTITION))
}

#[derive(Clone, Debug)]
pub struct DynamoTags {
    table: Table,
}

impl DynamoTags {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

impl TagReader for DynamoTags {
    async fn most_used_tags(&self, limit: usize) -> Result<Vec<Tag>, StoreError> {
        let items = self
            .table
            .query(
                KeyQuery::index_partition(keys::TAGS_BY_USE_INDEX, keys::TAGS_PARTITION.to_owned())
                    .sort_above_number(0)
                    .newest_first()
                    .limit(Some(limit)),
            )
            .await?;
        // The index orders by count alone; among equal counts the order is the tag's, so the
        // answer does not change between two reads of the same data.
        let mut counted: Vec<(i64, Tag)> = Vec::with_capacity(items.len());
        for item in items {
            let counter: crate::items::CounterItem = crate::decode(item)?;
            if let Ok(tag) = Tag::parse(&counter.sort) {
                counted.push((counter.count, tag));
            }
        }
        counted.sort_by(|(count_a, tag_a), (count_b, tag_b)| count_b.cmp(count_a).then_with(|| tag_a.cmp(tag_b)));
        Ok(counted.into_iter().map(|(_, tag)| tag).collect())
    }
}
