//! Tags in use: one counter item per tag in the `TAGS` partition, so listing every tag is one
//! query whose size grows with the number of distinct tags, not of articles.

use conduit_domain::ports::{StoreError, TagReader};
use conduit_domain::values::Tag;

use crate::items::CounterItem;
use crate::keys;
use crate::table::{KeyQuery, Table};

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
    async fn tags_in_use(&self) -> Result<Vec<Tag>, StoreError> {
        let items = self.table.query(KeyQuery::partition(keys::TAGS_PARTITION.to_owned())).await?;
        let mut counted: Vec<(i64, Tag)> = Vec::new();
        for item in items {
            let counter: CounterItem = crate::decode(item)?;
            // A tag whose last article was deleted keeps a zero counter; it is not "in use".
            if counter.count > 0
                && let Ok(tag) = Tag::parse(&counter.sort)
            {
                counted.push((counter.count, tag));
            }
        }
        counted.sort_by(|(count_a, tag_a), (count_b, tag_b)| count_b.cmp(count_a).then_with(|| tag_a.cmp(tag_b)));
        Ok(counted.into_iter().map(|(_, tag)| tag).collect())
    }
}
