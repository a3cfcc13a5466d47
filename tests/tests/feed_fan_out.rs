//! Fan-out through the whole local stack: an article published by an author with a thousand
//! followers reaches every one of their feeds through the table's stream and `update-feeds`, each
//! once, and how long that takes (the feed's lag) is printed.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use conduit_api_tests::{TestApi, seeding_charge};
use conduit_domain::User;
use conduit_domain::ports::{FeedReader, FollowWriter, UserReader, UserWriter};
use conduit_domain::values::{Email, PasswordHash, Username};
use conduit_domain::write_quotas::WriteAction;
use futures::StreamExt;
use serde_json::json;

const FOLLOWERS: usize = 1_000;
/// Writes in flight while seeding.
const SEEDING_CONCURRENCY: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_article_reaches_a_thousand_followers_feeds_once_each() {
    // Given jake and a thousand followers (written straight to the table), on an engine of its own
    let api = TestApi::start_alone().await;
    let jake_token = api.register("jake").await;
    let jake = api.adapters.users().find_by_username(&Username::parse("jake").expect("valid")).await.expect("read");
    let jake = jake.expect("exists").id;
    let hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    let followers: Vec<User> = (0..FOLLOWERS)
        .map(|n| {
            let username = Username::parse(&format!("follower{n:04}")).expect("valid");
            User::register(username, Email::parse(&format!("follower{n:04}@example.com")).expect("valid"), hash.clone())
        })
        .collect();
    let (users, follows) = (api.adapters.users(), api.adapters.follows());
    let seeded = futures::stream::iter(&followers)
        .map(|follower| {
            let (users, follows) = (&users, &follows);
            async move {
                users.insert(follower, None).await?;
                follows.follow(follower.id, jake, &seeding_charge(WriteAction::Follow)).await
            }
        })
        .buffer_unordered(SEEDING_CONCURRENCY);
    assert!(seeded.collect::<Vec<_>>().await.iter().all(Result::is_ok), "followers seeded");
    let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
    let table = api.adapters.table_name().to_owned();

    // When jake publishes
    let published = Instant::now();
    let created = api
        .post("/articles", json!({"article": {"title": "News", "description": "d", "body": "b"}}), Some(&jake_token))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    // Then within 30 s every follower's feed counts it, once
    loop {
        let counts = feed_counts(&client, &table, &followers).await;
        if counts.iter().all(|count| *count == 1) {
            break;
        }
        assert!(counts.iter().all(|count| *count <= 1), "an article counted twice: {counts:?}");
        assert!(
            published.elapsed() < Duration::from_secs(30),
            "after 30 s: {} feeds have it",
            counts.iter().sum::<u64>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lag = published.elapsed();
    let page = conduit_domain::values::Page { limit: 20, offset: 0 };
    for follower in [&followers[0], &followers[FOLLOWERS - 1]] {
        let feed = api.adapters.feed().feed(follower.id, page).await.expect("feed read");
        assert_eq!((feed.summaries.len(), feed.total), (1, 1));
    }
    println!("fan-out to {FOLLOWERS} followers: in every feed {:.2} s after publishing", lag.as_secs_f64());
}

/// Each follower's feed count, read straight from the table (consistent, a hundred at a time).
async fn feed_counts(client: &aws_sdk_dynamodb::Client, table: &str, followers: &[User]) -> Vec<u64> {
    let mut counts = Vec::new();
    for chunk in followers.chunks(100) {
        let keys = chunk
            .iter()
            .map(|follower| {
                std::collections::HashMap::from([
                    ("PK".to_owned(), AttributeValue::S(format!("USER#{}", follower.id))),
                    ("SK".to_owned(), AttributeValue::S("FEED".to_owned())),
                ])
            })
            .collect();
        let request = KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().expect("keys");
        let output = client.batch_get_item().request_items(table, request).send().await.expect("read");
        let items = output.responses.and_then(|mut responses| responses.remove(table)).unwrap_or_default();
        let counted = items.iter().filter_map(|item| item.get("count")?.as_n().ok()?.parse::<u64>().ok());
        let mut chunk_counts: Vec<u64> = counted.collect();
        chunk_counts.resize(chunk.len(), 0);
        counts.extend(chunk_counts);
    }
    counts
}
