//! The first data migration through the whole API: a table of the first layout (every article
//! under one index partition) is migrated to the write-sharded all-articles list while the API
//! serves it, with the run interrupted half-way and resumed, and every page of the list is the
//! same before, during and after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::{TestApi, forget_migration};
use conduit_migrations::{Migrator, Progress, Settings, State};
use serde_json::json;

const ARTICLES: usize = 45;
/// Page sizes whose pages, at every offset, are compared.
const PAGE_SIZES: [usize; 3] = [1, 7, 20];
const MIGRATION: &str = "0001-shard-all-articles";

type Key = HashMap<String, AttributeValue>;

fn dynamodb(api: &TestApi) -> (Client, String) {
    (Client::new(api.adapters.aws_settings()), api.adapters.table_name().to_owned())
}

/// Every article summary's key.
async fn article_keys(client: &Client, table: &str) -> Vec<Key> {
    let items: Vec<Key> = client
        .scan()
        .table_name(table)
        .filter_expression("SK = :article")
        .expression_attribute_values(":article", AttributeValue::S("ARTICLE".into()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scanned");
    items.into_iter().map(|item| item.into_iter().filter(|(name, _)| name == "PK" || name == "SK").collect()).collect()
}

/// Moves every article back to the first layout and forgets the migration, as if the table had
/// been written by the release before it.
async fn turn_into_first_layout(client: &Client, table: &str) {
    for key in article_keys(client, table).await {
        let id = key["PK"].as_s().expect("text").trim_start_matches("ARTICLE#").to_owned();
        client
            .update_item()
            .table_name(table)
            .set_key(Some(key))
            .update_expression("SET GSI2PK = :all, GSI2SK = :id REMOVE GSI3PK, GSI3SK")
            .expression_attribute_values(":all", AttributeValue::S("ARTICLES".into()))
            .expression_attribute_values(":id", AttributeValue::S(id))
            .send()
            .await
            .expect("moved back");
    }
    forget_migration(client, table, MIGRATION).await;
}

/// How many articles are in a shard of the sharded list.
async fn sharded(client: &Client, table: &str) -> usize {
    let mut count = 0;
    for key in article_keys(client, table).await {
        let item = client.get_item().table_name(table).set_key(Some(key)).send().await.expect("read").item;
        count += usize::from(item.is_some_and(|item| item.contains_key("GSI3PK")));
    }
    count
}

/// Every page of the all-articles list, at every page size: (limit, offset) → (slugs, total).
async fn every_page(api: &TestApi) -> Vec<((usize, usize), (Vec<String>, u64))> {
    let mut pages = Vec::new();
    for limit in PAGE_SIZES {
        for offset in (0..=ARTICLES).step_by(limit) {
            let reply = api.get(&format!("/articles?limit={limit}&offset={offset}"), None).await;
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            let slugs = reply.body["articles"]
                .as_array()
                .expect("articles")
                .iter()
                .map(|article| article["slug"].as_str().expect("slug").to_owned())
                .collect();
            pages.push(((limit, offset), (slugs, reply.body["articlesCount"].as_u64().expect("count"))));
        }
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_answers_the_same_before_during_and_after_an_interrupted_and_resumed_migration() {
    // Given 45 articles by 3 authors, stored in the first layout
    let api = TestApi::start().await;
    for author in 0..3 {
        let token = api.register(&format!("author{author}")).await;
        for number in 0..ARTICLES / 3 {
            let article =
                json!({"article": {"title": format!("Article {number} by {author}"), "description": "d", "body": "b"}});
            assert_eq!(api.post("/articles", article, Some(&token)).await.status, 201);
        }
    }
    let (client, table) = dynamodb(&api);
    turn_into_first_layout(&client, &table).await;
    assert_eq!(sharded(&client, &table).await, 0);
    let before = every_page(&api).await;
    assert_eq!(before[0].1.1, ARTICLES as u64);
    assert_eq!(
        before.iter().filter(|((limit, _), _)| *limit == 1).filter(|(_, (slugs, _))| !slugs.is_empty()).count(),
        ARTICLES
    );

    // When the migration runs in small pages and is killed after a few checkpoints
    let settings = Settings { segments: 3, page_size: 4, lease: Duration::from_secs(1), deadline: None };
    let migrator = Arc::new(Migrator::new(client.clone(), &table).with_settings(settings.clone()));
    let (killed_tx, killed_rx) = tokio::sync::oneshot::channel::<()>();
    let killed_tx = Mutex::new(Some(killed_tx));
    let checkpoints = Mutex::new(0);
    let run = {
        let migrator = migrator.clone();
        tokio::spawn(async move {
            let observe = move |_: &Progress| {
                let mut seen = checkpoints.lock().expect("lock");
                *seen += 1;
                if *seen == 4 {
                    if let Some(killed) = killed_tx.lock().expect("lock").take() {
                        let _ = killed.send(());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            };
            migrator.up(&observe).await
        })
    };
    killed_rx.await.expect("four checkpoints");
    run.abort();
    let _ = run.await;

    // Then half-way, some articles are sharded and some not, and every page is the same
    let migrated_half_way = sharded(&client, &table).await;
    assert!(0 < migrated_half_way && migrated_half_way < ARTICLES, "{migrated_half_way}");
    assert!(matches!(migrator.status().await.expect("status").migrations[0].state, State::InProgress { .. }));
    assert_eq!(every_page(&api).await, before, "during the migration");

    // When it is resumed (once the killed run's lease expired) and finishes
    tokio::time::sleep(settings.lease + Duration::from_millis(200)).await;
    let applied = migrator.up(&|_| {}).await.expect("resumed");

    // Then every article is in its shard, and every page is still the same
    assert_eq!(applied.iter().map(|applied| applied.id.as_str()).collect::<Vec<_>>(), [MIGRATION]);
    assert_eq!(sharded(&client, &table).await, ARTICLES);
    assert_eq!(every_page(&api).await, before, "after the migration");
}
