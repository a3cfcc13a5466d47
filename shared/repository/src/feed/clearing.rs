//! Clearing an ended follow from its reader's feed, one bounded chunk per invocation of
//! `update-feeds`. A chunk walks the reader's feed newest first from where the last one stopped
//! (the marker's `entries_below`), deleting each entry still of the ended period (a new follow
//! may have taken it over), then records where it stopped on the marker, whose change brings the
//! next chunk. Reads skip the period's entries while the marker exists, so it is deleted last,
//! by the chunk that finds the walk at its end. The feed's count needs nothing: the unfollow took
//! the period's entries off it.

use conduit_domain::ports::EndedFollow;
use conduit_domain::work_chunks::{Chunk, Remaining, WorkBudget};
use futures::StreamExt;
use futures::stream;
use serde::Deserialize;

use super::FAN_OUT_CONCURRENCY;
use crate::chunk_run::ChunkRun;
use crate::error::RepositoryError;
use crate::items::FeedEntryItem;
use crate::keys;
use crate::table::{KeyQuery, Table};
use crate::work_item::WorkItem;
use crate::writes::text;

/// Where a clearing stands, as its marker records it.
#[derive(Deserialize)]
struct ClearingProgress {
    /// The oldest feed entry the clearing has looked at; absent before the first chunk.
    #[serde(default)]
    entries_below: Option<String>,
}

/// One chunk of clearing `follow` within `budget`: how many entries it removed, and whether
/// more is left.
pub(super) async fn clear_chunk(
    table: &Table,
    follow: &EndedFollow,
    budget: WorkBudget,
) -> Result<Chunk<usize>, RepositoryError> {
    let (reader, author) = (follow.reader.to_string(), follow.author.to_string());
    let marker = keys::feed_ended(&reader, &author, &follow.period);
    let Some((item, progress)) = WorkItem::read::<ClearingProgress>(table, marker).await? else {
        return Ok(Chunk { done: 0, remaining: Remaining::Nothing });
    };
    let mut run = ChunkRun::new(budget);
    let mut below = progress.entries_below;
    let mut removed = 0;
    let walked_to_the_end = loop {
        let Some(limit) = run.next_step() else { break false };
        let mut query =
            KeyQuery::partition(keys::feed_partition(&reader)).newest_first().limit(Some(limit)).consistent();
        if let Some(below) = &below {
            query = query.sort_below(below);
        }
        let entries: Vec<FeedEntryItem> =
            table.query(query).await?.into_iter().map(crate::decode).collect::<Result<_, _>>()?;
        run.used(entries.len());
        let read = entries.len();
        if let Some(last) = entries.last() {
            below = Some(last.sort.clone());
        }
        let ended = entries.into_iter().filter(|entry| entry.author_id == author && entry.period == follow.period);
        removed +=
            remove_entries(table, ended.map(|entry| (entry.partition, entry.sort)).collect(), &follow.period).await?;
        if read < limit {
            break true;
        }
    };
    let remaining = if walked_to_the_end {
        if item.finish(table).await? { Remaining::Nothing } else { Remaining::More }
    } else {
        let progress = below.map(|below| ("entries_below", text(below))).into_iter().collect();
        item.move_on(table, progress).await?;
        Remaining::More
    };
    Ok(Chunk { done: removed, remaining })
}

/// Deletes each entry only if it is still of `period`, a few at a time; answers how many went.
async fn remove_entries(table: &Table, entries: Vec<keys::Key>, period: &str) -> Result<usize, RepositoryError> {
    let removals = stream::iter(entries)
        .map(|key| async move { table.delete_if(key, "period = :period", &[], vec![(":period", text(period))]).await })
        .buffer_unordered(FAN_OUT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    removals.into_iter().try_fold(0, |count, removed| Ok(count + usize::from(removed?)))
}
