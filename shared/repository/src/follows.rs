//! Follows: one small item per (follower, followee). Idempotent puts and deletes need no
//! condition: whatever the interleaving of concurrent requests, the item exists or not.

use conduit_domain::ports::{FollowReader, FollowWriter, StoreError};
use conduit_domain::values::UserId;
use serde::Serialize;

use crate::error::RepositoryError;
use crate::items::sort_key;
use crate::keys;
use crate::table::{KeyQuery, Table};

#[derive(Clone, Debug)]
pub struct DynamoFollows {
    table: Table,
}

#[derive(Serialize)]
struct FollowItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
}

impl DynamoFollows {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

impl FollowReader for DynamoFollows {
    async fn followees(&self, follower: UserId) -> Result<Vec<UserId>, StoreError> {
        let items = self
            .table
            // Consistent: a follow must show in the very next feed.
            .query(
                KeyQuery::partition(keys::user_partition(&follower.to_string()))
                    .sort_prefix(keys::FOLLOW_PREFIX)
                    .consistent(),
            )
            .await?;
        items
            .iter()
            .filter_map(sort_key)
            .map(|sort| {
                let id = &sort[keys::FOLLOW_PREFIX.len()..];
                UserId::parse(id).map_err(|problem| {
                    StoreError::from(RepositoryError::CorruptItem {
                        key: sort.to_owned(),
                        source: problem.to_string().into(),
                    })
                })
            })
            .collect()
    }
}

impl FollowWriter for DynamoFollows {
    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        let (partition, sort) = keys::follow(&follower.to_string(), &followee.to_string());
        let item = serde_dynamo::to_item(FollowItem { partition, sort }).map_err(RepositoryError::from)?;
        Ok(self.table.put(item, false).await?)
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        Ok(self.table.delete(keys::follow(&follower.to_string(), &followee.to_string())).await?)
    }
}
