//! Work that follows a write goes in bounded chunks through the whole local stack: with chunks of
//! five items, deleting an article with 23 favorites and 12 comments, and unfollowing an author
//! with 17 articles in a feed, each finish only if a chunk's record of where it stopped brings the
//! next invocation (the purge takes at least eight, the clearing four). Counts are exact at the
//! end, nothing is left, and records delivered again, at once or after the end, change nothing.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use common::{create_article, follow, unfollow};
use conduit_api_tests::{TestApi, seeding_charge};
use conduit_bootstrap::ChunkLimits;
use conduit_domain::User;
use conduit_domain::ports::{ArticleReader, ArticleRef, FavoriteWriter, UserWriter};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::values::{Email, PasswordHash, Slug, UserId, Username};
use conduit_domain::write_quotas::WriteAction;
use conduit_streams::{Invocation, StreamEvent, process_batch};
use serde_json::{Value, json};

const CHUNK_ITEMS: usize = 5;
const FANS: usize = 23;
const COMMENTS: usize = 12;
/// jake's articles in anne's feed when she unfollows him, and bob's, which stay.
const ENDED_ENTRIES: usize = 17;
const KEPT_ENTRIES: usize = 3;

async fn api_with_small_chunks() -> TestApi {
    TestApi::start_with_chunk_limits(ChunkLimits { items: CHUNK_ITEMS, time: Duration::from_secs(30) }).await
}

/// How many items of `partition` (with a sort key starting `prefix`, unless it is empty) the
/// table holds.
async fn items_in(api: &TestApi, partition: &str, prefix: &str) -> usize {
    let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
    let mut query = client
        .query()
        .table_name(api.adapters.table().name())
        .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
        .consistent_read(true);
    query = if prefix.is_empty() {
        query.key_condition_expression("PK = :pk")
    } else {
        query
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
    };
    query.send().await.expect("queried").items().len()
}

/// Waits (up to 30 s) until `done` holds, saying what is still there otherwise.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    loop {
        match done().await {
            Ok(()) => return,
            Err(left) if started.elapsed() > Duration::from_secs(30) => panic!("after 30 s, {what}: {left}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// A stream event of one record, as Lambda delivers it.
fn event(name: &str, keys: Value, old_image: Option<Value>, new_image: Option<Value>) -> StreamEvent {
    let mut change = json!({
        "ApproximateCreationDateTime": 1_700_000_000, "Keys": keys, "SequenceNumber": "1",
        "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"
    });
    if let Some(image) = old_image {
        change["OldImage"] = image;
    }
    if let Some(image) = new_image {
        change["NewImage"] = image;
    }
    let record = json!({
        "eventID": "delivered-again", "eventName": name, "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
        "dynamodb": change
    });
    serde_json::from_value(json!({ "Records": [record] })).expect("a stream event")
}

async fn no_stream_failures(api: &TestApi) {
    let root = api.base_url.trim_end_matches("/api");
    let failures: Value =
        reqwest::get(format!("{root}/_local/stream-failures")).await.expect("read").json().await.expect("JSON");
    assert_eq!(failures["failures"], json!([]), "batches the consumers gave up on");
}

#[tokio::test]
async fn given_chunks_of_five_when_a_popular_article_is_deleted_then_its_purge_finishes_over_several_invocations_exactly()
 {
    // Given jake's article, favorited by 23 fans (each also favorites another of his articles), 12
    // of whom commented, in the feed of anne, who follows jake
    let api = api_with_small_chunks().await;
    let (jake, anne) = (api.register("jake").await, api.register("anne").await);
    let kept = create_article(&api, &jake, "Kept", &[]).await;
    let popular = create_article(&api, &jake, "Popular", &[]).await;
    follow(&api, &anne, "jake").await;
    let adapters = &api.adapters;
    let summary = |slug: String| async move {
        let slug = Slug::parse(&slug).expect("slug");
        adapters.articles().find_summary_by_slug(&slug).await.expect("read").expect("exists")
    };
    let (kept_article, article) = (summary(kept).await, summary(popular.clone()).await);
    let comment = AddComment::new(
        adapters.articles(),
        adapters.comments(),
        adapters.relations(),
        adapters.abuse_limits().account_writes,
    );
    let mut fans = Vec::new();
    for n in 0..FANS {
        let fan = User::register(
            Username::parse(&format!("fan{n}")).expect("valid"),
            Email::parse(&format!("fan{n}@example.com")).expect("valid"),
            PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        );
        adapters.users().insert(&fan, None).await.expect("fan");
        for favorited in [&kept_article, &article] {
            let charge = seeding_charge(WriteAction::Favorite);
            adapters.favorites().favorite(fan.id, ArticleRef::from(favorited), &charge).await.expect("favorited");
        }
        if n < COMMENTS {
            comment.execute(fan.id, &popular, Some("Nice".into())).await.expect("commented");
        }
        fans.push((fan.id, fan.username.as_str().to_owned()));
    }
    let id = article.id.to_string();

    // When jake deletes it, and its removal record is delivered twice more at once to a consumer of
    // the test's own (besides the gateway's delivery)
    common::delete_article(&api, &jake, &popular).await;
    let removal = || {
        let keys = json!({"PK": {"S": format!("ARTICLE#{id}")}, "SK": {"S": "ARTICLE"}});
        event("REMOVE", keys, Some(json!({"author_id": {"S": article.author_id.to_string()}})), None)
    };
    let consumer = purge_deleted_article::PurgeConsumer::new(adapters).expect("consumer");
    let (first, second) = futures::join!(
        process_batch(&consumer, removal(), Invocation::starting_now(None)),
        process_batch(&consumer, removal(), Invocation::starting_now(None)),
    );
    assert!(first.batch_item_failures.is_empty() && second.batch_item_failures.is_empty());

    // Then the purge finishes: no favorite, comment or pending-purge entry is left
    eventually("the purge", || async {
        let mut favorites = 0;
        for (fan, _) in &fans {
            favorites += items_in(&api, &format!("USER#{fan}"), &format!("FAV#{id}")).await;
        }
        let comments = items_in(&api, &format!("ARTICLE#{id}"), "").await;
        let pending = items_in(&api, "ARTICLE_PURGES", &id).await;
        if favorites + comments + pending == 0 {
            Ok(())
        } else {
            Err(format!("{favorites} favorites, {comments} comments, {pending} pending"))
        }
    })
    .await;
    // ...with every count exact: each fan has the other favorite only, anne's feed the kept article
    for (_, fan) in &fans {
        let listed = api.get(&format!("/articles?favorited={fan}"), None).await;
        assert_eq!(listed.body["articlesCount"], 1, "{fan}: {:?}", listed.body);
    }
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!(
        (feed.body["articlesCount"].as_u64(), feed.body["articles"].as_array().map(Vec::len)),
        (Some(1), Some(1))
    );
    assert_eq!(items_in(&api, &format!("FEED#{}", user_id(&api, "anne").await), "").await, 1);
    no_stream_failures(&api).await;

    // When the removal is delivered once more, after the end
    let late = process_batch(&consumer, removal(), Invocation::starting_now(None)).await;

    // Then it changes nothing
    assert!(late.batch_item_failures.is_empty());
    let listed = api.get(&format!("/articles?favorited={}", fans[0].1), None).await;
    assert_eq!(listed.body["articlesCount"], 1);
}

/// Publishes `count` articles by `author` through the use case the API runs (seeding, without a
/// request each).
async fn publish_straight(api: &TestApi, author: UserId, count: usize) {
    let adapters = &api.adapters;
    let create = CreateArticle::new(adapters.articles(), adapters.relations(), adapters.abuse_limits().account_writes);
    for n in 0..count {
        let draft = ArticleDraft {
            title: Some(format!("Article {n} by {author}")),
            description: Some("d".into()),
            body: Some("b".into()),
            tag_list: None,
        };
        create.execute(author, draft).await.expect("published");
    }
}

async fn user_id(api: &TestApi, username: &str) -> UserId {
    let username = Username::parse(username).expect("valid");
    let user = conduit_domain::ports::UserReader::find_by_username(&api.adapters.users(), &username).await;
    user.expect("read").expect("exists").id
}

#[tokio::test]
async fn given_chunks_of_five_when_anne_unfollows_an_author_with_17_articles_in_her_feed_then_the_clearing_finishes_over_several_invocations()
 {
    // Given anne following jake (17 articles in her feed) and bob (3)
    let api = api_with_small_chunks().await;
    let anne = api.register("anne").await;
    for (author, articles) in [("jake", ENDED_ENTRIES), ("bob", KEPT_ENTRIES)] {
        api.register(author).await;
        publish_straight(&api, user_id(&api, author).await, articles).await;
    }
    follow(&api, &anne, "jake").await;
    follow(&api, &anne, "bob").await;
    let reader = user_id(&api, "anne").await;
    assert_eq!(items_in(&api, &format!("FEED#{reader}"), "").await, ENDED_ENTRIES + KEPT_ENTRIES);

    // When she unfollows jake
    unfollow(&api, &anne, "jake").await;

    // Then at once her feed shows bob's articles only, and within 30 s jake's entries and the
    // ended follow's marker are gone
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!(feed.body["articlesCount"].as_u64(), Some(KEPT_ENTRIES as u64));
    let marker_prefix = format!("FEED_ENDED#{}#", user_id(&api, "jake").await);
    let marker = {
        let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
        let output = client
            .query()
            .table_name(api.adapters.table().name())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(format!("USER#{reader}")))
            .expression_attribute_values(":prefix", AttributeValue::S(marker_prefix.clone()))
            .consistent_read(true)
            .send()
            .await
            .expect("queried");
        output.items().first().cloned()
    };
    eventually("the clearing", || async {
        let (entries, markers) = (
            items_in(&api, &format!("FEED#{reader}"), "").await,
            items_in(&api, &format!("USER#{reader}"), &marker_prefix).await,
        );
        if (entries, markers) == (KEPT_ENTRIES, 0) {
            Ok(())
        } else {
            Err(format!("{entries} entries, {markers} markers"))
        }
    })
    .await;
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!(
        (feed.body["articlesCount"].as_u64(), feed.body["articles"].as_array().map(Vec::len)),
        (Some(3), Some(3))
    );
    no_stream_failures(&api).await;

    // When the marker's creation is delivered again after the end
    let marker = marker.expect("the unfollow left a marker");
    let sort = marker["SK"].as_s().expect("a sort key").clone();
    let period = sort.rsplit('#').next().expect("the period").to_owned();
    let keys = json!({"PK": {"S": format!("USER#{reader}")}, "SK": {"S": sort}});
    let image = json!({
        "PK": keys["PK"], "SK": keys["SK"],
        "author_id": {"S": user_id(&api, "jake").await.to_string()}, "period": {"S": period}
    });
    let consumer = update_feeds::FeedConsumer::new(&api.adapters).expect("consumer");
    let replayed =
        process_batch(&consumer, event("INSERT", keys, None, Some(image)), Invocation::starting_now(None)).await;
    assert!(replayed.batch_item_failures.is_empty());

    // Then it changes nothing
    assert_eq!(items_in(&api, &format!("FEED#{reader}"), "").await, KEPT_ENTRIES);
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!(feed.body["articlesCount"].as_u64(), Some(KEPT_ENTRIES as u64));
}
