//! The item a work done in chunks keeps its progress on (a pending purge, an ended-follow marker).
//! Every chunk reads it first, consistently, and ends by moving it on (its change on the stream
//! brings the next chunk) or, once nothing is left, deleting it. Both writes are conditioned on
//! the chunks it recorded when read: of two deliveries of one chunk (a retried or replayed record,
//! the first trigger and a continuation), only one carries the work on, so the work never forks
//! into two chains, and a deleted item is never written back.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use crate::error::RepositoryError;
use crate::keys::Key;
use crate::table::Table;
use crate::trace_context::{self, TRACE_PARENT_ATTRIBUTE};
use crate::writes::number;

/// How many chunks the item has recorded (absent: none yet).
const CHUNKS_DONE: &str = "chunks_done";

pub(crate) struct WorkItem {
    key: Key,
    chunks_done: u64,
}

impl WorkItem {
    /// The item at `key` with its progress as `T`; `None` when the work is over.
    pub async fn read<T: DeserializeOwned>(table: &Table, key: Key) -> Result<Option<(Self, T)>, RepositoryError> {
        let Some(item) = table.get(key.clone(), true).await? else { return Ok(None) };
        let chunks_done =
            item.get(CHUNKS_DONE).and_then(|value| value.as_n().ok()).and_then(|count| count.parse().ok()).unwrap_or(0);
        Ok(Some((Self { key, chunks_done }, crate::decode(item)?)))
    }

    /// Records one more chunk done and where the work stands (`progress`: attributes to set).
    /// `Ok(false)` when another delivery moved the item on or deleted it first: that one carries
    /// the work on, and nothing is written here.
    pub async fn move_on(
        &self,
        table: &Table,
        progress: Vec<(&'static str, AttributeValue)>,
    ) -> Result<bool, RepositoryError> {
        let mut assignments = vec![format!("{CHUNKS_DONE} = :next")];
        let mut values = vec![(":next".to_owned(), number(self.chunks_done + 1))];
        // The item's change brings the next chunk, which continues this chunk's trace.
        let trace_parent = trace_context::current().map(|value| (TRACE_PARENT_ATTRIBUTE, value));
        for (attribute, value) in progress.into_iter().chain(trace_parent) {
            assignments.push(format!("{attribute} = :{attribute}"));
            values.push((format!(":{attribute}"), value));
        }
        let (unchanged, read) = self.unchanged();
        values.extend(read);
        let values = values.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
        let expression = format!("SET {}", assignments.join(", "));
        table
            .update_if(self.key.clone(), &expression, &format!("attribute_exists(PK) AND {unchanged}"), &[], values)
            .await
    }

    /// Deletes the item: the work is done. `Ok(false)` when another delivery moved it on
    /// meanwhile, which then finishes the work itself.
    pub async fn finish(&self, table: &Table) -> Result<bool, RepositoryError> {
        let (unchanged, read) = self.unchanged();
        let values = read.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
        table.delete_if(self.key.clone(), &format!("attribute_not_exists(PK) OR {unchanged}"), &[], values).await
    }

    /// The condition that the item still records the chunks it did when read, with the value it
    /// compares to (none before the first chunk: the attribute is absent then).
    fn unchanged(&self) -> (String, Option<(String, AttributeValue)>) {
        if self.chunks_done == 0 {
            (format!("attribute_not_exists({CHUNKS_DONE})"), None)
        } else {
            (format!("{CHUNKS_DONE} = :read"), Some((":read".to_owned(), number(self.chunks_done))))
        }
    }
}
