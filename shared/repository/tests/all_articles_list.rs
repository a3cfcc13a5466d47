//! The all-articles list across the sharding migration, against DynamoDB Local: articles stored
//! before it (only in the legacy `ARTICLES` partition of GSI2), migrated ones (in both) and new
//! ones (only in their GSI3 shard) list together, newest first, each once.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::User;
use conduit_domain::article::Article;
use conduit_domain::ports::{ArticleFilter, ArticleReader, ArticleWriter, SummaryPage, UserWriter};
use conduit_domain::values::{ArticleBody, Description, Email, Page, PasswordHash, TagList, Title, UserId, Username};
use conduit_domain::write_quotas::{WriteAction, WriteQuotas};
use conduit_dynamodb_local::test_table;
use conduit_repository::{DynamoArticles, DynamoUsers, Table, keys};

const ARTICLES: usize = 30;

struct World {
    client: aws_sdk_dynamodb::Client,
    table: String,
    articles: DynamoArticles,
    /// The ids of the articles published, newest first.
    ids: Vec<String>,
}

async fn world_with_articles() -> World {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    let users = DynamoUsers::new(table.clone());
    let articles = DynamoArticles::new(table);
    let author = User::register(
        Username::parse("jake").expect("valid"),
        Email::parse("jake@example.com").expect("valid"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    );
    users.insert(&author, None).await.expect("inserted");
    let mut ids = Vec::new();
    for n in 0..ARTICLES {
        let article = publish(author.id, n);
        let charge = WriteQuotas::default().charge(WriteAction::Article, article.summary.created_at);
        articles.insert(&article, &charge, None).await.expect("published");
        ids.push(article.summary.id.to_string());
    }
    ids.sort_unstable_by(|a, b| b.cmp(a));
    World { client: local.client, table: local.name, articles, ids }
}

fn publish(author: UserId, n: usize) -> Article {
    Article::publish(
        author,
        Title::parse(&format!("Article {n}")).expect("valid"),
        Description::parse("d").expect("valid"),
        ArticleBody::parse("b").expect("valid"),
        TagList::default(),
    )
}

impl World {
    /// Rewrites the index keys of an article's summary item with `update`.
    async fn rewrite_index_keys(&self, id: &str, update: &str, values: &[(&str, String)]) {
        let (partition, sort) = keys::article(id);
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PARTITION_KEY, AttributeValue::S(partition))
            .key(keys::SORT_KEY, AttributeValue::S(sort))
            .update_expression(update);
        for (placeholder, value) in values {
            request = request.expression_attribute_values(*placeholder, AttributeValue::S(value.clone()));
        }
        request.send().await.expect("index keys rewritten");
    }

    /// As the previous release stored it: in the legacy partition only.
    async fn make_unmigrated(&self, id: &str) {
        let update = "SET GSI2PK = :legacy, GSI2SK = :id REMOVE GSI3PK, GSI3SK";
        self.rewrite_index_keys(id, update, &legacy_keys(id)).await;
    }

    /// As the migration leaves it: in its shard and still in the legacy partition.
    async fn make_migrated(&self, id: &str) {
        self.rewrite_index_keys(id, "SET GSI2PK = :legacy, GSI2SK = :id", &legacy_keys(id)).await;
    }

    async fn move_to_shard(&self, id: &str, shard: &str) {
        self.rewrite_index_keys(id, "SET GSI3PK = :shard", &[(":shard", shard.to_owned())]).await;
    }

    async fn page(&self, offset: usize, limit: usize) -> SummaryPage {
        self.articles.list(&ArticleFilter::default(), Page { offset, limit }, None).await.expect("listed")
    }

    fn expected(&self, offset: usize, limit: usize) -> Vec<&str> {
        self.ids.iter().skip(offset).take(limit).map(String::as_str).collect()
    }
}

fn legacy_keys(id: &str) -> [(&'static str, String); 2] {
    [(":legacy", keys::LEGACY_ALL_ARTICLES_PARTITION.to_owned()), (":id", id.to_owned())]
}

fn ids_of(page: &SummaryPage) -> Vec<String> {
    page.summaries.iter().map(|summary| summary.id.to_string()).collect()
}

#[tokio::test]
async fn given_unmigrated_migrated_and_new_articles_when_listed_then_each_appears_once_newest_first() {
    // Given the oldest ten only in the legacy partition, the next ten in both, the newest ten
    // only in their shards
    let world = world_with_articles().await;
    for id in &world.ids[20..] {
        world.make_unmigrated(id).await;
    }
    for id in &world.ids[10..20] {
        world.make_migrated(id).await;
    }

    for (offset, limit) in [(0, 20), (0, 30), (5, 10), (15, 10), (20, 20), (29, 5), (40, 20)] {
        // When a page is listed
        let page = world.page(offset, limit).await;

        // Then it holds the right articles, in order, with every summary field
        assert_eq!(ids_of(&page), world.expected(offset, limit), "offset {offset}, limit {limit}");
        assert_eq!(page.total, ARTICLES as u64);
        assert!(page.summaries.iter().all(|summary| summary.title.as_str().starts_with("Article ")));
    }
}

#[tokio::test]
async fn given_the_newest_articles_crowded_into_one_shard_when_a_page_is_listed_then_it_is_complete() {
    // Given every article in one shard: the first round's share of a page cannot cover it
    let world = world_with_articles().await;
    for id in &world.ids {
        world.move_to_shard(id, "ARTICLES#03").await;
    }

    // When pages are listed
    let first = world.page(0, 20).await;
    let deep = world.page(7, 20).await;

    // Then a second read of that shard completes them
    assert_eq!(ids_of(&first), world.expected(0, 20));
    assert_eq!(ids_of(&deep), world.expected(7, 20));
}
