//! Follows, and what a follow or unfollow changes in the follower's feed, written with it in one
//! transaction so the very next feed read shows it.
//!
//! A follow is *pushed* while its author has fewer than the push limit of pushed followers: it is
//! in the sparse followers index (GSI1 `FOLLOWERS#<author>`), the author's new articles are
//! written into the follower's feed by the fan-out, and the follow itself copies the author's
//! [`FOLLOW_COPIES`] most recent articles there. Past the limit it is *pulled*: a `FEED_PULL#`
//! marker in the follower's partition makes the feed read merge the author's articles itself, so
//! publishing never writes more than the limit of feeds.
//!
//! Every pushed follow has a period (a ULID of its own), written on its feed entries and counted
//! by `feed_entries`. Unfollowing takes that count off the feed's count and leaves a `FEED_ENDED#`
//! marker naming the period: reads skip its entries at once, and the stream consumer removes them.
//! A later follow of the same author has a new period, so nothing it writes is mistaken for what
//! the ended one left.

use conduit_domain::ports::{FollowWriter, StoreError};
use conduit_domain::values::UserId;
use conduit_domain::write_quotas::WriteCharge;
use serde::Serialize;

use crate::error::RepositoryError;
use crate::feed::recent_articles_of;
use crate::items::{FeedEntryItem, FollowItem};
use crate::keys;
use crate::pending_purges::pending_purges;
use crate::table::{KeyQuery, Table, TransactError};
use crate::write_quotas;
use crate::writes::{self, condition_failed, number, text};

/// How many of an author's most recent articles a pushed follow copies into the follower's feed.
/// Bounded so a follow costs a bounded transaction (DynamoDB takes 100 items in one); 50 fills the
/// first two and a half pages of a feed with the author's latest, whoever else is followed.
pub const FOLLOW_COPIES: usize = 50;

/// Pushed followers an author has at most. Publishing writes one feed entry per pushed follower,
/// so this bounds what an article costs to fan out (see the repository README for the figures that
/// chose it); later followers pull.
pub const DEFAULT_PUSH_LIMIT: usize = 1_000;

/// Lost races with a concurrent fan-out or follow change before an unfollow gives up (409).
const UNFOLLOW_ATTEMPTS: usize = 3;

#[derive(Clone, Debug)]
pub struct DynamoFollows {
    table: Table,
    push_limit: usize,
}

/// A pulled author's marker in the follower's partition.
#[derive(Serialize)]
struct PullMarkerItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    author_id: String,
}

/// An ended follow whose entries are still to be removed.
#[derive(Serialize)]
struct EndedFollowItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    author_id: String,
    period: String,
}

impl DynamoFollows {
    pub fn new(table: Table) -> Self {
        Self { table, push_limit: DEFAULT_PUSH_LIMIT }
    }

    /// Another push limit than [`DEFAULT_PUSH_LIMIT`] (at least 1), for tests of pulled authors.
    pub fn with_push_limit(mut self, push_limit: usize) -> Self {
        self.push_limit = push_limit.max(1);
        self
    }

    /// Whether a new follower of `followee` is pushed to: the author has fewer pushed followers
    /// than the limit. Counted from the index, so concurrent follows may overshoot the limit by
    /// their number, and an unfollow frees a place.
    async fn pushes_to_one_more(&self, followee: &str) -> Result<bool, RepositoryError> {
        let query = KeyQuery::index_partition(keys::BY_AUTHOR_OR_ARTICLE_INDEX, keys::followers_partition(followee))
            .limit(Some(self.push_limit));
        Ok(self.table.count(query).await? < self.push_limit)
    }

    /// The follow item, and the author's most recent articles with it in the follower's feed.
    fn pushed_follow(
        &self,
        follower: &str,
        followee: &str,
        recent: &[String],
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, RepositoryError> {
        let period = ulid::Ulid::new().to_string();
        let (partition, sort) = keys::follow(follower, followee);
        let follow = FollowItem {
            partition,
            sort,
            followers_partition: Some(keys::followers_partition(followee)),
            followers_sort: Some(follower.to_owned()),
            period: Some(period.clone()),
            feed_entries: Some(recent.len() as u64),
        };
        let mut items = vec![writes::put(&self.table, follow, true)?];
        if !recent.is_empty() {
            items.push(writes::add(&self.table, keys::feed_state(follower), "count", recent.len() as i64, false)?);
        }
        for article in recent {
            // Unconditional: an entry already there is one an ended follow of this author left
            // (uncounted, hidden by its period); it becomes this period's, and counted, like the rest.
            let entry = FeedEntryItem::new(follower, article, followee, &period);
            items.push(writes::put(&self.table, entry, false)?);
        }
        Ok(items)
    }

    fn pulled_follow(
        &self,
        follower: &str,
        followee: &str,
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, RepositoryError> {
        let (partition, sort) = keys::follow(follower, followee);
        let follow = FollowItem {
            partition,
            sort,
            followers_partition: None,
            followers_sort: None,
            period: None,
            feed_entries: None,
        };
        let (partition, sort) = keys::feed_pull(follower, followee);
        let marker = PullMarkerItem { partition, sort, author_id: followee.to_owned() };
        Ok(vec![writes::put(&self.table, follow, true)?, writes::put(&self.table, marker, false)?])
    }

    /// The writes that end `follow`: the follow item (as it was read), and what it put in the feed.
    fn ended(
        &self,
        follower: &str,
        followee: &str,
        follow: &FollowItem,
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, RepositoryError> {
        let key = keys::follow(follower, followee);
        let Some(period) = &follow.period else {
            return Ok(vec![
                writes::delete(&self.table, key, Some(("attribute_exists(PK)", vec![])))?,
                writes::delete(&self.table, keys::feed_pull(follower, followee), None)?,
            ]);
        };
        let entries = follow.feed_entries.unwrap_or_default();
        let mut items = vec![writes::delete(
            &self.table,
            key,
            Some((
                "period = :period AND feed_entries = :entries",
                vec![(":period", text(period.clone())), (":entries", number(entries))],
            )),
        )?];
        if entries > 0 {
            let count = i64::try_from(entries).unwrap_or(i64::MAX);
            items.push(writes::add(&self.table, keys::feed_state(follower), "count", -count, false)?);
            let (partition, sort) = keys::feed_ended(follower, followee, period);
            let marker = EndedFollowItem { partition, sort, author_id: followee.to_owned(), period: period.clone() };
            // Its creation brings the clearing of the feed, which continues this trace.
            items.push(writes::put_traced(&self.table, marker, false)?);
        }
        Ok(items)
    }
}

impl FollowWriter for DynamoFollows {
    /// Two round trips: whether the author still pushes (beside their most recent articles and the
    /// deletions not purged yet), then one transaction, which also counts the follow against the
    /// follower's quota. Following again changes and counts nothing (the follow's put is
    /// conditional).
    async fn follow(&self, follower_id: UserId, followee: UserId, charge: &WriteCharge) -> Result<(), StoreError> {
        let (follower, followee) = (follower_id.to_string(), followee.to_string());
        let (pushed, mut recent, deleted) = futures::try_join!(
            self.pushes_to_one_more(&followee),
            recent_articles_of(&self.table, &followee, FOLLOW_COPIES),
            pending_purges(&self.table),
        )?;
        // The author's index may still list an article deleted a moment ago; its purge is
        // pending then, and its entry would outlive it.
        recent.retain(|article| !deleted.contains(article));
        let mut items = if pushed {
            self.pushed_follow(&follower, &followee, &recent)?
        } else {
            self.pulled_follow(&follower, &followee)?
        };
        let quota_index = items.len();
        items.push(write_quotas::counted(&self.table, follower_id, charge)?);
        match self.table.transact(items).await {
            Ok(()) => Ok(()),
            // Followed already: nothing changes (or is counted), even over the quota.
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 0) => Ok(()),
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, quota_index) => {
                Err(StoreError::OverQuota(charge.refusal()))
            }
            Err(TransactError::Cancelled(_)) => Err(StoreError::Conflict),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }

    /// Two round trips: the follow (consistently: its period and entry count), then one
    /// transaction conditioned on both, read again when a fan-out changed the count meanwhile.
    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        let (follower, followee) = (follower.to_string(), followee.to_string());
        for _ in 0..UNFOLLOW_ATTEMPTS {
            let Some(item) = self.table.get(keys::follow(&follower, &followee), true).await? else {
                return Ok(());
            };
            let follow: FollowItem = crate::decode(item)?;
            match self.table.transact(self.ended(&follower, &followee, &follow)?).await {
                Ok(()) => return Ok(()),
                Err(TransactError::Cancelled(_)) => continue,
                Err(TransactError::Failed(error)) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict)
    }
}
