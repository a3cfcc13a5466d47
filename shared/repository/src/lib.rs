//! DynamoDB adapters for the domain's storage ports.
//!
//! Everything lives in one table (single-table design); the key layout and every access pattern are
//! documented in `shared/repository/README.md`. A repository never makes a business decision: it stores, loads,
//! and turns storage constraint failures into the domain's [`StoreError`](conduit_domain::ports::StoreError).

mod account_notices;
mod all_articles;
mod articles;
mod boxed_send;
mod capacity;
mod chunk_run;
mod comments;
mod error;
mod favorites;
mod feed;
mod follows;
mod idempotency;
mod items;
pub mod keys;
mod mail_ledger;
mod password_resets;
mod pending_purges;
mod purge;
mod relations;
mod table;
mod tags;
mod throttles;
mod trace_context;
mod users;
mod work_item;
mod write_quotas;
mod writes;

pub use account_notices::AccountNoticeItem;
pub use articles::DynamoArticles;
pub use comments::DynamoComments;
pub use error::RepositoryError;
pub use favorites::DynamoFavorites;
pub use feed::DynamoFeed;
pub use follows::{DEFAULT_PUSH_LIMIT, DynamoFollows, FOLLOW_COPIES};
pub use idempotency::DynamoIdempotencyRecords;
pub use mail_ledger::{DynamoAccountNotices, DynamoMailLedger, DynamoWelcomeMails};
pub use password_resets::DynamoPasswordResets;
pub use purge::DynamoArticlePurges;
pub use relations::DynamoRelations;
pub use table::Table;
pub use tags::DynamoTags;
pub use throttles::DynamoThrottles;
pub use trace_context::TRACE_PARENT_ATTRIBUTE;
pub use users::DynamoUsers;

/// Reads a stored item into its typed shape; a mismatch means the stored data is corrupt.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(item: table::Item) -> Result<T, RepositoryError> {
    let key = item.get(keys::PARTITION_KEY).and_then(|value| value.as_s().ok()).cloned().unwrap_or_default();
    serde_dynamo::from_item(item).map_err(|error| RepositoryError::CorruptItem { key, source: Box::new(error) })
}
