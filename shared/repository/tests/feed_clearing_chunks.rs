//! Clearing an ended follow from a feed in bounded chunks, against DynamoDB Local: each chunk
//! looks at most at its budget of entries and records where it stopped on the ended-follow
//! marker; the chunk that reaches the end of the feed deletes the marker. Chunks delivered twice
//! at once, or repeated after a crash that lost their progress, remove each entry once, and the
//! feed reads the same throughout.

mod common;

use common::someone;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::ports::FeedFanOut;
use conduit_domain::ports::{EndedFollow, FeedReader, FollowWriter};
use conduit_domain::usecases::{ArticleDraft, CreateArticle};
use conduit_domain::values::{Page, Timestamp, UserId};
use conduit_domain::work_chunks::{Chunk, Remaining, WorkBudget};
use conduit_domain::write_quotas::{WriteAction, WriteQuotas};
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_repository::{DynamoArticles, DynamoFeed, DynamoFollows, DynamoRelations, DynamoUsers, Table, keys};

/// jake's articles in anne's feed when she unfollows him.
const ENDED_ENTRIES: usize = 17;
/// bob's, which stay.
const KEPT_ENTRIES: usize = 3;
const CHUNK_ITEMS: usize = 5;

/// anne, who followed jake (17 articles) and bob (3), right after she unfollowed jake.
struct EndedFollowOfAnne {
    local: TestTable,
    feed: DynamoFeed,
    anne: UserId,
    ended: EndedFollow,
}

async fn an_ended_follow() -> EndedFollowOfAnne {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    let users = DynamoUsers::new(table.clone());
    let (jake, bob, anne) =
        (someone(&users, "jake").await, someone(&users, "bob").await, someone(&users, "anne").await);
    let create = CreateArticle::new(
        DynamoArticles::new(table.clone()),
        DynamoRelations::new(table.clone()),
        WriteQuotas::default(),
    );
    for (author, articles) in [(jake, ENDED_ENTRIES), (bob, KEPT_ENTRIES)] {
        for n in 0..articles {
            let draft = ArticleDraft {
                title: Some(format!("Article {n} by {author}")),
                description: Some("d".into()),
                body: Some("b".into()),
                tag_list: None,
            };
            create.execute(author, draft).await.expect("published");
        }
    }
    let follows = DynamoFollows::new(table.clone());
    let charge = WriteQuotas::default().charge(WriteAction::Follow, Timestamp::now());
    // Each follow copies the author's recent articles into anne's feed.
    follows.follow(anne, jake, &charge).await.expect("followed");
    follows.follow(anne, bob, &charge).await.expect("followed");
    follows.unfollow(anne, jake).await.expect("unfollowed");
    let marker = local
        .client
        .query()
        .table_name(&local.name)
        .key_condition_expression("PK = :pk AND begins_with(SK, :ended)")
        .expression_attribute_values(":pk", AttributeValue::S(keys::user_partition(&anne.to_string())))
        .expression_attribute_values(":ended", AttributeValue::S(keys::FEED_ENDED_PREFIX.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("queried");
    let period = marker.items()[0]["period"].as_s().expect("the marker's period").clone();
    EndedFollowOfAnne {
        feed: DynamoFeed::new(table),
        local,
        anne,
        ended: EndedFollow { reader: anne, author: jake, period },
    }
}

fn chunk_budget() -> WorkBudget {
    WorkBudget { items: CHUNK_ITEMS, deadline: Instant::now() + Duration::from_secs(60) }
}

impl EndedFollowOfAnne {
    fn marker(&self) -> keys::Key {
        keys::feed_ended(&self.anne.to_string(), &self.ended.author.to_string(), &self.ended.period)
    }

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

    async fn stored_entries(&self) -> usize {
        let output = self
            .local
            .client
            .query()
            .table_name(&self.local.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(keys::feed_partition(&self.anne.to_string())))
            .consistent_read(true)
            .send()
            .await
            .expect("queried");
        output.items().len()
    }

    /// What anne's feed shows: how many articles, and its total.
    async fn shown(&self) -> (usize, u64) {
        let page = self.feed.feed(self.anne, Page { limit: Page::MAX_LIMIT, offset: 0 }).await.expect("feed read");
        (page.summaries.len(), page.total)
    }

    async fn assert_cleared_exactly(&self) {
        assert_eq!(self.stored_entries().await, KEPT_ENTRIES);
        assert_eq!(self.shown().await, (KEPT_ENTRIES, KEPT_ENTRIES as u64));
        let count = self.item(keys::feed_state(&self.anne.to_string())).await.expect("the feed's count");
        assert_eq!(count["count"].as_n().map(String::as_str), Ok(KEPT_ENTRIES.to_string().as_str()));
        assert!(self.item(self.marker()).await.is_none(), "the marker is deleted last");
    }
}

#[tokio::test]
async fn given_chunks_of_five_when_an_ended_follow_is_cleared_then_several_chunks_remove_its_entries_once() {
    let anne = an_ended_follow().await;
    assert_eq!(anne.stored_entries().await, ENDED_ENTRIES + KEPT_ENTRIES);

    let (mut chunks, mut removed) = (0, 0);
    loop {
        let chunk = anne.feed.clear_ended_follow(&anne.ended, chunk_budget()).await.expect("a chunk");
        chunks += 1;
        assert!(chunk.done <= CHUNK_ITEMS, "chunk {chunks} removed {}", chunk.done);
        removed += chunk.done;
        if chunk.remaining == Remaining::Nothing {
            break;
        }
        // Meanwhile the feed shows bob's articles only, counted exactly.
        assert_eq!(anne.shown().await, (KEPT_ENTRIES, KEPT_ENTRIES as u64));
        let marker = anne.item(anne.marker()).await.expect("the marker stays while work is left");
        assert_eq!(marker["chunks_done"].as_n().map(String::as_str), Ok(chunks.to_string().as_str()));
        assert!(chunks < 20, "the clearing does not end");
    }

    assert_eq!(removed, ENDED_ENTRIES);
    assert!(chunks >= (ENDED_ENTRIES + KEPT_ENTRIES).div_ceil(CHUNK_ITEMS), "{chunks} chunks");
    anne.assert_cleared_exactly().await;
    let replayed = anne.feed.clear_ended_follow(&anne.ended, chunk_budget()).await.expect("a replay");
    assert_eq!(replayed, Chunk { done: 0, remaining: Remaining::Nothing });
}

#[tokio::test]
async fn given_every_chunk_delivered_twice_at_once_and_one_crash_when_cleared_then_each_entry_goes_once() {
    let anne = an_ended_follow().await;

    let (mut deliveries, mut removed) = (0, 0);
    loop {
        let before = anne.item(anne.marker()).await;
        let (first, second) = futures::join!(
            anne.feed.clear_ended_follow(&anne.ended, chunk_budget()),
            anne.feed.clear_ended_follow(&anne.ended, chunk_budget()),
        );
        let (first, second) = (first.expect("a chunk"), second.expect("a chunk"));
        deliveries += 1;
        removed += first.done + second.done;
        if first.remaining == Remaining::Nothing && second.remaining == Remaining::Nothing {
            break;
        }
        if deliveries == 2 {
            // A crash after the chunk's deletions, before its progress was recorded: the record
            // comes again and finds the marker as it was.
            anne.local.client.put_item().table_name(&anne.local.name).set_item(before).send().await.expect("lost");
        }
        assert!(deliveries < 40, "the clearing does not end");
    }

    assert_eq!(removed, ENDED_ENTRIES);
    anne.assert_cleared_exactly().await;
}
