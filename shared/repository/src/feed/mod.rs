//! The home feed: one entry per (reader, article) under `FEED#<reader>`, written when an article is
//! published (the fan-out) or its author followed, read newest first with one bounded query. The
//! feed's count lives beside the reader's account (`USER#<reader>` / `FEED`) and changes in the same
//! transaction as every entry it counts, so totals are exact. See `follows.rs` for pushed and pulled
//! follows and follow periods.

mod clearing;
mod fan_out;
mod read;

use crate::articles::DynamoArticles;
use crate::error::RepositoryError;
use crate::items::{FollowItem, string_attribute};
use crate::keys;
use crate::table::{KeyQuery, Table};

pub(crate) use fan_out::remove_from_feeds;

/// How many feeds the fan-out (and the purge of a deleted article) writes at once.
const FAN_OUT_CONCURRENCY: usize = 8;

#[derive(Clone, Debug)]
pub struct DynamoFeed {
    table: Table,
    articles: DynamoArticles,
}

impl DynamoFeed {
    pub fn new(table: Table) -> Self {
        Self { articles: DynamoArticles::new(table.clone()), table }
    }
}

/// The newest `limit` article ids of `author`, from the keys-only index.
pub(crate) async fn recent_articles_of(
    table: &Table,
    author: &str,
    limit: usize,
) -> Result<Vec<String>, RepositoryError> {
    let (_, sort_name) = keys::key_attributes(Some(keys::BY_AUTHOR_OR_ARTICLE_INDEX));
    let query = KeyQuery::index_partition(keys::BY_AUTHOR_OR_ARTICLE_INDEX, keys::author_articles_partition(author))
        .newest_first()
        .limit(Some(limit));
    let items = table.query(query).await?;
    Ok(items.iter().filter_map(|item| string_attribute(item, sort_name)).map(str::to_owned).collect())
}

/// A pushed follower of an author and the period of their follow.
struct PushedFollower {
    reader: String,
    period: String,
}

/// Everyone `author`'s articles are pushed to: the followers index (eventually consistent), then
/// their follows read consistently for the current period (a follower who left meanwhile drops out).
async fn pushed_followers(table: &Table, author: &str) -> Result<Vec<PushedFollower>, RepositoryError> {
    Ok(pushed_followers_page(table, author, None, None).await?.followers)
}

/// Part of an author's followers index, highest reader id first, and the pushed followers in it.
pub(crate) struct FollowersPage {
    followers: Vec<PushedFollower>,
    /// Readers the index listed (a page shorter than asked is the last).
    pub read: usize,
    /// The lowest reader listed: the next page starts below it.
    pub last: Option<String>,
}

/// Like [`pushed_followers`], for up to `limit` readers of the index below `below` (all of them
/// when `None`).
pub(crate) async fn pushed_followers_page(
    table: &Table,
    author: &str,
    below: Option<&str>,
    limit: Option<usize>,
) -> Result<FollowersPage, RepositoryError> {
    let readers = table
        .index_sort_keys(keys::BY_AUTHOR_OR_ARTICLE_INDEX, keys::followers_partition(author), below, limit)
        .await?;
    let follows = table.batch_get(readers.iter().map(|reader| keys::follow(reader, author)).collect(), true).await?;
    let mut followers = Vec::with_capacity(follows.len());
    for item in follows {
        let follow: FollowItem = crate::decode(item)?;
        let reader = follow.partition.strip_prefix("USER#").unwrap_or_default().to_owned();
        if let Some(period) = follow.period {
            followers.push(PushedFollower { reader, period });
        }
    }
    Ok(FollowersPage { followers, read: readers.len(), last: readers.last().cloned() })
}
