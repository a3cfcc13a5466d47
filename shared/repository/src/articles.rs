//! Articles: summary and body items, the slug claim, tag entries and counters. Lists read ids
//! from keys-only indexes (or small entry items), then fetch only the page's summaries; the
//! all-articles list reads the summaries straight from its sharded index.

use std::collections::{HashMap, HashSet};

use conduit_domain::article::{Article, ArticleSummary};
use conduit_domain::idempotency::Completion;
use conduit_domain::ports::{
    ArticleFilter, ArticleReader, ArticleRef, ArticleWriter, Relations, StoreError, SummaryPage, UniqueField,
    ViewedArticle,
};
use conduit_domain::read_limits::ReadLimits;
use conduit_domain::values::{ArticleId, Page, Slug, Tag, UserId, Username};
use conduit_domain::write_quotas::WriteCharge;
use futures::future::try_join_all;

use crate::all_articles::{AllArticlesMerge, first_round_shard_limit};
use crate::error::RepositoryError;
use crate::items::{ArticleItem, BodyItem, CounterItem, ListEntryItem, SlugClaimItem, article_from, corrupt, sort_key};
use crate::keys;
use crate::pending_purges::{PendingPurgeItem, pending_purges};
use crate::relations::{self, ViewerItems};
use crate::table::{KeyQuery, Table, TransactError};
use crate::users::{UserItem, user_id_by_username};
use crate::write_quotas;
use crate::writes::{self, condition_failed, number, text};

#[derive(Clone, Debug)]
pub struct DynamoArticles {
    table: Table,
    /// How many of the newest entries of the list that drives a combined filter are searched.
    combined_filter_window: usize,
}

/// One candidate of a list: an article id and its author (every list of ids knows it: tag and
/// favorite entries carry it, an author's list is that author's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub id: String,
    pub author: String,
}

impl Candidate {
    pub(crate) fn by(author: &str, ids: Vec<String>) -> Vec<Self> {
        ids.into_iter().map(|id| Self { id, author: author.to_owned() }).collect()
    }
}

/// A person a list filter names (an author, a fan), once the username is resolved.
enum Person {
    Anyone,
    Nobody,
    Account(String),
}

impl DynamoArticles {
    pub fn new(table: Table) -> Self {
        Self { table, combined_filter_window: ReadLimits::default().combined_filter_window }
    }

    /// Another window for lists with two or three filters than the default.
    pub fn with_combined_filter_window(mut self, window: usize) -> Self {
        self.combined_filter_window = window;
        self
    }

    /// The slug claim, consistently: a slug must resolve right after the article is published
    /// or renamed.
    async fn slug_claim(&self, slug: &Slug) -> Result<Option<SlugClaimItem>, RepositoryError> {
        let claim = self.table.get(keys::slug_claim(slug.as_str()), true).await?;
        claim.map(crate::decode::<SlugClaimItem>).transpose()
    }

    /// The article `id` (by `author`, when known), with what `viewer` needs to render it, all in
    /// one consistent batch (an edit, favorite or follow made by the previous request must
    /// show). Without the author (a slug claim from before claims carried it), the author's
    /// relations are read once the summary names them.
    async fn viewed(
        &self,
        id: &str,
        author: Option<UserId>,
        viewer: Option<UserId>,
    ) -> Result<Option<ViewedArticle>, RepositoryError> {
        let article_id = ArticleId::parse(id).map_err(corrupt(id, "article id"))?;
        let authors: Vec<UserId> = author.into_iter().collect();
        let mut wanted = vec![keys::article(id), keys::article_body(id)];
        wanted.extend(relations::keys_for(viewer, &authors, &[article_id]));
        let (mut summary, mut body, mut relations) = (None, None, Relations::default());
        for item in self.table.batch_get(wanted, true).await? {
            match sort_key(&item) {
                Some("ARTICLE") => summary = Some(crate::decode::<ArticleItem>(item)?),
                Some("BODY") => body = Some(crate::decode::<BodyItem>(item)?),
                _ => relations::absorb(&mut relations, item)?,
            }
        }
        let (Some(summary), Some(body)) = (summary, body) else { return Ok(None) };
        let article = article_from(summary, body)?;
        if author.is_none() {
            let of_author = relations::read(&self.table, viewer, &[article.summary.author_id], &[]).await?;
            relations::merge(&mut relations, of_author);
        }
        Ok(Some(ViewedArticle { article, relations }))
    }

    /// The summaries of `ids`, in the order given; ids whose article vanished meanwhile are skipped.
    async fn summaries(&self, ids: &[String]) -> Result<Vec<ArticleSummary>, RepositoryError> {
        let mut by_id = self.summary_items(ids).await?;
        ids.iter().filter_map(|id| by_id.remove(id)).map(ArticleItem::into_summary).collect()
    }

    /// The summary items of `ids` that still exist, by id (one batch read; none for no ids).
    async fn summary_items(&self, ids: &[String]) -> Result<HashMap<String, ArticleItem>, RepositoryError> {
        let keys = ids.iter().map(|id| keys::article(id)).collect();
        let mut by_id = HashMap::new();
        for item in self.table.batch_get(keys, false).await? {
            let article: ArticleItem = crate::decode(item)?;
            by_id.insert(article.id.clone(), article);
        }
        Ok(by_id)
    }

    /// A page of the all-articles list, newest first: every shard of the sharded index and the
    /// legacy partition in one round (a second, for the few shards the merge says may hide part of
    /// the page), so the reads grow with the page, not the table. Shards carry the summaries; only
    /// articles that the page has from the legacy partition alone (not migrated yet) are read
    /// from the table.
    async fn all_articles(&self, page: Page) -> Result<Vec<ArticleSummary>, RepositoryError> {
        let shards: Vec<String> = keys::all_articles_shards().collect();
        let mut merge = AllArticlesMerge::new(page.end(), shards.len());
        let asked = first_round_shard_limit(page.end());
        let first_round = shards.iter().map(|shard| self.shard_articles(shard, None, asked));
        let (first_round, legacy) = futures::try_join!(
            try_join_all(first_round),
            self.indexed(
                keys::LEGACY_ALL_ARTICLES_INDEX,
                keys::LEGACY_ALL_ARTICLES_PARTITION.to_owned(),
                Some(page.end())
            ),
        )?;
        merge.add_legacy(legacy);
        for (shard, articles) in first_round.into_iter().enumerate() {
            merge.add_shard(shard, asked, articles);
        }

        let continuations = merge.continuations();
        let second_round = continuations.iter().map(|continuation| {
            self.shard_articles(&shards[continuation.shard], Some(&continuation.below), continuation.limit)
        });
        for (continuation, articles) in continuations.iter().zip(try_join_all(second_round).await?) {
            merge.add_shard(continuation.shard, continuation.limit, articles);
        }

        let listed = merge.into_page(page);
        let legacy_only: Vec<String> =
            listed.iter().filter(|(_, article)| article.is_none()).map(|(id, _)| id.clone()).collect();
        let mut fetched = self.summary_items(&legacy_only).await?;
        listed
            .into_iter()
            .filter_map(|(id, article)| article.or_else(|| fetched.remove(&id)))
            .map(ArticleItem::into_summary)
            .collect()
    }

    /// Up to `limit` articles of one shard of the all-articles index, newest first (only those
    /// older than `below`, when continuing a read), each with its summary from the index.
    async fn shard_articles(
        &self,
        shard: &str,
        below: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, ArticleItem)>, RepositoryError> {
        let mut query =
            KeyQuery::index_partition(keys::SHARDED_ARTICLES_INDEX, shard.to_owned()).newest_first().limit(Some(limit));
        if let Some(below) = below {
            query = query.sort_below(below);
        }
        let items = self.table.query(query).await?;
        items
            .into_iter()
            .map(|item| crate::decode::<ArticleItem>(item).map(|article| (article.id.clone(), article)))
            .collect()
    }

    async fn counter(&self, key: keys::Key) -> Result<u64, RepositoryError> {
        let item = self.table.get(key, false).await?;
        let count = item.map(crate::decode::<CounterItem>).transpose()?.map_or(0, |counter| counter.count);
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn user_counters(&self, user: &str) -> Result<(u64, u64), RepositoryError> {
        let item = self.table.get(keys::user(user), false).await?;
        Ok(item.map(UserItem::decode).transpose()?.map_or((0, 0), |user| (user.articles_count, user.favorites_count)))
    }

    /// The newest `limit` (or all) entries of a base-table partition (those whose sort key starts
    /// with `prefix`, when it is not empty), as candidates.
    async fn entries(
        &self,
        partition: String,
        prefix: &str,
        limit: Option<usize>,
    ) -> Result<Vec<Candidate>, RepositoryError> {
        let items =
            self.table.query(KeyQuery::partition(partition).sort_prefix(prefix).newest_first().limit(limit)).await?;
        items
            .into_iter()
            .map(|item| {
                let entry: ListEntryItem = crate::decode(item)?;
                Ok(Candidate { id: entry.sort[prefix.len()..].to_owned(), author: entry.author_id })
            })
            .collect()
    }

    /// The newest `limit` (or all) sort keys (article ids, or fans) of a keys-only index partition.
    async fn indexed(
        &self,
        index: &'static str,
        partition: String,
        limit: Option<usize>,
    ) -> Result<Vec<String>, RepositoryError> {
        self.table.index_sort_keys(index, partition, None, limit).await
    }

    /// The newest `limit` (or all) article ids of an author, as candidates.
    async fn articles_of(&self, author: &str, limit: Option<usize>) -> Result<Vec<Candidate>, RepositoryError> {
        let ids =
            self.indexed(keys::BY_AUTHOR_OR_ARTICLE_INDEX, keys::author_articles_partition(author), limit).await?;
        Ok(Candidate::by(author, ids))
    }

    /// The page of `candidates` (in list order) and what `viewer` needs to render it. Candidates
    /// know their authors, so the viewer's relations are read beside the summaries.
    async fn page_of(
        &self,
        candidates: &[Candidate],
        page: Page,
        total: u64,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, RepositoryError> {
        self.page_read(candidates, page, total, viewer, ViewerItems::FollowsAndFavorites).await
    }

    /// Like [`Self::page_of`], for a reader who follows every author of `candidates` (a feed): their
    /// follows are not read again.
    pub(crate) async fn followed_page(
        &self,
        candidates: &[Candidate],
        page: Page,
        total: u64,
        reader: UserId,
    ) -> Result<SummaryPage, RepositoryError> {
        self.page_read(candidates, page, total, Some(reader), ViewerItems::Favorites).await
    }

    async fn page_read(
        &self,
        candidates: &[Candidate],
        page: Page,
        total: u64,
        viewer: Option<UserId>,
        wanted: ViewerItems,
    ) -> Result<SummaryPage, RepositoryError> {
        let chosen: Vec<&Candidate> = candidates.iter().skip(page.offset).take(page.limit).collect();
        let ids: Vec<String> = chosen.iter().map(|candidate| candidate.id.clone()).collect();
        let (mut articles, mut authors) = (Vec::new(), Vec::new());
        for candidate in &chosen {
            articles.push(ArticleId::parse(&candidate.id).map_err(corrupt(&candidate.id, "article id"))?);
            // Repeated authors are read once: the batch read drops repeated keys.
            authors.push(UserId::parse(&candidate.author).map_err(corrupt(&candidate.id, "author_id"))?);
        }
        let relations = relations::read_for_page(&self.table, viewer, &authors, &articles, wanted);
        let (summaries, relations) = futures::try_join!(self.summaries(&ids), relations)?;
        Ok(SummaryPage { summaries, total, relations })
    }

    /// What `viewer` needs to render summaries already read.
    async fn with_relations(
        &self,
        summaries: Vec<ArticleSummary>,
        total: u64,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, RepositoryError> {
        let authors: Vec<UserId> = summaries.iter().map(|summary| summary.author_id).collect();
        let articles: Vec<ArticleId> = summaries.iter().map(|summary| summary.id).collect();
        let relations =
            relations::read_for_page(&self.table, viewer, &authors, &articles, ViewerItems::FollowsAndFavorites)
                .await?;
        Ok(SummaryPage { summaries, total, relations })
    }

    /// Resolves a filter's username (none: anyone).
    async fn person(&self, username: Option<&Username>) -> Result<Person, RepositoryError> {
        let Some(username) = username else { return Ok(Person::Anyone) };
        Ok(match user_id_by_username(&self.table, username).await? {
            Some(id) => Person::Account(id.to_string()),
            None => Person::Nobody,
        })
    }

    /// A fan's favorites, newest first, without the deleted articles whose purge is `pending`
    /// (read before this, usually none). A purge removes a favorite and decrements the fan's
    /// counter in one transaction, and its pending entry only after: so with none pending, the
    /// counter read now counts every finished purge. While some are pending, the counter and the
    /// fan's favorites of those articles are read in one snapshot, so a purge finishing meanwhile
    /// cannot make the total one too high; the list reads one entry more per pending article and
    /// leaves those articles out, so the page stays full.
    async fn favorites_of(
        &self,
        fan: &str,
        page: Page,
        pending: &HashSet<String>,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, RepositoryError> {
        let (mut favorites, total) = futures::try_join!(
            self.entries(keys::user_partition(fan), keys::FAVORITE_PREFIX, Some(page.end() + pending.len())),
            self.favorites_count_without(fan, pending),
        )?;
        favorites.retain(|candidate| !pending.contains(&candidate.id));
        self.page_of(&favorites, page, total, viewer).await
    }

    /// How many favorites the fan has, not counting those of the articles in `pending`.
    async fn favorites_count_without(&self, fan: &str, pending: &HashSet<String>) -> Result<u64, RepositoryError> {
        if pending.is_empty() {
            let (_, favorites) = self.user_counters(fan).await?;
            return Ok(favorites);
        }
        let mut wanted = vec![keys::user(fan)];
        wanted.extend(pending.iter().map(|article| keys::favorite(fan, article)));
        // Past what one snapshot holds (a burst of deletions), the total may be one off while a
        // purge finishes.
        let items = self.table.snapshot_when_possible(wanted).await?;
        let (mut counted, mut hidden) = (0, 0);
        for item in items {
            match sort_key(&item) {
                Some(sort) if sort.starts_with(keys::FAVORITE_PREFIX) => hidden += 1,
                _ => counted = UserItem::decode(item)?.favorites_count,
            }
        }
        Ok(counted.saturating_sub(hidden))
    }

    /// A fan's newest `limit` favorites, but those of the deleted articles in `pending`.
    async fn favorites_without(
        &self,
        fan: &str,
        pending: &HashSet<String>,
        limit: usize,
    ) -> Result<Vec<Candidate>, RepositoryError> {
        let wanted = Some(limit + pending.len());
        let mut favorites = self.entries(keys::user_partition(fan), keys::FAVORITE_PREFIX, wanted).await?;
        favorites.retain(|candidate| !pending.contains(&candidate.id));
        favorites.truncate(limit);
        Ok(favorites)
    }

    /// Two or three filters: search the newest entries of the fan's favorites (or else the
    /// author's articles), as many as the window, and keep those that match the other filters:
    /// the author from the entry itself, the tag by reading the (tag, article) entries in
    /// batches. What it reads is bounded by the window whatever the lists hold; the total counts
    /// the matches within it.
    async fn combined(
        &self,
        filter: &ArticleFilter,
        page: Page,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, RepositoryError> {
        let wants_fan = filter.favorited_by.is_some();
        let (author, fan, pending) = futures::try_join!(
            self.person(filter.author.as_ref()),
            self.person(filter.favorited_by.as_ref()),
            async { if wants_fan { pending_purges(&self.table).await } else { Ok(HashSet::new()) } },
        )?;
        let (author, fan) = match (author, fan) {
            (Person::Nobody, _) | (_, Person::Nobody) => return Ok(SummaryPage::default()),
            (Person::Account(author), Person::Account(fan)) => (Some(author), Some(fan)),
            (Person::Account(author), Person::Anyone) => (Some(author), None),
            (Person::Anyone, Person::Account(fan)) => (None, Some(fan)),
            (Person::Anyone, Person::Anyone) => (None, None),
        };
        // A person's favorites or articles are usually far fewer than a tag's articles.
        // Every combination includes an author or a fan, so one of them drives.
        let mut candidates = if let Some(fan) = &fan {
            self.favorites_without(fan, &pending, self.combined_filter_window).await?
        } else if let Some(author) = &author {
            self.articles_of(author, Some(self.combined_filter_window)).await?
        } else {
            return Ok(SummaryPage::default());
        };
        if let Some(author) = &author {
            candidates.retain(|candidate| &candidate.author == author);
        }
        if let Some(tag) = filter.tag.as_ref().map(Tag::as_str) {
            let keys = candidates.iter().map(|candidate| keys::tag_entry(tag, &candidate.id)).collect();
            let tagged = self.present_sort_keys(keys).await?;
            candidates.retain(|candidate| tagged.contains(&candidate.id));
        }
        let total = candidates.len() as u64;
        self.page_of(&candidates, page, total, viewer).await
    }

    async fn present_sort_keys(&self, keys: Vec<keys::Key>) -> Result<HashSet<String>, RepositoryError> {
        let items = self.table.batch_get(keys, false).await?;
        Ok(items.iter().filter_map(sort_key).map(str::to_owned).collect())
    }

    async fn insert_article(
        &self,
        article: &Article,
        charge: &WriteCharge,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        let summary = &article.summary;
        let id = summary.id.to_string();
        let author = summary.author_id.to_string();
        let (claim_partition, claim_sort) = keys::slug_claim(summary.slug.as_str());
        let mut items = vec![
            // Its creation brings the fan-out to followers' feeds, which continues this trace.
            writes::put_traced(&self.table, ArticleItem::from_summary(summary), true)?,
            writes::put(&self.table, BodyItem::new(summary.id, &article.body), false)?,
            writes::put(
                &self.table,
                SlugClaimItem {
                    partition: claim_partition,
                    sort: claim_sort,
                    article_id: id.clone(),
                    author_id: Some(author.clone()),
                },
                true,
            )?,
            writes::add(&self.table, keys::user(&author), "articles_count", 1, true)?,
            writes::add(&self.table, keys::article_counter(), "count", 1, false)?,
        ];
        for tag in summary.tags.iter() {
            let (partition, sort) = keys::tag_entry(tag.as_str(), &id);
            let entry =
                ListEntryItem { partition, sort, index_partition: None, index_sort: None, author_id: author.clone() };
            items.push(writes::put(&self.table, entry, false)?);
            items.push(crate::tags::count_change(&self.table, tag, 1)?);
        }
        let quota_index = items.len();
        items.push(write_quotas::counted(&self.table, summary.author_id, charge)?);
        match self.table.transact_completing(items, completion).await? {
            Ok(()) => Ok(()),
            // Over the quota, a free slug would not help: refused before a retry is tried.
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, quota_index) => {
                Err(StoreError::OverQuota(charge.refusal()))
            }
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 2) => {
                Err(StoreError::AlreadyTaken(vec![UniqueField::Slug]))
            }
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 3) => Err(StoreError::Missing("user")),
            Err(TransactError::Cancelled(_)) => Err(StoreError::Conflict),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }
}

impl ArticleReader for DynamoArticles {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<ArticleRef>, StoreError> {
        let Some(claim) = self.slug_claim(slug).await? else { return Ok(None) };
        let id = ArticleId::parse(&claim.article_id).map_err(corrupt(&claim.partition, "article_id"))?;
        let author = match &claim.author_id {
            Some(author) => author.clone(),
            // A claim from before claims named the author: the summary does.
            None => match self.table.get(keys::article(&claim.article_id), true).await? {
                Some(item) => crate::decode::<ArticleItem>(item)?.author_id,
                None => return Ok(None),
            },
        };
        let author_id = UserId::parse(&author).map_err(corrupt(&claim.partition, "author_id"))?;
        Ok(Some(ArticleRef { id, author_id }))
    }

    /// The slug claim, then one batch: summary, body, author, and the viewer's follow and
    /// favorite.
    async fn find_by_slug(&self, slug: &Slug, viewer: Option<UserId>) -> Result<Option<ViewedArticle>, StoreError> {
        let Some(claim) = self.slug_claim(slug).await? else { return Ok(None) };
        let author = claim
            .author_id
            .as_deref()
            .map(|author| UserId::parse(author).map_err(corrupt(&claim.partition, "author_id")))
            .transpose()?;
        Ok(self.viewed(&claim.article_id, author, viewer).await?)
    }

    async fn find_by_ref(
        &self,
        article: ArticleRef,
        viewer: Option<UserId>,
    ) -> Result<Option<ViewedArticle>, StoreError> {
        Ok(self.viewed(&article.id.to_string(), Some(article.author_id), viewer).await?)
    }

    async fn find_summary_by_slug(&self, slug: &Slug) -> Result<Option<ArticleSummary>, StoreError> {
        let Some(claim) = self.slug_claim(slug).await? else { return Ok(None) };
        let item = self.table.get(keys::article(&claim.article_id), true).await?;
        Ok(item.map(|item| crate::decode::<ArticleItem>(item)?.into_summary()).transpose()?)
    }

    /// At most three round trips for one filter: resolving a username (beside the pending purges,
    /// for a fan), the list's ids with its counter, then the page's summaries beside the viewer's
    /// relations. The unfiltered list needs two: its index carries the summaries.
    async fn list(
        &self,
        filter: &ArticleFilter,
        page: Page,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, StoreError> {
        let end = Some(page.end());
        let found = match (&filter.tag, &filter.author, &filter.favorited_by) {
            (None, None, None) => {
                let (summaries, total) =
                    futures::try_join!(self.all_articles(page), self.counter(keys::article_counter()))?;
                self.with_relations(summaries, total, viewer).await?
            }
            (Some(tag), None, None) => {
                let (candidates, total) = futures::try_join!(
                    self.entries(keys::tag_partition(tag.as_str()), "", end),
                    self.counter(keys::tag_counter(tag.as_str())),
                )?;
                self.page_of(&candidates, page, total, viewer).await?
            }
            (None, Some(author), None) => {
                let Some(author) = user_id_by_username(&self.table, author).await? else {
                    return Ok(SummaryPage::default());
                };
                let author = author.to_string();
                let (candidates, (total, _)) =
                    futures::try_join!(self.articles_of(&author, end), self.user_counters(&author))?;
                self.page_of(&candidates, page, total, viewer).await?
            }
            (None, None, Some(fan)) => {
                let (fan, pending) =
                    futures::try_join!(user_id_by_username(&self.table, fan), pending_purges(&self.table))?;
                let Some(fan) = fan else { return Ok(SummaryPage::default()) };
                self.favorites_of(&fan.to_string(), page, &pending, viewer).await?
            }
            _ => self.combined(filter, page, viewer).await?,
        };
        Ok(found)
    }
}

impl ArticleWriter for DynamoArticles {
    async fn insert(
        &self,
        article: &Article,
        charge: &WriteCharge,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        self.insert_article(article, charge, completion).await
    }

    async fn update(
        &self,
        previous: &Article,
        updated: &Article,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        let (old, new) = (&previous.summary, &updated.summary);
        let id = new.id.to_string();
        let mut items = vec![writes::update(
            &self.table,
            keys::article(&id),
            "SET title = :title, description = :description, slug = :slug, updated_at = :updated_at, version = :version",
            "version = :expected",
            vec![
                (":title", text(new.title.as_str())),
                (":description", text(new.description.as_str())),
                (":slug", text(new.slug.as_str())),
                (":updated_at", text(new.updated_at.to_iso8601())),
                (":version", number(new.version)),
                (":expected", number(old.version)),
            ],
        )?];
        if previous.body != updated.body {
            items.push(writes::put(&self.table, BodyItem::new(new.id, &updated.body), false)?);
        }
        let claim_index = items.len();
        if old.slug != new.slug {
            let (partition, sort) = keys::slug_claim(new.slug.as_str());
            let author_id = Some(new.author_id.to_string());
            items.push(writes::put(
                &self.table,
                SlugClaimItem { partition, sort, article_id: id.clone(), author_id },
                true,
            )?);
            items.push(writes::delete(
                &self.table,
                keys::slug_claim(old.slug.as_str()),
                Some(("article_id = :id", vec![(":id", text(id.clone()))])),
            )?);
        }
        match self.table.transact_completing(items, completion).await? {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 0) => Err(StoreError::Conflict),
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, claim_index) => {
                Err(StoreError::AlreadyTaken(vec![UniqueField::Slug]))
            }
            Err(TransactError::Cancelled(_)) => Err(StoreError::Conflict),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }

    async fn delete(&self, article: &ArticleSummary) -> Result<(), StoreError> {
        let id = article.id.to_string();
        let mut items = vec![
            writes::delete(&self.table, keys::article(&id), Some(("attribute_exists(PK)", vec![])))?,
            writes::delete(&self.table, keys::article_body(&id), None)?,
            writes::delete(&self.table, keys::slug_claim(article.slug.as_str()), None)?,
            writes::add(&self.table, keys::user(&article.author_id.to_string()), "articles_count", -1, true)?,
            writes::add(&self.table, keys::article_counter(), "count", -1, false)?,
        ];
        for tag in article.tags.iter() {
            items.push(writes::delete(&self.table, keys::tag_entry(tag.as_str(), &id), None)?);
            items.push(crate::tags::count_change(&self.table, tag, -1)?);
        }
        // Until the purge, lists of favorites leave this article out.
        let (partition, sort) = keys::pending_purge(&id);
        items.push(writes::put(&self.table, PendingPurgeItem { partition, sort }, false)?);
        // The summary's removal brings the purge: stamped first, so the purge continues this
        // request's trace (the removal's record shows the summary as it was before).
        crate::trace_context::stamp_before_removal(&self.table, keys::article(&id)).await;
        match self.table.transact(items).await {
            // Deleted by a concurrent request: the same purge follows.
            Ok(()) | Err(TransactError::Cancelled(_)) => Ok(()),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }
}
