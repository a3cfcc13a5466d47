//! Writing the feed after the fact, from the table's change stream: an article into its author's
//! pushed followers' feeds when it is published, out of them when it is deleted (a page of
//! followers per step of the purge), and an ended follow's entries out of its reader's feed (see
//! `clearing.rs`). Each feed changes in its own transaction, so a retry resumes where the last
//! attempt stopped and a replayed record changes nothing.

use conduit_domain::ports::{ArticleRef, EndedFollow, FeedFanOut, StoreError};
use conduit_domain::work_chunks::{Chunk, WorkBudget};
use futures::StreamExt;
use futures::stream;

use super::{DynamoFeed, FAN_OUT_CONCURRENCY, FollowersPage, PushedFollower, pushed_followers};
use crate::error::RepositoryError;
use crate::items::FeedEntryItem;
use crate::keys;
use crate::table::{Table, TransactError};
use crate::writes::{self, text};

/// Runs `write` for every follower, a few at a time; answers how many wrote. The first failure
/// fails the whole (a retry redoes only what is not done).
async fn for_each_follower<F, Fut>(followers: Vec<PushedFollower>, write: F) -> Result<usize, RepositoryError>
where
    F: Fn(PushedFollower) -> Fut,
    Fut: std::future::Future<Output = Result<bool, RepositoryError>>,
{
    let written = stream::iter(followers)
        .map(write)
        .buffer_unordered(FAN_OUT_CONCURRENCY)
        .collect::<Vec<Result<bool, RepositoryError>>>()
        .await;
    written.into_iter().try_fold(0, |count, wrote| Ok(count + usize::from(wrote?)))
}

/// One transaction; a failed condition means there is nothing (more) to do.
async fn transact_unless_done(
    table: &Table,
    items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> Result<bool, RepositoryError> {
    match table.transact(items).await {
        Ok(()) => Ok(true),
        Err(TransactError::Cancelled(_)) => Ok(false),
        Err(TransactError::Failed(error)) => Err(error),
    }
}

/// Takes a deleted article's entries out of the feeds of one page of its author's pushed
/// followers, each with the feed's count and the follow's entry count. Entries of ended follows
/// are not touched: clearing the ended follow removes them, and reads skip them meanwhile.
pub(crate) async fn remove_from_feeds(
    table: &Table,
    article: &str,
    author: &str,
    page: FollowersPage,
) -> Result<usize, RepositoryError> {
    for_each_follower(page.followers, |follower| async move {
        let period = || vec![(":period", text(follower.period.clone()))];
        let items = vec![
            writes::delete(table, keys::feed_entry(&follower.reader, article), Some(("period = :period", period())))?,
            writes::update(
                table,
                keys::follow(&follower.reader, author),
                "ADD feed_entries :minus_one",
                "period = :period",
                [period(), vec![(":minus_one", writes::number(-1))]].concat(),
            )?,
            writes::add(table, keys::feed_state(&follower.reader), "count", -1, false)?,
        ];
        transact_unless_done(table, items).await
    })
    .await
}

impl FeedFanOut for DynamoFeed {
    /// Per pushed follower, one transaction: the entry (only if absent: a replay writes nothing),
    /// the feed's count, the follow's entry count (only while that follow lasts), and a check that
    /// the article still exists (a deletion's purge may have run already).
    async fn fan_out(&self, article: ArticleRef) -> Result<usize, StoreError> {
        let (id, author) = (article.id.to_string(), article.author_id.to_string());
        let table = &self.table;
        let followers = pushed_followers(table, &author).await?;
        let written = for_each_follower(followers, |follower| {
            let (id, author) = (&id, &author);
            async move {
                let entry = FeedEntryItem::new(&follower.reader, id, author, &follower.period);
                let items = vec![
                    writes::put(table, entry, true)?,
                    writes::add(table, keys::feed_state(&follower.reader), "count", 1, false)?,
                    writes::update(
                        table,
                        keys::follow(&follower.reader, author),
                        "ADD feed_entries :one",
                        "period = :period",
                        vec![(":one", writes::number(1)), (":period", text(follower.period.clone()))],
                    )?,
                    writes::check(table, keys::article(id), "attribute_exists(PK)")?,
                ];
                transact_unless_done(table, items).await
            }
        })
        .await?;
        Ok(written)
    }

    async fn clear_ended_follow(&self, follow: &EndedFollow, budget: WorkBudget) -> Result<Chunk<usize>, StoreError> {
        Ok(super::clearing::clear_chunk(&self.table, follow, budget).await?)
    }
}
