//! Merging the all-articles list from its partitions: the shards of the sharded index, and the
//! legacy single partition that articles stored before the sharding still sit in. Pure: the
//! repository does the reads, this decides what to read next and what the page is.
//!
//! A page ending at `wanted` (offset + limit) needs the `wanted` newest distinct ids of the union
//! of all partitions. Every partition is read newest first, so each read is a prefix of its
//! partition; the union is known for sure down to the point where no partition that may hold
//! more could still have an article among the `wanted` newest.

use std::collections::BTreeMap;

use conduit_domain::values::Page;

use crate::keys::ALL_ARTICLES_SHARDS;

/// How many articles the first round asks of each shard for a page ending at `wanted`.
///
/// Ids land in shards evenly at random, so a shard holds about `wanted / K` of the newest
/// `wanted` (binomially); asking twice that share, plus a few for small pages, leaves a second
/// round to the tail (under 0.05% of default pages of 20, under 0.2% for any page end), while
/// reading about twice what the page needs. Never more than `wanted`: that many from one shard is
/// always enough.
pub(crate) fn first_round_shard_limit(wanted: usize) -> usize {
    let even_share = wanted.div_ceil(ALL_ARTICLES_SHARDS as usize);
    wanted.min(2 * even_share + 4)
}

/// A further read of one shard: its articles with ids below `below` (where its last read
/// stopped), newest first, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardContinuation {
    pub shard: usize,
    pub below: String,
    pub limit: usize,
}

/// How far one shard has been read.
#[derive(Debug, Clone, Default)]
struct ShardProgress {
    /// The oldest id read from it so far.
    oldest: Option<String>,
    /// Whether its last read returned all it asked for, so older articles may follow.
    may_hold_more: bool,
}

/// The all-articles list as read so far, towards one page. `T` is what a shard's index item
/// carries (the article's summary); the legacy partition is keys-only and gives ids alone.
#[derive(Debug)]
pub(crate) struct AllArticlesMerge<T> {
    /// The page's end: how many of the newest articles must be known for sure.
    wanted: usize,
    shards: Vec<ShardProgress>,
    /// Every article read, by id (ULIDs: ascending is oldest first). A shard's copy replaces an
    /// id-only legacy entry: an article migrated into its shard is in both, and listed once.
    read: BTreeMap<String, Option<T>>,
}

impl<T> AllArticlesMerge<T> {
    pub fn new(wanted: usize, shards: usize) -> Self {
        Self { wanted, shards: vec![ShardProgress::default(); shards], read: BTreeMap::new() }
    }

    /// Records the legacy partition's newest `wanted` ids (or all of them, if fewer). Reading
    /// `wanted` of them means it never needs a second read: every id it may still hold is older
    /// than `wanted` ids already known.
    pub fn add_legacy(&mut self, ids: impl IntoIterator<Item = String>) {
        for id in ids {
            self.read.entry(id).or_insert(None);
        }
    }

    /// Records what a read of `shard` returned (newest first) when `asked` for that many.
    pub fn add_shard(&mut self, shard: usize, asked: usize, articles: Vec<(String, T)>) {
        let progress = &mut self.shards[shard];
        progress.may_hold_more = articles.len() >= asked;
        if let Some((oldest, _)) = articles.last() {
            progress.oldest = Some(oldest.clone());
        }
        for (id, article) in articles {
            self.read.insert(id, Some(article));
        }
    }

    /// The shards that may still hide one of the `wanted` newest articles, and how far to read
    /// each: a shard that returned all it was asked for, whose oldest id read still ranks among
    /// the `wanted` newest known. (A shard whose oldest read ranks lower hides only older ids.)
    ///
    /// One such round always suffices: a continued shard asked for `wanted - r` more, where `r`
    /// is how many known ids are newer than or equal to its oldest, either runs out (it hides
    /// nothing more) or returns `wanted - r` ids, all older than those `r` and distinct from them.
    /// Then `wanted` known ids are at least as new as its new oldest, so whatever it still holds
    /// ranks below the page. Ranks only fall as more ids become known, so a shard that did not
    /// need continuing does not start to.
    pub fn continuations(&self) -> Vec<ShardContinuation> {
        self.shards
            .iter()
            .enumerate()
            .filter(|(_, progress)| progress.may_hold_more)
            .filter_map(|(shard, progress)| {
                let oldest = progress.oldest.as_ref()?;
                let newer_or_equal = self.read.range(oldest.clone()..).count();
                (newer_or_equal < self.wanted).then(|| ShardContinuation {
                    shard,
                    below: oldest.clone(),
                    limit: self.wanted - newer_or_equal,
                })
            })
            .collect()
    }

    /// The page, newest first: each id with its shard copy, or `None` when only the legacy
    /// partition named it (its summary is still to be read).
    pub fn into_page(self, page: Page) -> Vec<(String, Option<T>)> {
        self.read.into_iter().rev().skip(page.offset).take(page.limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The all-articles list in memory: each shard's ids and the legacy partition's, newest first.
    struct Partitions<'a> {
        shards: Vec<Vec<&'a str>>,
        legacy: Vec<&'a str>,
    }

    /// What reading a page did: the page (each id, and whether a shard gave it) and how many
    /// rounds of shard queries it took.
    #[derive(Debug)]
    struct Read {
        page: Vec<(String, bool)>,
        rounds: usize,
    }

    impl Read {
        fn ids(&self) -> Vec<&str> {
            self.page.iter().map(|(id, _)| id.as_str()).collect()
        }
    }

    /// A read of `partition` as DynamoDB answers a newest-first Query with a limit.
    fn query<'a>(partition: &[&'a str], below: Option<&str>, limit: usize) -> Vec<&'a str> {
        partition.iter().copied().filter(|id| below.is_none_or(|below| *id < below)).take(limit).collect()
    }

    impl Partitions<'_> {
        /// Reads a page the way the repository does: every shard and the legacy partition at
        /// once, then the continuations the merge asks for.
        fn read(&self, offset: usize, limit: usize) -> Read {
            let page = Page { offset, limit };
            let mut merge = AllArticlesMerge::new(page.end(), self.shards.len());
            merge.add_legacy(query(&self.legacy, None, page.end()).into_iter().map(str::to_owned));
            let asked = first_round_shard_limit(page.end());
            for (shard, ids) in self.shards.iter().enumerate() {
                merge.add_shard(shard, asked, with_copies(query(ids, None, asked)));
            }
            let mut rounds = 1;
            let continuations = merge.continuations();
            if !continuations.is_empty() {
                rounds += 1;
                for continuation in continuations {
                    let ids = query(&self.shards[continuation.shard], Some(&continuation.below), continuation.limit);
                    merge.add_shard(continuation.shard, continuation.limit, with_copies(ids));
                }
            }
            assert!(merge.continuations().is_empty(), "a third round was needed");
            let page = merge.into_page(page).into_iter().map(|(id, copy)| (id, copy.is_some())).collect();
            Read { page, rounds }
        }
    }

    fn with_copies(ids: Vec<&str>) -> Vec<(String, ())> {
        ids.into_iter().map(|id| (id.to_owned(), ())).collect()
    }

    /// Ids that sort like ULIDs: a larger number is newer.
    fn id(n: usize) -> String {
        format!("{n:04}")
    }

    #[test]
    fn given_articles_interleaved_over_the_shards_when_a_page_is_read_then_it_is_newest_first_in_one_round() {
        let ids: Vec<String> = (1..=40).map(id).collect();
        let mut shards = vec![Vec::new(); ALL_ARTICLES_SHARDS as usize];
        for (n, id) in ids.iter().enumerate().rev() {
            shards[n % ALL_ARTICLES_SHARDS as usize].push(id.as_str());
        }
        let partitions = Partitions { shards, legacy: Vec::new() };

        let read = partitions.read(0, 20);

        let newest: Vec<String> = (21..=40).rev().map(id).collect();
        assert_eq!(read.ids(), newest);
        assert_eq!(read.rounds, 1);
        assert!(read.page.iter().all(|(_, from_shard)| *from_shard));
    }

    #[test]
    fn given_one_shard_holding_the_whole_page_when_it_is_read_then_a_second_round_fetches_the_rest() {
        let busy: Vec<String> = (11..=40).rev().map(id).collect();
        let quiet: Vec<String> = (1..=10).rev().map(id).collect();
        let mut shards = vec![busy.iter().map(String::as_str).collect::<Vec<_>>()];
        shards.push(quiet.iter().map(String::as_str).collect());
        shards.resize(ALL_ARTICLES_SHARDS as usize, Vec::new());
        let partitions = Partitions { shards, legacy: Vec::new() };

        let read = partitions.read(5, 20);

        let expected: Vec<String> = (16..=35).rev().map(id).collect();
        assert_eq!(read.ids(), expected);
        assert_eq!(read.rounds, 2);
    }

    #[test]
    fn given_migrated_articles_in_both_the_legacy_partition_and_a_shard_when_listed_then_each_appears_once_from_its_shard()
     {
        let (old, migrated, new) = (id(1), id(2), id(3));
        let mut shards = vec![vec![new.as_str(), migrated.as_str()]];
        shards.resize(ALL_ARTICLES_SHARDS as usize, Vec::new());
        let partitions = Partitions { shards, legacy: vec![migrated.as_str(), old.as_str()] };

        let read = partitions.read(0, 20);

        assert_eq!(read.page, [(new, true), (migrated, true), (old, false)]);
    }

    #[test]
    fn given_an_offset_beyond_the_end_when_a_page_is_read_then_it_is_empty_after_one_round() {
        let ids: Vec<String> = (1..=5).map(id).collect();
        let mut shards = vec![ids.iter().rev().map(String::as_str).collect::<Vec<_>>()];
        shards.resize(ALL_ARTICLES_SHARDS as usize, Vec::new());
        let partitions = Partitions { shards, legacy: ids.iter().rev().map(String::as_str).collect() };

        let read = partitions.read(10, 20);

        assert!(read.page.is_empty());
        assert_eq!(read.rounds, 1);
    }

    #[test]
    fn given_shards_of_every_size_when_any_page_is_read_then_it_matches_the_sorted_union_within_two_rounds() {
        // Deterministic spreads, from even to all in one shard, with part of the list still only
        // in the legacy partition and part in both.
        for skew in 1..=ALL_ARTICLES_SHARDS as usize {
            let ids: Vec<String> = (1..=120).map(id).collect();
            let mut shards = vec![Vec::new(); ALL_ARTICLES_SHARDS as usize];
            let mut legacy = Vec::new();
            for (n, id) in ids.iter().enumerate().rev() {
                if n < 60 {
                    legacy.push(id.as_str());
                }
                if n >= 30 {
                    shards[(n * 7 + n / 3) % skew].push(id.as_str());
                }
            }
            let partitions = Partitions { shards, legacy };
            for (offset, limit) in [(0, 1), (0, 20), (13, 7), (40, 40), (100, 30), (119, 5)] {
                let read = partitions.read(offset, limit);

                let expected: Vec<&str> = ids.iter().rev().skip(offset).take(limit).map(String::as_str).collect();
                assert_eq!(read.ids(), expected, "skew {skew}, offset {offset}, limit {limit}");
                assert!(read.rounds <= 2);
            }
        }
    }

    #[test]
    fn the_first_round_asks_twice_a_shards_share_and_never_more_than_the_page() {
        assert_eq!(first_round_shard_limit(1), 1);
        assert_eq!(first_round_shard_limit(20), 10);
        assert_eq!(first_round_shard_limit(100), 30);
        assert_eq!(first_round_shard_limit(10_100), 2_530);
    }
}
