//! Favorites: the (fan, article) entry and both counters change in one transaction, so
//! `favoritesCount` stays exact under any number of concurrent favorites; a new favorite's count
//! against the fan's write quota is in the same transaction.

use conduit_domain::ports::{ArticleRef, FavoriteWriter, StoreError};
use conduit_domain::values::UserId;
use conduit_domain::write_quotas::WriteCharge;

use crate::items::ListEntryItem;
use crate::keys;
use crate::table::{Table, TransactError};
use crate::write_quotas;
use crate::writes::{self, condition_failed};

#[derive(Clone, Debug)]
pub struct DynamoFavorites {
    table: Table,
}

impl DynamoFavorites {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

/// Where a favorite's transaction counts it against the fan's quota.
const QUOTA_INDEX: usize = 3;

/// Which of the two counted items was gone: the article (item 1) or the fan's account (item 2).
fn missing(codes: &[String]) -> StoreError {
    if condition_failed(codes, 1) { StoreError::Missing("article") } else { StoreError::Missing("user") }
}

impl FavoriteWriter for DynamoFavorites {
    async fn favorite(&self, fan: UserId, article: ArticleRef, charge: &WriteCharge) -> Result<(), StoreError> {
        let (user, id) = (fan.to_string(), article.id.to_string());
        let (partition, sort) = keys::favorite(&user, &id);
        let entry = ListEntryItem {
            partition,
            sort,
            index_partition: Some(keys::favorited_partition(&id)),
            index_sort: Some(user.clone()),
            author_id: article.author_id.to_string(),
        };
        let items = vec![
            writes::put(&self.table, entry, true)?,
            writes::add(&self.table, keys::article(&id), "favorites_count", 1, true)?,
            writes::add(&self.table, keys::user(&user), "favorites_count", 1, true)?,
            write_quotas::counted(&self.table, fan, charge)?,
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(()),
            // Favorited already: nothing changes (or is counted), by design, even over the quota.
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 0) => Ok(()),
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, QUOTA_INDEX) => {
                Err(StoreError::OverQuota(charge.refusal()))
            }
            Err(TransactError::Cancelled(codes)) => Err(missing(&codes)),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }

    async fn unfavorite(&self, user: UserId, article: ArticleRef) -> Result<(), StoreError> {
        let (user, id) = (user.to_string(), article.id.to_string());
        let items = vec![
            writes::delete(&self.table, keys::favorite(&user, &id), Some(("attribute_exists(PK)", vec![])))?,
            writes::add(&self.table, keys::article(&id), "favorites_count", -1, true)?,
            writes::add(&self.table, keys::user(&user), "favorites_count", -1, true)?,
        ];
        match self.table.transact(items).await {
            Ok(()) => Ok(()),
            // Not a favorite (any more): nothing to undo.
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 0) => Ok(()),
            Err(TransactError::Cancelled(codes)) => Err(missing(&codes)),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }
}
