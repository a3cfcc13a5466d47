//! Migration 0002 through the whole API: slug claims written before claims named the author
//! still resolve (one round trip more), and once the migration ran they name it, so an anonymous
//! article read is back to two round trips, with the same answer.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::{TestApi, forget_migration};
use conduit_migrations::Migrator;
use serde_json::json;

const MIGRATION: &str = "0002-slug-claims-name-author";

type Item = HashMap<String, AttributeValue>;

/// Every slug claim of the table.
async fn claims(client: &Client, table: &str) -> Vec<Item> {
    client
        .scan()
        .table_name(table)
        .filter_expression("SK = :claim")
        .expression_attribute_values(":claim", AttributeValue::S("SLUG".into()))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scanned")
}

/// Takes the author out of every claim and forgets the migration, as if the release before it
/// had written the table.
async fn turn_into_claims_without_author(client: &Client, table: &str) {
    for claim in claims(client, table).await {
        let key: Item = claim.into_iter().filter(|(name, _)| name == "PK" || name == "SK").collect();
        client
            .update_item()
            .table_name(table)
            .set_key(Some(key))
            .update_expression("REMOVE author_id")
            .send()
            .await
            .expect("author removed");
    }
    forget_migration(client, table, MIGRATION).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_from_before_the_migration_resolve_and_after_it_an_article_read_takes_two_round_trips() {
    // Given three articles whose slug claims do not name their author
    let api = TestApi::start().await;
    let author = api.register("claimant").await;
    let mut slugs = Vec::new();
    for title in ["First claim", "Second claim", "Third claim"] {
        let created = api
            .post("/articles", json!({"article": {"title": title, "description": "d", "body": "b"}}), Some(&author))
            .await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        slugs.push(created.body["article"]["slug"].as_str().expect("slug").to_owned());
    }
    let (client, table) = (Client::new(api.adapters.aws_settings()), api.adapters.table_name().to_owned());
    turn_into_claims_without_author(&client, &table).await;
    assert!(claims(&client, &table).await.iter().all(|claim| !claim.contains_key("author_id")));

    // When they are read anonymously
    let mut before = Vec::new();
    for slug in &slugs {
        let (reply, usage) = api.measure("GET", &format!("/articles/{slug}"), None).await;
        // Then they resolve, the author learnt from the summary one round trip later
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.body["article"]["author"]["username"], "claimant");
        assert_eq!(usage.round_trips, 3, "{slug}");
        before.push(reply.body);
    }

    // When the third is renamed before the migration runs (its new claim names the author, its
    // old one is gone), and then the migration runs
    let renamed = api
        .put(&format!("/articles/{}", slugs[2]), json!({"article": {"title": "Renamed claim"}}), Some(&author))
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    let renamed_slug = renamed.body["article"]["slug"].as_str().expect("slug").to_owned();
    let applied = Migrator::new(client.clone(), &table).up(&|_| {}).await.expect("migrated");

    // Then every claim names the author, the renamed article's old claim stays gone, and each
    // article reads the same in two round trips
    assert_eq!(applied.iter().map(|applied| applied.id.as_str()).collect::<Vec<_>>(), [MIGRATION]);
    let after_claims = claims(&client, &table).await;
    assert_eq!(after_claims.len(), 3, "{after_claims:?}");
    assert!(after_claims.iter().all(|claim| claim.contains_key("author_id")), "{after_claims:?}");
    assert_eq!(api.get(&format!("/articles/{}", slugs[2]), None).await.status, 404);
    for (slug, before) in slugs[..2].iter().zip(&before) {
        let (reply, usage) = api.measure("GET", &format!("/articles/{slug}"), None).await;
        assert_eq!(&reply.body, before);
        assert_eq!(usage.round_trips, 2, "{slug}");
    }
    let (reply, usage) = api.measure("GET", &format!("/articles/{renamed_slug}"), None).await;
    assert_eq!((reply.status, usage.round_trips), (200, 2));
}
