//! The home feed against DynamoDB Local, its writers called directly (as the stream consumers
//! call them): what a follow copies, what publishing fans out, what an unfollow and a deletion
//! take away, that replays change nothing, that pulled authors are merged, and that the count is
//! exact at every step.

use conduit_domain::User;
use conduit_domain::ports::{
    ArticlePurger, ArticleReader, ArticleRef, ArticleWriter, EndedFollow, FeedFanOut, FeedReader, FollowWriter,
    SummaryPage, UserWriter,
};
use conduit_domain::usecases::{ArticleDraft, CreateArticle};
use conduit_domain::values::{Email, Page, PasswordHash, Slug, Timestamp, UserId, Username};
use conduit_domain::work_chunks::{Remaining, WorkBudget};
use conduit_domain::write_quotas::{WriteAction, WriteCharge, WriteQuotas};
use conduit_dynamodb_local::test_table;
use conduit_repository::{
    DynamoArticlePurges, DynamoArticles, DynamoFeed, DynamoFollows, DynamoRelations, DynamoUsers, FOLLOW_COPIES, Table,
    keys,
};

/// A follow's charge against the default quota (no test here comes near it).
fn follow_charge() -> WriteCharge {
    WriteQuotas::default().charge(WriteAction::Follow, Timestamp::now())
}

struct Stores {
    table: conduit_dynamodb_local::TestTable,
    users: DynamoUsers,
    articles: DynamoArticles,
    relations: DynamoRelations,
    follows: DynamoFollows,
    feed: DynamoFeed,
}

async fn stores(push_limit: usize) -> Stores {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    Stores {
        table: local,
        users: DynamoUsers::new(table.clone()),
        articles: DynamoArticles::new(table.clone()),
        relations: DynamoRelations::new(table.clone()),
        follows: DynamoFollows::new(table.clone()).with_push_limit(push_limit),
        feed: DynamoFeed::new(table),
    }
}

impl Stores {
    async fn someone(&self, name: &str) -> UserId {
        let user = User::register(
            Username::parse(name).expect("valid"),
            Email::parse(&format!("{name}@example.com")).expect("valid"),
            PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        );
        self.users.insert(&user, None).await.expect("inserted");
        user.id
    }

    /// Publishes an article (without fanning it out) and answers what names it.
    async fn publish(&self, author: UserId, title: &str) -> ArticleRef {
        let draft = ArticleDraft {
            title: Some(title.into()),
            description: Some("d".into()),
            body: Some("b".into()),
            tag_list: None,
        };
        let view = CreateArticle::new(self.articles.clone(), self.relations.clone(), WriteQuotas::default())
            .execute(author, draft)
            .await
            .expect("published");
        let slug = Slug::parse(view.article.summary.slug.as_str()).expect("slug");
        let summary = self.articles.find_summary_by_slug(&slug).await.expect("read").expect("exists");
        ArticleRef::from(&summary)
    }

    async fn feed_of(&self, reader: UserId) -> SummaryPage {
        self.feed.feed(reader, Page { limit: Page::MAX_LIMIT, offset: 0 }).await.expect("feed read")
    }

    /// How many entries the reader's feed partition holds (visible or not).
    async fn stored_entries(&self, reader: UserId) -> usize {
        let output = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                aws_sdk_dynamodb::types::AttributeValue::S(keys::feed_partition(&reader.to_string())),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("queried");
        output.items().len()
    }
}

fn titles(page: &SummaryPage) -> Vec<&str> {
    page.summaries.iter().map(|summary| summary.title.as_str()).collect()
}

#[tokio::test]
async fn a_follow_copies_the_authors_recent_articles_and_publishing_fans_out_once() {
    // Given jake with two articles, and anne who follows him
    let stores = stores(1_000).await;
    let (jake, anne) = (stores.someone("jake").await, stores.someone("anne").await);
    stores.publish(jake, "First").await;
    stores.publish(jake, "Second").await;
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");

    // Then her feed has both at once
    let followed = stores.feed_of(anne).await;
    assert_eq!((titles(&followed), followed.total), (vec!["Second", "First"], 2));
    assert!(followed.relations.following.contains(&jake));

    // When jake publishes again and the article is fanned out, twice (a redelivered record)
    let third = stores.publish(jake, "Third").await;
    let written = stores.feed.fan_out(third).await.expect("fanned out");
    let again = stores.feed.fan_out(third).await.expect("fanned out again");

    // Then one feed got it, the second time none, and the feed counts three
    assert_eq!((written, again), (1, 0));
    let fanned = stores.feed_of(anne).await;
    assert_eq!((titles(&fanned), fanned.total), (vec!["Third", "Second", "First"], 3));
}

#[tokio::test]
async fn a_follow_copies_at_most_its_bound_of_recent_articles_and_counts_what_it_copied() {
    let stores = stores(1_000).await;
    let (jake, anne) = (stores.someone("jake").await, stores.someone("anne").await);
    for n in 0..FOLLOW_COPIES + 3 {
        stores.publish(jake, &format!("Article {n}")).await;
    }

    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed again: nothing changes");

    let feed = stores.feed_of(anne).await;
    assert_eq!(feed.total, FOLLOW_COPIES as u64);
    assert_eq!(
        feed.summaries.first().map(|s| s.title.as_str()),
        Some(format!("Article {}", FOLLOW_COPIES + 2).as_str())
    );
    assert_eq!(stores.stored_entries(anne).await, FOLLOW_COPIES);
}

#[tokio::test]
async fn an_unfollow_hides_the_authors_entries_at_once_and_the_clearing_removes_them_once() {
    // Given anne following jake and bob, with an article each fanned out
    let stores = stores(1_000).await;
    let (jake, bob, anne) = (stores.someone("jake").await, stores.someone("bob").await, stores.someone("anne").await);
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");
    stores.follows.follow(anne, bob, &follow_charge()).await.expect("followed");
    let by_jake = stores.publish(jake, "By jake").await;
    let by_bob = stores.publish(bob, "By bob").await;
    stores.feed.fan_out(by_jake).await.expect("fanned out");
    stores.feed.fan_out(by_bob).await.expect("fanned out");

    // When she unfollows jake
    stores.follows.unfollow(anne, jake).await.expect("unfollowed");

    // Then at once her feed has bob's article only, counted once, though jake's entry is still stored
    let hidden = stores.feed_of(anne).await;
    assert_eq!((titles(&hidden), hidden.total), (vec!["By bob"], 1));
    assert_eq!(stores.stored_entries(anne).await, 2);

    // When the ended follow is cleared, twice
    let ended = ended_follow_of(&stores, anne, jake).await;
    let removed = clear_in_one_chunk(&stores, &ended).await;
    let again = clear_in_one_chunk(&stores, &ended).await;

    // Then jake's entry is gone, once, and the feed reads the same
    assert_eq!((removed, again), (1, 0));
    assert_eq!(stores.stored_entries(anne).await, 1);
    let cleared = stores.feed_of(anne).await;
    assert_eq!((titles(&cleared), cleared.total), (vec!["By bob"], 1));
}

#[tokio::test]
async fn following_again_before_the_clearing_shows_the_author_and_the_clearing_keeps_the_new_entries() {
    let stores = stores(1_000).await;
    let (jake, anne) = (stores.someone("jake").await, stores.someone("anne").await);
    stores.publish(jake, "Old").await;
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");
    stores.follows.unfollow(anne, jake).await.expect("unfollowed");
    let ended = ended_follow_of(&stores, anne, jake).await;

    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed again");
    let removed = clear_in_one_chunk(&stores, &ended).await;

    assert_eq!(removed, 0, "the entry belongs to the new follow now");
    let feed = stores.feed_of(anne).await;
    assert_eq!((titles(&feed), feed.total), (vec!["Old"], 1));
}

#[tokio::test]
async fn a_deleted_article_leaves_the_feed_and_its_count_at_once_and_its_purge_removes_the_entry() {
    let stores = stores(1_000).await;
    let (jake, anne) = (stores.someone("jake").await, stores.someone("anne").await);
    stores.publish(jake, "Kept").await;
    let doomed = stores.publish(jake, "Doomed").await;
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");
    let summary = stores.articles.find_summary_by_slug(&Slug::parse("doomed").expect("slug")).await.expect("read");

    stores.articles.delete(&summary.expect("exists")).await.expect("deleted");
    let pending = stores.feed_of(anne).await;
    let purged = purge_in_one_chunk(&stores, doomed).await;
    let again = purge_in_one_chunk(&stores, doomed).await;
    let after = stores.feed_of(anne).await;

    assert_eq!((titles(&pending), pending.total), (vec!["Kept"], 1));
    assert_eq!((purged.feed_entries, again.feed_entries), (1, 0));
    assert_eq!((titles(&after), after.total), (vec!["Kept"], 1));
    assert_eq!(stores.stored_entries(anne).await, 1);
    // ...and a fan-out coming after the purge (records of two consumers race) writes nothing
    assert_eq!(stores.feed.fan_out(doomed).await.expect("fanned out"), 0);
}

#[tokio::test]
async fn past_the_push_limit_followers_pull_the_authors_articles_into_their_feed() {
    // Given a push limit of one: anne follows jake first (pushed), then bob (pulled)
    let stores = stores(1).await;
    let (jake, anne, bob) = (stores.someone("jake").await, stores.someone("anne").await, stores.someone("bob").await);
    stores.publish(jake, "Before").await;
    stores.follows.follow(anne, jake, &follow_charge()).await.expect("followed");
    stores.follows.follow(bob, jake, &follow_charge()).await.expect("followed");

    // When jake publishes and the article is fanned out
    let after = stores.publish(jake, "After").await;
    let written = stores.feed.fan_out(after).await.expect("fanned out");

    // Then only anne's feed was written, yet both read both articles with the same total
    assert_eq!(written, 1);
    for reader in [anne, bob] {
        let feed = stores.feed_of(reader).await;
        assert_eq!((titles(&feed), feed.total), (vec!["After", "Before"], 2));
        assert!(feed.relations.following.contains(&jake));
    }
    assert_eq!(stores.stored_entries(bob).await, 0);

    // When bob unfollows, jake leaves his feed at once
    stores.follows.unfollow(bob, jake).await.expect("unfollowed");
    let unfollowed = stores.feed_of(bob).await;
    assert_eq!((unfollowed.summaries.len(), unfollowed.total), (0, 0));
}

/// Room for everything a test here leaves in one chunk.
fn one_chunk() -> WorkBudget {
    WorkBudget { items: 1_000, deadline: std::time::Instant::now() + std::time::Duration::from_secs(60) }
}

/// Clears `ended` in one chunk, as `update-feeds` does for a small feed; answers how many entries went.
async fn clear_in_one_chunk(stores: &Stores, ended: &EndedFollow) -> usize {
    let chunk = stores.feed.clear_ended_follow(ended, one_chunk()).await.expect("cleared");
    assert_eq!(chunk.remaining, Remaining::Nothing);
    chunk.done
}

/// Purges a deleted article in one chunk, as `purge-deleted-article` does for a small one.
async fn purge_in_one_chunk(stores: &Stores, article: ArticleRef) -> conduit_domain::ports::PurgedArticle {
    let purges = DynamoArticlePurges::new(Table::new(stores.table.client.clone(), stores.table.name.clone()));
    let chunk = purges.purge_deleted(article, one_chunk()).await.expect("purged");
    assert_eq!(chunk.remaining, Remaining::Nothing);
    chunk.done
}

/// The ended follow the reader's partition names for `author` (the period is the repository's).
async fn ended_follow_of(stores: &Stores, reader: UserId, author: UserId) -> EndedFollow {
    let output = stores
        .table
        .client
        .query()
        .table_name(&stores.table.name)
        .key_condition_expression("PK = :pk AND begins_with(SK, :ended)")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(keys::user_partition(&reader.to_string())),
        )
        .expression_attribute_values(
            ":ended",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{}{author}#", keys::FEED_ENDED_PREFIX)),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("queried");
    let item = output.items().first().expect("an ended follow");
    let sort = item["SK"].as_s().expect("a sort key");
    let partition = keys::user_partition(&reader.to_string());
    let (_, _, period) = keys::ended_follow_of(&partition, sort).expect("its key");
    EndedFollow { reader, author, period: period.to_owned() }
}
