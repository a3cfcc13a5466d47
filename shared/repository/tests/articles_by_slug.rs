//! Finding an article by its slug, against DynamoDB Local: the slug claim names the article and
//! its author, so the article is read together with what its viewer needs; a claim stored before
//! claims named the author still resolves, one read later.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::User;
use conduit_domain::article::Article;
use conduit_domain::ports::{ArticleReader, ArticleRef, ArticleWriter, FollowWriter, UserWriter, ViewedArticle};
use conduit_domain::values::{
    ArticleBody, Description, Email, PasswordHash, Slug, TagList, Timestamp, Title, Username,
};
use conduit_domain::write_quotas::{WriteAction, WriteQuotas};
use conduit_dynamodb_local::test_table;
use conduit_repository::{DynamoArticles, DynamoFollows, DynamoUsers, Table, keys};

struct World {
    client: aws_sdk_dynamodb::Client,
    table: String,
    articles: DynamoArticles,
    article: Article,
    reader: User,
}

fn someone(name: &str) -> User {
    User::register(
        Username::parse(name).expect("valid"),
        Email::parse(&format!("{name}@example.com")).expect("valid"),
        PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
    )
}

/// Jake's article "Dragons", and a reader who follows jake.
async fn world() -> World {
    let local = test_table().await;
    let table = Table::new(local.client.clone(), local.name.clone());
    let users = DynamoUsers::new(table.clone());
    let (jake, reader) = (someone("jake"), someone("reader"));
    users.insert(&jake, None).await.expect("inserted");
    users.insert(&reader, None).await.expect("inserted");
    let quotas = WriteQuotas::default();
    let follow = quotas.charge(WriteAction::Follow, Timestamp::now());
    DynamoFollows::new(table.clone()).follow(reader.id, jake.id, &follow).await.expect("followed");
    let article = Article::publish(
        jake.id,
        Title::parse("Dragons").expect("valid"),
        Description::parse("d").expect("valid"),
        ArticleBody::parse("b").expect("valid"),
        TagList::default(),
    );
    let articles = DynamoArticles::new(table);
    let publication = quotas.charge(WriteAction::Article, article.summary.created_at);
    articles.insert(&article, &publication, None).await.expect("published");
    World { client: local.client, table: local.name, articles, article, reader }
}

impl World {
    /// As releases before claims named the author stored the claim.
    async fn strip_author_from_claim(&self) {
        let (partition, sort) = keys::slug_claim(self.article.summary.slug.as_str());
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PARTITION_KEY, AttributeValue::S(partition))
            .key(keys::SORT_KEY, AttributeValue::S(sort))
            .update_expression("REMOVE author_id")
            .send()
            .await
            .expect("claim rewritten");
    }

    async fn resolved_and_found(&self) -> (Option<ArticleRef>, Option<ViewedArticle>) {
        let slug = &self.article.summary.slug;
        let resolved = self.articles.resolve_slug(slug).await.expect("resolved");
        let found = self.articles.find_by_slug(slug, Some(self.reader.id)).await.expect("found");
        (resolved, found)
    }
}

fn assert_as_the_reader_sees_it(world: &World, resolved: Option<ArticleRef>, found: Option<ViewedArticle>) {
    let author = world.article.summary.author_id;
    assert_eq!(resolved, Some(ArticleRef { id: world.article.summary.id, author_id: author }));
    let found = found.expect("the article");
    assert_eq!(found.article, world.article);
    assert_eq!(found.relations.users.get(&author).map(|user| user.username.as_str()), Some("jake"));
    assert!(found.relations.following.contains(&author));
    assert!(found.relations.favorited.is_empty());
}

#[tokio::test]
async fn given_a_claim_naming_the_author_when_found_by_slug_then_the_article_comes_with_its_relations() {
    let world = world().await;

    let (resolved, found) = world.resolved_and_found().await;

    assert_as_the_reader_sees_it(&world, resolved, found);
}

#[tokio::test]
async fn given_a_claim_from_before_claims_named_the_author_when_found_by_slug_then_the_same_comes_back() {
    let world = world().await;
    world.strip_author_from_claim().await;

    let (resolved, found) = world.resolved_and_found().await;

    assert_as_the_reader_sees_it(&world, resolved, found);
}

#[tokio::test]
async fn given_no_such_slug_when_found_then_nothing() {
    let world = world().await;
    let slug = Slug::parse("no-such-article").expect("valid");

    assert_eq!(world.articles.resolve_slug(&slug).await.expect("read"), None);
    assert_eq!(world.articles.find_by_slug(&slug, None).await.expect("read"), None);
}
