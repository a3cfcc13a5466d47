//! Follows: one small item per (follower, followee). Idempotent puts and deletes need no
//! condition: whatever the interleaving of concurrent requests, the item exists or not.

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;
use conduit_domain::ports::{FollowReader, FollowWriter, StoreError};
use conduit_domain::values::UserId;
use serde::Serialize;

use crate::error::RepositoryError;
use crate::items::sort_key;
use crate::keys;
use crate::table::{KeyQuery, Table};
use crate::writes::text;

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
            .query(KeyQuery {
                index: None,
                condition: "PK = :pk AND begins_with(SK, :prefix)",
                values: vec![
                    (":pk", text(keys::user_partition(&follower.to_string()))),
                    (":prefix", text(keys::FOLLOW_PREFIX)),
                ],
                newest_first: false,
                limit: None,
                // A follow must show in the very next feed.
                consistent: true,
            })
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
        let output = self
            .table
            .client
            .put_item()
            .table_name(self.table.name())
            .set_item(Some(serde_dynamo::to_item(FollowItem { partition, sort }).map_err(RepositoryError::from)?))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|error| RepositoryError::request("PutItem", error))?;
        crate::capacity::record("PutItem", output.consumed_capacity());
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        let output = self
            .table
            .client
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(Table::key(keys::follow(&follower.to_string(), &followee.to_string()))))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|error| RepositoryError::request("DeleteItem", error))?;
        crate::capacity::record("DeleteItem", output.consumed_capacity());
        Ok(())
    }
}
