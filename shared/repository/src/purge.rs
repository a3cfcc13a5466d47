//! Purging a deleted article: what no one can reach once it is gone (its favorites with each fan's
//! count, its comments, its entries in its author's pushed followers' feeds with each feed's and
//! follow's counts), removed one bounded chunk per invocation of `purge-deleted-article`.
//!
//! The article's pending-purge entry (`ARTICLE_PURGES` / `<article>`) is the work's item: lists
//! leave the article's leftovers out while it exists, so it is deleted last, by the chunk that
//! finds nothing left. A chunk that stops before (its items used up, or its time) records where it
//! stopped on it instead (`fans_below`, `followers_below`, with the author the next chunk needs),
//! and that change on the stream brings the next chunk. Favorites and followers are walked down
//! their index from where the last chunk stopped; comments are simply the ones still in the
//! article's partition. No favorite or comment can appear meanwhile (their writes require the
//! article to exist), and every removal is conditioned on what it removes still being there, so a
//! chunk repeated after a crash, or delivered twice at once, counts nothing twice.

use conduit_domain::ports::{ArticlePurger, ArticleRef, PurgedArticle, StoreError};
use conduit_domain::work_chunks::{Chunk, Remaining, WorkBudget};
use futures::StreamExt;
use futures::stream;
use serde::Deserialize;

use crate::chunk_run::ChunkRun;
use crate::error::RepositoryError;
use crate::feed::{pushed_followers_page, remove_from_feeds};
use crate::items::{sort_key, string_attribute};
use crate::keys;
use crate::table::{KeyQuery, Table, TransactError};
use crate::work_item::WorkItem;
use crate::writes::{self, text};

/// How many favorites of a deleted article are removed at once.
const CLEANUP_CONCURRENCY: usize = 8;

#[derive(Clone, Debug)]
pub struct DynamoArticlePurges {
    table: Table,
}

/// Where a purge stands, as its pending-purge entry records it (nothing yet before the first
/// chunk: the deletion writes the bare entry).
#[derive(Deserialize)]
struct PurgeProgress {
    /// The lowest fan whose favorite the purge has dealt with.
    #[serde(default)]
    fans_below: Option<String>,
    /// The lowest pushed follower whose feed the purge has dealt with.
    #[serde(default)]
    followers_below: Option<String>,
}

/// One chunk's walk: the budget it draws on and what it removed.
struct Walk {
    run: ChunkRun,
    purged: PurgedArticle,
}

impl DynamoArticlePurges {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn chunk(&self, id: &str, author: &str, budget: WorkBudget) -> Result<Chunk<PurgedArticle>, RepositoryError> {
        let Some((item, progress)) = WorkItem::read::<PurgeProgress>(&self.table, keys::pending_purge(id)).await?
        else {
            return Ok(Chunk { done: PurgedArticle::default(), remaining: Remaining::Nothing });
        };
        let PurgeProgress { mut fans_below, mut followers_below } = progress;
        let mut walk = Walk { run: ChunkRun::new(budget), purged: PurgedArticle::default() };
        let nothing_left = self.favorites(id, &mut fans_below, &mut walk).await?
            && self.comments(id, &mut walk).await?
            && self.feed_entries(id, author, &mut followers_below, &mut walk).await?;
        let remaining = if nothing_left {
            if item.finish(&self.table).await? { Remaining::Nothing } else { Remaining::More }
        } else {
            let mut progress = vec![("author_id", text(author))];
            progress.extend(fans_below.map(|fan| ("fans_below", text(fan))));
            progress.extend(followers_below.map(|follower| ("followers_below", text(follower))));
            // Not recorded when another delivery of this chunk recorded first: that one goes on.
            item.move_on(&self.table, progress).await?;
            Remaining::More
        };
        Ok(Chunk { done: walk.purged, remaining })
    }

    /// Removes favorites, highest fan first, from below `cursor` on, each with its fan's count;
    /// `true` once the index has no more.
    async fn favorites(&self, id: &str, cursor: &mut Option<String>, walk: &mut Walk) -> Result<bool, RepositoryError> {
        loop {
            let Some(limit) = walk.run.next_step() else { return Ok(false) };
            let index = keys::BY_AUTHOR_OR_ARTICLE_INDEX;
            let fans = self
                .table
                .index_sort_keys(index, keys::favorited_partition(id), cursor.as_deref(), Some(limit))
                .await?;
            walk.run.used(fans.len());
            let read = fans.len();
            if let Some(last) = fans.last() {
                *cursor = Some(last.clone());
            }
            walk.purged.favorites += self.remove_favorites(id, fans).await?;
            if read < limit {
                return Ok(true);
            }
        }
    }

    /// Each favorite with its fan's count, in one transaction per fan; answers how many went.
    async fn remove_favorites(&self, id: &str, fans: Vec<String>) -> Result<usize, RepositoryError> {
        let table = &self.table;
        let removals = stream::iter(fans)
            .map(|fan| async move {
                let items = vec![
                    writes::delete(table, keys::favorite(&fan, id), Some(("attribute_exists(PK)", vec![])))?,
                    writes::add(table, keys::user(&fan), "favorites_count", -1, true)?,
                ];
                match table.transact(items).await {
                    Ok(()) => Ok(true),
                    // Already gone: removed by an earlier delivery of this chunk, or unfavorited.
                    Err(TransactError::Cancelled(_)) => Ok(false),
                    Err(TransactError::Failed(error)) => Err(error),
                }
            })
            .buffer_unordered(CLEANUP_CONCURRENCY)
            .collect::<Vec<Result<bool, RepositoryError>>>()
            .await;
        removals.into_iter().try_fold(0, |count, removed| Ok(count + usize::from(removed?)))
    }

    /// Deletes what is left in the article's partition (its comments), a step at a time; `true`
    /// once it is empty.
    async fn comments(&self, id: &str, walk: &mut Walk) -> Result<bool, RepositoryError> {
        loop {
            let Some(limit) = walk.run.next_step() else { return Ok(false) };
            let query = KeyQuery::partition(keys::article_partition(id)).consistent().limit(Some(limit));
            let leftovers: Vec<keys::Key> = self
                .table
                .query(query)
                .await?
                .iter()
                .filter_map(|item| {
                    Some((string_attribute(item, keys::PARTITION_KEY)?.to_owned(), sort_key(item)?.to_owned()))
                })
                .collect();
            walk.run.used(leftovers.len());
            let read = leftovers.len();
            self.table.batch_delete(leftovers).await?;
            walk.purged.comments += read;
            if read < limit {
                return Ok(true);
            }
        }
    }

    /// Takes the article out of its author's pushed followers' feeds, highest follower first,
    /// from below `cursor` on; `true` once the followers index has no more.
    async fn feed_entries(
        &self,
        id: &str,
        author: &str,
        cursor: &mut Option<String>,
        walk: &mut Walk,
    ) -> Result<bool, RepositoryError> {
        loop {
            let Some(limit) = walk.run.next_step() else { return Ok(false) };
            let page = pushed_followers_page(&self.table, author, cursor.as_deref(), Some(limit)).await?;
            walk.run.used(page.read);
            let read = page.read;
            if let Some(last) = &page.last {
                *cursor = Some(last.clone());
            }
            walk.purged.feed_entries += remove_from_feeds(&self.table, id, author, page).await?;
            if read < limit {
                return Ok(true);
            }
        }
    }
}

impl ArticlePurger for DynamoArticlePurges {
    async fn purge_deleted(&self, article: ArticleRef, budget: WorkBudget) -> Result<Chunk<PurgedArticle>, StoreError> {
        Ok(self.chunk(&article.id.to_string(), &article.author_id.to_string(), budget).await?)
    }
}
