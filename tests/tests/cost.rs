//! What a read costs in DynamoDB capacity, and that it does not grow with the data.
//!
//! Each budget is the capacity one request may consume with the default page (20 articles):
//! the ids come from a keys-only index or small entry items (a fraction of a unit), the page's
//! summaries are batch-read (items under 4 KB: half a unit each, eventually consistent), and the
//! viewer relations are one consistent batch read (one unit per author, follow and favorite
//! item). The unfiltered list reads the summaries straight from its sharded index instead: a
//! Query is billed by the size it reads, 4 KB at a time, not by the item. Bodies are never read
//! by lists. The numbers are DynamoDB Local's own accounting.

use conduit_api_tests::{CapacityUsage, TestApi};
use futures::future::join_all;
use serde_json::json;

const PAGE: usize = 20;

/// The most a request of each kind may consume, in capacity units (reads + writes).
/// Measured: 13.5 by tag (15.5 by author: one more read resolves the username). Keys ~1,
/// counter 0.5-1, 20 summaries ~10, relations (authors, follows, favorites, consistent) the rest.
/// The unfiltered list, 7: eight shard queries of about ten summaries (half a unit each), the
/// legacy partition and the counter (half a unit each), then the same relations.
const LIST_BUDGET: f64 = 20.0;
/// Measured: 15 for two followed authors: one follows query, one keys-only query per author,
/// the authors' counters, then the same page reads as a list.
const FEED_BUDGET: f64 = 20.0;
/// Measured: 5: the slug claim, summary and body (consistent), author and favorite and follow.
const ARTICLE_BUDGET: f64 = 6.0;

struct World {
    api: TestApi,
    reader: String,
    a_slug: String,
}

async fn publish_many(api: &TestApi, token: &str, author: &str, count: usize, offset: usize) {
    for chunk in (offset..offset + count).collect::<Vec<_>>().chunks(10) {
        join_all(chunk.iter().map(|n| {
            let body = json!({"article": {
                "title": format!("{author} article {n}"),
                "description": "A description of reasonable length for a list page.",
                "body": "A body that lists never read. ".repeat(40),
                "tagList": ["common", format!("tag{}", n % 5)],
            }});
            api.post("/articles", body, Some(token))
        }))
        .await;
    }
}

async fn world() -> World {
    let api = TestApi::start().await;
    let alice = api.register("alice").await;
    let bob = api.register("bob").await;
    let reader = api.register("reader").await;
    api.post("/profiles/alice/follow", json!({}), Some(&reader)).await;
    api.post("/profiles/bob/follow", json!({}), Some(&reader)).await;
    publish_many(&api, &alice, "alice", 50, 0).await;
    publish_many(&api, &bob, "bob", 50, 0).await;
    let a_slug = api.get("/articles?author=alice&limit=1", None).await.body["articles"][0]["slug"]
        .as_str()
        .expect("slug")
        .to_owned();
    World { api, reader, a_slug }
}

fn total(usage: CapacityUsage) -> f64 {
    usage.read_units + usage.write_units
}

async fn costs(world: &World) -> Vec<(&'static str, f64, f64)> {
    let api = &world.api;
    let reader = Some(world.reader.as_str());
    let mut measured = Vec::new();
    for (name, path, budget) in [
        ("list", "/articles".to_owned(), LIST_BUDGET),
        ("list by tag", "/articles?tag=common".to_owned(), LIST_BUDGET),
        ("list by author", "/articles?author=alice".to_owned(), LIST_BUDGET),
        ("feed", "/articles/feed".to_owned(), FEED_BUDGET),
        ("get article", format!("/articles/{}", world.a_slug), ARTICLE_BUDGET),
    ] {
        let (reply, usage) = api.measure("GET", &path, reader).await;
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
        if let Some(articles) = reply.body["articles"].as_array() {
            assert_eq!(articles.len(), PAGE, "{name}");
        }
        measured.push((name, total(usage), budget));
    }
    measured
}

#[tokio::test]
async fn reads_stay_within_budget_and_do_not_grow_with_the_data() {
    let world = world().await;
    let before = costs(&world).await;

    // Four times the data: the same pages must cost the same.
    let alice = world
        .api
        .post("/users/login", json!({"user": {"email": "alice@example.com", "password": "password-alice"}}), None)
        .await;
    let alice = alice.body["user"]["token"].as_str().expect("token").to_owned();
    let bob = world
        .api
        .post("/users/login", json!({"user": {"email": "bob@example.com", "password": "password-bob"}}), None)
        .await;
    let bob = bob.body["user"]["token"].as_str().expect("token").to_owned();
    publish_many(&world.api, &alice, "alice", 150, 50).await;
    publish_many(&world.api, &bob, "bob", 150, 50).await;
    let after = costs(&world).await;

    for ((name, small, budget), (_, large, _)) in before.iter().zip(&after) {
        println!("{name}: {small:.1} units with 100 articles, {large:.1} with 400 (budget {budget})");
        assert!(*large <= *budget, "{name} costs {large} units, over its budget of {budget}");
        assert!((large - small).abs() < 1.0, "{name} grew with the data: {small} -> {large}");
    }
}

#[tokio::test]
async fn an_offset_costs_only_the_keys_it_skips() {
    let world = world().await;

    let (_, first) = world.api.measure("GET", "/articles?limit=20", None).await;
    let (reply, deep) = world.api.measure("GET", "/articles?limit=20&offset=80", None).await;

    assert_eq!(reply.body["articles"].as_array().expect("articles").len(), 20);
    // 80 more entries read from the sharded index (with its shards' margin, about twice that),
    // billed by size: a few units, not 80 more items.
    println!("offset 0: {:.1} units, offset 80: {:.1} units", total(first), total(deep));
    assert!(total(deep) - total(first) <= 4.0, "{} -> {}", total(first), total(deep));
}

/// Sends a request with a JSON body through the in-process gateway, measuring it.
async fn measured_call(api: &TestApi, method: &str, path: &str, body: serde_json::Value, token: &str) -> f64 {
    let (reply, usage) = api.measure_with_body(method, path, Some(body), Some(token)).await;
    assert!(reply.status < 300, "{method} {path}: {} {:?}", reply.status, reply.body);
    total(usage)
}

#[tokio::test]
async fn every_endpoint_costs_a_bounded_number_of_units() {
    let world = world().await;
    let api = &world.api;
    let reader = world.reader.as_str();
    let slug = world.a_slug.as_str();
    let mut table = Vec::new();
    let empty = json!({});
    let new_article = json!({"article": {"title": "Measured", "description": "d", "body": "b", "tagList": ["x", "y"]}});
    for (method, path, body) in [
        (
            "POST",
            "/users".to_owned(),
            json!({"user": {"username": "newbie", "email": "newbie@example.com", "password": "password-1"}}),
        ),
        (
            "POST",
            "/users/login".to_owned(),
            json!({"user": {"email": "reader@example.com", "password": "password-reader"}}),
        ),
        ("GET", "/user".to_owned(), empty.clone()),
        ("PUT", "/user".to_owned(), json!({"user": {"bio": "measured"}})),
        ("GET", "/profiles/alice".to_owned(), empty.clone()),
        ("POST", "/profiles/newbie/follow".to_owned(), empty.clone()),
        ("DELETE", "/profiles/newbie/follow".to_owned(), empty.clone()),
        ("GET", "/articles".to_owned(), empty.clone()),
        ("GET", "/articles/feed".to_owned(), empty.clone()),
        ("GET", format!("/articles/{slug}"), empty.clone()),
        ("POST", "/articles".to_owned(), new_article),
        ("PUT", "/articles/measured".to_owned(), json!({"article": {"title": "Measured again"}})),
        ("POST", format!("/articles/{slug}/favorite"), empty.clone()),
        ("DELETE", format!("/articles/{slug}/favorite"), empty.clone()),
        ("POST", format!("/articles/{slug}/comments"), json!({"comment": {"body": "Nice"}})),
        ("GET", format!("/articles/{slug}/comments"), empty.clone()),
        ("DELETE", format!("/articles/{slug}/comments/1"), empty.clone()),
        ("DELETE", "/articles/measured-again".to_owned(), empty.clone()),
        ("GET", "/tags".to_owned(), empty.clone()),
    ] {
        let units = measured_call(api, method, &path, body, reader).await;
        table.push(format!("{method} {path}: {units:.1}"));
        // No single request of the API may cost more than a page of articles does.
        assert!(units <= LIST_BUDGET, "{method} {path} costs {units} units");
    }
    println!("{}", table.join("\n"));
}
