//! A deleted article's purge in bounded chunks, against DynamoDB Local: each chunk removes at most
//! its budget and records where it stopped on the pending-purge entry; the chunk that finds
//! nothing left deletes the entry. Chunks delivered twice at once, or repeated after a crash that
//! lost their progress, count nothing twice.

mod common;

use common::someone;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::ports::{
    ArticlePurger, ArticleReader, ArticleRef, ArticleWriter, FavoriteWriter, FollowWriter, PurgedArticle,
};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::values::{Slug, Timestamp, UserId};
use conduit_domain::work_chunks::{Chunk, Remaining, WorkBudget};
use conduit_domain::write_quotas::{WriteAction, WriteQuotas};
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_repository::{
    DynamoArticlePurges, DynamoArticles, DynamoComments, DynamoFavorites, DynamoFollows, DynamoRelations, DynamoUsers,
    Table, keys,
};

const FANS: usize = 23;
const COMMENTS: usize = 12;
const CHUNK_ITEMS: usize = 5;

/// An article by jake that 23 fans favorited (each also favorited another article of his), 12 of
/// them commented on, and that is in the feed of anne, who follows jake; then deleted.
struct DeletedArticle {
    local: TestTable,
    purges: DynamoArticlePurges,
    article: ArticleRef,
    fans: Vec<UserId>,
    anne: UserId,
    jake: UserId,
}

async fn a_deleted_popular_article() -> DeletedArticle {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    let (users, articles, relations) =
        (DynamoUsers::new(table.clone()), DynamoArticles::new(table.clone()), DynamoRelations::new(table.clone()));
    let (favorites, comments) = (DynamoFavorites::new(table.clone()), DynamoComments::new(table.clone()));
    let jake = someone(&users, "jake").await;
    let anne = someone(&users, "anne").await;
    let create = CreateArticle::new(articles.clone(), relations.clone(), WriteQuotas::default());
    for title in ["Kept", "Popular"] {
        let draft = ArticleDraft {
            title: Some(title.into()),
            description: Some("d".into()),
            body: Some("b".into()),
            tag_list: None,
        };
        create.execute(jake, draft).await.expect("published");
    }
    let summary = |slug: &'static str| {
        let articles = articles.clone();
        async move { articles.find_summary_by_slug(&Slug::parse(slug).expect("slug")).await.expect("read").expect("exists") }
    };
    let (kept, popular) = (summary("kept").await, summary("popular").await);
    let follow_charge = WriteQuotas::default().charge(WriteAction::Follow, Timestamp::now());
    DynamoFollows::new(table.clone()).follow(anne, jake, &follow_charge).await.expect("followed");
    let comment = AddComment::new(articles.clone(), comments, relations, WriteQuotas::default());
    let favorite_charge = WriteQuotas::default().charge(WriteAction::Favorite, Timestamp::now());
    let mut fans = Vec::new();
    for n in 0..FANS {
        let fan = someone(&users, &format!("fan{n}")).await;
        for article in [&kept, &popular] {
            favorites.favorite(fan, ArticleRef::from(article), &favorite_charge).await.expect("favorited");
        }
        if n < COMMENTS {
            comment.execute(fan, "popular", Some("Nice".into())).await.expect("commented");
        }
        fans.push(fan);
    }
    articles.delete(&popular).await.expect("deleted");
    DeletedArticle {
        purges: DynamoArticlePurges::new(table),
        local,
        article: ArticleRef::from(&popular),
        fans,
        anne,
        jake,
    }
}

fn chunk_budget() -> WorkBudget {
    WorkBudget { items: CHUNK_ITEMS, deadline: Instant::now() + Duration::from_secs(60) }
}

fn sum(total: &mut PurgedArticle, chunk: &Chunk<PurgedArticle>) {
    total.favorites += chunk.done.favorites;
    total.comments += chunk.done.comments;
    total.feed_entries += chunk.done.feed_entries;
}

impl DeletedArticle {
    async fn item(&self, (partition, sort): keys::Key) -> Option<HashMap<String, AttributeValue>> {
        let output = self
            .local
            .client
            .get_item()
            .table_name(&self.local.name)
            .key("PK", AttributeValue::S(partition))
            .key("SK", AttributeValue::S(sort))
            .consistent_read(true)
            .send()
            .await
            .expect("read");
        output.item
    }

    async fn number(&self, key: keys::Key, attribute: &str) -> i64 {
        let item = self.item(key).await.expect("the item exists");
        item[attribute].as_n().expect("a number").parse().expect("an integer")
    }

    async fn items_in(&self, partition: String) -> usize {
        let output = self
            .local
            .client
            .query()
            .table_name(&self.local.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .consistent_read(true)
            .send()
            .await
            .expect("queried");
        output.items().len()
    }

    /// What the purge left: every fan's count and favorites, anne's feed and its counts, the
    /// comments and the pending-purge entry.
    async fn assert_purged_exactly(&self) {
        let id = self.article.id.to_string();
        for fan in &self.fans {
            let fan = fan.to_string();
            assert_eq!(self.number(keys::user(&fan), "favorites_count").await, 1, "fan {fan}'s count");
            assert!(self.item(keys::favorite(&fan, &id)).await.is_none(), "fan {fan}'s favorite");
        }
        assert_eq!(self.items_in(keys::article_partition(&id)).await, 0, "comments left");
        let (anne, jake) = (self.anne.to_string(), self.jake.to_string());
        assert!(self.item(keys::feed_entry(&anne, &id)).await.is_none(), "anne's entry");
        assert_eq!(self.items_in(keys::feed_partition(&anne)).await, 1, "anne's other entry");
        assert_eq!(self.number(keys::feed_state(&anne), "count").await, 1, "anne's feed count");
        assert_eq!(self.number(keys::follow(&anne, &jake), "feed_entries").await, 1, "the follow's entries");
        assert!(self.item(keys::pending_purge(&id)).await.is_none(), "the pending-purge entry");
    }
}

#[tokio::test]
async fn given_chunks_of_five_when_a_popular_article_is_purged_then_several_chunks_remove_everything_exactly_once() {
    let deleted = a_deleted_popular_article().await;

    let (mut chunks, mut total) = (0, PurgedArticle::default());
    loop {
        let chunk = deleted.purges.purge_deleted(deleted.article, chunk_budget()).await.expect("a chunk");
        chunks += 1;
        let done = chunk.done.favorites + chunk.done.comments + chunk.done.feed_entries;
        assert!(done <= CHUNK_ITEMS, "chunk {chunks} removed {done}");
        sum(&mut total, &chunk);
        if chunk.remaining == Remaining::Nothing {
            break;
        }
        let progress = deleted.item(keys::pending_purge(&deleted.article.id.to_string())).await;
        let progress = progress.expect("the entry stays while work is left");
        assert_eq!(progress["chunks_done"].as_n().map(String::as_str), Ok(chunks.to_string().as_str()));
        assert_eq!(progress["author_id"].as_s().map(String::as_str), Ok(deleted.jake.to_string().as_str()));
        assert!(chunks < 20, "the purge does not end");
    }

    assert_eq!(total, PurgedArticle { favorites: FANS, comments: COMMENTS, feed_entries: 1 });
    assert!(chunks >= (FANS + COMMENTS + 1).div_ceil(CHUNK_ITEMS), "{chunks} chunks");
    deleted.assert_purged_exactly().await;
    let replayed = deleted.purges.purge_deleted(deleted.article, chunk_budget()).await.expect("a replay");
    assert_eq!(replayed, Chunk { done: PurgedArticle::default(), remaining: Remaining::Nothing });
}

#[tokio::test]
async fn given_every_chunk_delivered_twice_at_once_and_one_crash_when_purged_then_nothing_is_counted_twice() {
    let deleted = a_deleted_popular_article().await;
    let entry = keys::pending_purge(&deleted.article.id.to_string());

    let (mut deliveries, mut total) = (0, PurgedArticle::default());
    loop {
        let before = deleted.item(entry.clone()).await;
        let (first, second) = futures::join!(
            deleted.purges.purge_deleted(deleted.article, chunk_budget()),
            deleted.purges.purge_deleted(deleted.article, chunk_budget()),
        );
        let (first, second) = (first.expect("a chunk"), second.expect("a chunk"));
        deliveries += 1;
        sum(&mut total, &first);
        sum(&mut total, &second);
        if first.remaining == Remaining::Nothing && second.remaining == Remaining::Nothing {
            break;
        }
        if deliveries == 3 {
            // A crash after the chunk's removals, before its progress was recorded: the record
            // comes again and finds the entry as it was.
            let mut request = deleted.local.client.put_item().table_name(&deleted.local.name);
            request = request.set_item(before);
            request.send().await.expect("progress lost");
        }
        assert!(deliveries < 40, "the purge does not end");
    }

    // Removals that keep a count are conditional, so only one delivery counts each; comments keep
    // none and are deleted in batches, so both deliveries may report one they both read.
    assert_eq!((total.favorites, total.feed_entries), (FANS, 1));
    assert!(total.comments >= COMMENTS, "{total:?}");
    deleted.assert_purged_exactly().await;
}

#[tokio::test]
async fn given_a_deadline_already_passed_when_a_chunk_runs_then_it_reads_one_step_and_leaves_the_rest_to_the_next() {
    let deleted = a_deleted_popular_article().await;
    let late = WorkBudget { items: 1_000, deadline: Instant::now() };

    let first = deleted.purges.purge_deleted(deleted.article, late).await.expect("a chunk");
    let second = deleted.purges.purge_deleted(deleted.article, late).await.expect("a chunk");

    // One step reads all 23 fans (a step reads up to a hundred); the next chunk finds no more
    // fans, and goes on to read the comments.
    assert_eq!(
        first,
        Chunk { done: PurgedArticle { favorites: FANS, comments: 0, feed_entries: 0 }, remaining: Remaining::More }
    );
    assert_eq!(second.done, PurgedArticle { favorites: 0, comments: COMMENTS, feed_entries: 0 });
    assert!(deleted.item(keys::pending_purge(&deleted.article.id.to_string())).await.is_some());
}
