//! Migration 0003 through the whole API: follows stored before feeds were written on publish (no
//! period, no marker) show nothing in the feed; once the migration ran, each has a pull marker and
//! its author's articles are in the feed, new ones included, with exact totals; unfollowing such a
//! follow takes the author out at once.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::{TestApi, forget_migration};
use conduit_migrations::Migrator;
use serde_json::json;

const MIGRATION: &str = "0003-pull-earlier-follows";

/// A follow as the releases before fan-out feeds stored it: the key, nothing else.
async fn follow_as_before(client: &Client, table: &str, reader: &str, author: &str) {
    client
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(format!("USER#{reader}")))
        .item("SK", AttributeValue::S(format!("FOLLOWS#{author}")))
        .send()
        .await
        .expect("follow written");
}

async fn id_of(api: &TestApi, username: &str) -> String {
    use conduit_domain::ports::UserReader;
    let username = conduit_domain::values::Username::parse(username).expect("valid");
    api.adapters.users().find_by_username(&username).await.expect("read").expect("exists").id.to_string()
}

#[tokio::test]
async fn follows_from_before_fan_out_feeds_are_in_the_feed_once_migrated() {
    // Given anne, who followed jake and bob before feeds were written on publish
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let bob = api.register("bob").await;
    let anne = api.register("anne").await;
    for (token, title) in [(&jake, "By jake"), (&bob, "By bob"), (&jake, "Jake again")] {
        let created = api
            .post("/articles", json!({"article": {"title": title, "description": "d", "body": "b"}}), Some(token))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
    }
    let (client, table) = (Client::new(api.adapters.aws_settings()), api.adapters.table_name().to_owned());
    let anne_id = id_of(&api, "anne").await;
    for author in ["jake", "bob"] {
        follow_as_before(&client, &table, &anne_id, &id_of(&api, author).await).await;
    }
    forget_migration(&client, &table, MIGRATION).await;
    assert_eq!(api.get("/articles/feed", Some(&anne)).await.body["articlesCount"], 0, "no marker yet");

    // When the migration runs, and runs again
    let applied = Migrator::new(client.clone(), &table).up(&|_| {}).await.expect("migrated");
    forget_migration(&client, &table, MIGRATION).await;
    Migrator::new(client.clone(), &table).up(&|_| {}).await.expect("migrated again");

    // Then her feed has the three articles, newest first, and the profiles say she follows them
    assert_eq!(applied.iter().map(|applied| applied.id.as_str()).collect::<Vec<_>>(), [MIGRATION]);
    let feed = api.get("/articles/feed", Some(&anne)).await;
    let titles: Vec<&str> = feed.body["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["title"].as_str().expect("title"))
        .collect();
    assert_eq!((titles, &feed.body["articlesCount"]), (vec!["Jake again", "By bob", "By jake"], &json!(3)));
    assert_eq!(api.get("/profiles/jake", Some(&anne)).await.body["profile"]["following"], true);

    // ...a new article of jake's is in it at once (pulled, not fanned out)
    api.post("/articles", json!({"article": {"title": "Jake new", "description": "d", "body": "b"}}), Some(&jake))
        .await;
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!((&feed.body["articles"][0]["title"], &feed.body["articlesCount"]), (&json!("Jake new"), &json!(4)));

    // ...and unfollowing jake takes him out at once
    let unfollowed = api.call("DELETE", "/profiles/jake/follow", None, Some(&anne)).await;
    assert_eq!(unfollowed.status, 200);
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!((&feed.body["articles"][0]["title"], &feed.body["articlesCount"]), (&json!("By bob"), &json!(1)));
}
