//! Reading a feed: the newest entries, the feed's count and markers, and the pending deletions in
//! one round; the page's summaries beside the reader's relations in the next. Only while something
//! is in flight (an unfollow's entries not cleared yet, a deletion not purged yet) or when the
//! reader follows pulled authors does a round come between them.

use std::collections::HashSet;

use conduit_domain::ports::{FeedReader, StoreError, SummaryPage};
use conduit_domain::values::{Page, UserId};
use futures::StreamExt;
use futures::stream;

use super::{DynamoFeed, FAN_OUT_CONCURRENCY, recent_articles_of};
use crate::articles::Candidate;
use crate::error::RepositoryError;
use crate::items::FeedEntryItem;
use crate::items::sort_key;
use crate::keys;
use crate::pending_purges::pending_purges;
use crate::table::{Item, KeyQuery};
use crate::users::UserItem;

/// What the reader's partition says about their feed.
#[derive(Default)]
struct FeedState {
    /// Entries of the follows that last (ended ones' are not counted).
    count: u64,
    /// Authors followed by pulling, as their markers name them.
    pulled: Vec<String>,
    /// (author, period) of ended follows whose entries are still being removed.
    ended: HashSet<(String, String)>,
}

impl FeedState {
    fn read(items: Vec<Item>) -> Result<Self, RepositoryError> {
        let mut state = Self::default();
        for item in items {
            match sort_key(&item) {
                Some(keys::FEED_PREFIX) => state.count = counted(&item),
                Some(sort) if sort.starts_with(keys::FEED_PULL_PREFIX) => {
                    state.pulled.push(sort[keys::FEED_PULL_PREFIX.len()..].to_owned());
                }
                Some(sort) if sort.starts_with(keys::FEED_ENDED_PREFIX) => {
                    if let Some((author, period)) = sort[keys::FEED_ENDED_PREFIX.len()..].split_once('#') {
                        state.ended.insert((author.to_owned(), period.to_owned()));
                    }
                }
                _ => {}
            }
        }
        Ok(state)
    }
}

/// The `count` of a feed-state item (negative never happens; read as 0 if it did).
fn counted(item: &Item) -> u64 {
    item.get("count").and_then(|value| value.as_n().ok()).and_then(|count| count.parse::<u64>().ok()).unwrap_or(0)
}

/// Entries to leave out of a read: those of deleted articles not purged yet and of ended follows.
struct Hidden<'a> {
    deleted: &'a HashSet<String>,
    ended: &'a HashSet<(String, String)>,
}

impl Hidden<'_> {
    fn hides(&self, entry: &FeedEntryItem) -> bool {
        self.deleted.contains(&entry.sort) || self.ended.contains(&(entry.author_id.clone(), entry.period.clone()))
    }

    fn is_empty(&self) -> bool {
        self.deleted.is_empty() && self.ended.is_empty()
    }
}

/// The pulled authors' part of a page: their newest articles, and how many they have.
#[derive(Default)]
struct Pulled {
    candidates: Vec<Candidate>,
    total: u64,
}

impl DynamoFeed {
    /// Up to `limit` entries, newest first (older than `below`, when continuing).
    async fn entries(
        &self,
        reader: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FeedEntryItem>, RepositoryError> {
        let mut query =
            KeyQuery::partition(keys::feed_partition(reader)).newest_first().limit(Some(limit)).consistent();
        if let Some(below) = below {
            query = query.sort_below(below);
        }
        self.table.query(query).await?.into_iter().map(crate::decode).collect()
    }

    async fn state(&self, reader: &str) -> Result<FeedState, RepositoryError> {
        let query = KeyQuery::partition(keys::user_partition(reader)).sort_prefix(keys::FEED_PREFIX).consistent();
        FeedState::read(self.table.query(query).await?)
    }

    /// The visible entries among the first `end`: reads on past hidden ones until `end` are found
    /// or the feed ends (only when something is hidden).
    async fn visible_entries(
        &self,
        reader: &str,
        first: Vec<FeedEntryItem>,
        end: usize,
        hidden: &Hidden<'_>,
    ) -> Result<Vec<FeedEntryItem>, RepositoryError> {
        let mut exhausted = first.len() < end;
        let mut last = first.last().map(|entry| entry.sort.clone());
        let mut visible: Vec<FeedEntryItem> = first.into_iter().filter(|entry| !hidden.hides(entry)).collect();
        while visible.len() < end && !exhausted {
            let wanted = end - visible.len();
            let more = self.entries(reader, last.as_deref(), wanted).await?;
            exhausted = more.len() < wanted;
            last = more.last().map(|entry| entry.sort.clone()).or(last);
            visible.extend(more.into_iter().filter(|entry| !hidden.hides(entry)));
        }
        Ok(visible)
    }

    /// The feed's count without the entries of deleted articles not purged yet. With deletions
    /// pending, the count and the reader's entries of those articles are read as one snapshot (a
    /// purge removes an entry and decrements the count in one transaction), so a purge finishing
    /// meanwhile cannot make the total one off.
    async fn count_without(
        &self,
        reader: &str,
        state: &FeedState,
        deleted: &HashSet<String>,
    ) -> Result<u64, RepositoryError> {
        if deleted.is_empty() {
            return Ok(state.count);
        }
        let mut wanted = vec![keys::feed_state(reader)];
        wanted.extend(deleted.iter().map(|article| keys::feed_entry(reader, article)));
        // Past what one snapshot holds (a burst of deletions), the total may be one off while a
        // purge finishes.
        let items = self.table.snapshot_when_possible(wanted).await?;
        let (mut count, mut counted_but_deleted) = (0, 0);
        for item in items {
            if sort_key(&item) == Some(keys::FEED_PREFIX) {
                count = counted(&item);
                continue;
            }
            let entry: FeedEntryItem = crate::decode(item)?;
            // An ended follow's entry is not in the count.
            if !state.ended.contains(&(entry.author_id, entry.period)) {
                counted_but_deleted += 1;
            }
        }
        Ok(count.saturating_sub(counted_but_deleted))
    }

    /// The pulled authors the reader still follows (a marker is honoured only beside its follow),
    /// their newest `end` articles each and their article counts.
    async fn pulled(
        &self,
        reader: &str,
        authors: &[String],
        end: usize,
        deleted: &HashSet<String>,
    ) -> Result<Pulled, RepositoryError> {
        if authors.is_empty() {
            return Ok(Pulled::default());
        }
        let mut wanted = Vec::with_capacity(authors.len() * 2);
        for author in authors {
            wanted.push(keys::user(author));
            wanted.push(keys::follow(reader, author));
        }
        let table = &self.table;
        // Collected first: a lazily mapped stream of borrowed futures makes the feed's future
        // unprovably `Send` to the compiler (a higher-ranked lifetime).
        let queries: Vec<_> = authors
            .iter()
            .cloned()
            .map(|author| async move {
                let ids = recent_articles_of(table, &author, end).await?;
                Ok::<_, RepositoryError>((author, ids))
            })
            .collect();
        let newest = stream::iter(queries).buffer_unordered(FAN_OUT_CONCURRENCY).collect::<Vec<_>>();
        let (items, newest) = futures::join!(table.batch_get(wanted, true), newest);
        let (mut followed, mut counts) = (HashSet::new(), std::collections::HashMap::new());
        for item in items? {
            match sort_key(&item) {
                Some(keys::USER_SORT_KEY) => {
                    let user = UserItem::decode(item)?;
                    counts.insert(user.id.clone(), user.articles_count);
                }
                Some(sort) => {
                    if let Some(author) = sort.strip_prefix(keys::FOLLOW_PREFIX) {
                        followed.insert(author.to_owned());
                    }
                }
                None => {}
            }
        }
        let mut pulled = Pulled::default();
        for result in newest {
            let (author, ids) = result?;
            if !followed.contains(&author) {
                continue;
            }
            pulled.total += counts.get(&author).copied().unwrap_or(0);
            let ids = ids.into_iter().filter(|id| !deleted.contains(id));
            pulled.candidates.extend(Candidate::by(&author, ids.collect()));
        }
        Ok(pulled)
    }

    async fn read(&self, reader: UserId, page: Page) -> Result<SummaryPage, RepositoryError> {
        let id = reader.to_string();
        let (first, state, deleted) =
            futures::try_join!(self.entries(&id, None, page.end()), self.state(&id), pending_purges(&self.table))?;
        let hidden = Hidden { deleted: &deleted, ended: &state.ended };
        let (entries, count, pulled) = futures::try_join!(
            async {
                if hidden.is_empty() { Ok(first) } else { self.visible_entries(&id, first, page.end(), &hidden).await }
            },
            self.count_without(&id, &state, &deleted),
            self.pulled(&id, &state.pulled, page.end(), &deleted),
        )?;
        let mut candidates: Vec<Candidate> = entries
            .into_iter()
            .map(|entry| Candidate { id: entry.sort, author: entry.author_id })
            .chain(pulled.candidates)
            .collect();
        // Ids are ULIDs: newest first is highest first. Entries and pulled articles never share an
        // author (a follow is pushed or pulled); a repeated id would still be shown once.
        candidates.sort_by(|a, b| b.id.cmp(&a.id));
        candidates.dedup_by(|a, b| a.id == b.id);
        self.articles.followed_page(&candidates, page, count + pulled.total, reader).await
    }
}

impl FeedReader for DynamoFeed {
    async fn feed(&self, reader: UserId, page: Page) -> Result<SummaryPage, StoreError> {
        Ok(self.read(reader, page).await?)
    }
}
