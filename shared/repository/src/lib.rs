//! DynamoDB adapters for the domain's storage ports.
//!
//! Everything lives in one table (single-table design); the key layout and every access pattern are
//! documented in `shared/repository/README.md`. A repository never makes a business decision: it stores, loads,
//! and turns storage constraint failures into the domain's [`StoreError`](conduit_domain::ports::StoreError).

mod capacity;
mod error;
mod keys;
mod table;
mod users;

pub use capacity::{CapacityUsage, ConsumedCapacityMeter};
pub use error::RepositoryError;
pub use table::Table;
pub use users::DynamoUsers;

/// Reads a stored item into its typed shape; a mismatch means the stored data is corrupt.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(item: table::Item) -> Result<T, RepositoryError> {
    let key = item.get(keys::PARTITION_KEY).and_then(|value| value.as_s().ok()).cloned().unwrap_or_default();
    serde_dynamo::from_item(item).map_err(|error| RepositoryError::CorruptItem { key, source: Box::new(error) })
}
