//! Deleted articles whose leftovers (favorites, comments, feed entries) the stream consumer has not
//! removed yet: `PK = ARTICLE_PURGES`, one entry per article, living seconds (a purge of many
//! chunks: as many invocations, its progress recorded on the entry, see `purge.rs`). Reads that
//! could meet those leftovers leave the articles out meanwhile.

use std::collections::HashSet;

use serde::Serialize;

use crate::error::RepositoryError;
use crate::items::sort_key;
use crate::keys;
use crate::table::{KeyQuery, Table};

/// The stored shape of a pending-purge entry as the deletion writes it: its key says it all (the
/// purge adds its progress).
#[derive(Serialize)]
pub(crate) struct PendingPurgeItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
}

/// The ids of the deleted articles not purged yet (usually none), read consistently: a deletion
/// committed before this read is in it.
pub(crate) async fn pending_purges(table: &Table) -> Result<HashSet<String>, RepositoryError> {
    let items = table.query(KeyQuery::partition(keys::PENDING_PURGES_PARTITION.to_owned()).consistent()).await?;
    Ok(items.iter().filter_map(sort_key).map(str::to_owned).collect())
}
