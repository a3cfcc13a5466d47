//! Migration 0004 through the whole API: tag counters written before the index of tags by use
//! are not listed until the migration puts them in it; a counter the release writes joins the
//! index with its first change.

use aws_sdk_dynamodb::Client;
use conduit_api_tests::{TestApi, forget_migration, take_tag_counters_out_of_their_index};
use conduit_migrations::Migrator;
use serde_json::json;

const MIGRATION: &str = "0004-rank-tags-by-use";

/// Takes every tag counter out of the index and forgets the migration, as if the release before it
/// had written the table.
async fn turn_into_counters_outside_the_index(client: &Client, table: &str) {
    take_tag_counters_out_of_their_index(client, table).await;
    forget_migration(client, table, MIGRATION).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_counters_from_before_the_index_when_the_migration_runs_then_every_tag_in_use_is_listed() {
    // Given two articles whose tags' counters are outside the index
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    for (title, tags) in [("One", json!(["dragons", "training"])), ("Two", json!(["dragons"]))] {
        let article = json!({"article": {"title": title, "description": "d", "body": "b", "tagList": tags}});
        assert_eq!(api.post("/articles", article, Some(&jake)).await.status, 201);
    }
    let (client, table) = (Client::new(api.adapters.aws_settings()), api.adapters.table_name().to_owned());
    turn_into_counters_outside_the_index(&client, &table).await;

    // When the release reads the tags before the migration, then it sees none of them
    assert_eq!(api.get("/tags", None).await.body, json!({"tags": []}));

    // When one of them changes (a new article uses it) and then the migration runs
    let article = json!({"article": {"title": "Three", "description": "d", "body": "b", "tagList": ["training"]}});
    assert_eq!(api.post("/articles", article, Some(&jake)).await.status, 201);
    let changed = api.get("/tags", None).await;
    let applied = Migrator::new(client.clone(), &table).up(&|_| {}).await.expect("migrated");

    // Then the changed tag joined the index at once, and after the migration every tag is listed
    assert_eq!(changed.body, json!({"tags": ["training"]}));
    assert_eq!(applied.iter().map(|applied| applied.id.as_str()).collect::<Vec<_>>(), [MIGRATION]);
    assert_eq!(api.get("/tags", None).await.body, json!({"tags": ["dragons", "training"]}));
}
