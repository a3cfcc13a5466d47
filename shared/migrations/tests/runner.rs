//! The migration runner against DynamoDB Local: applying, recording, dry runs, resuming after an
//! interruption, the lease, and never overwriting what the API wrote meanwhile.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use conduit_dynamodb_local::{TestTable, test_table};
use conduit_migrations::catalog::CATALOG;
use conduit_migrations::catalog::m0001_shard_all_articles::first_layout_article;
use conduit_migrations::{Item, Migration, MigrationError, Migrator, Rewrite, Settings, State};

async fn store_first_layout_article(client: &Client, table: &str, id: &str) {
    let article = first_layout_article(id);
    client.put_item().table_name(table).set_item(Some(article)).send().await.expect("stored");
}

async fn table_with_first_layout_articles(count: usize) -> (TestTable, Vec<String>) {
    let table = test_table().await;
    let mut ids = Vec::new();
    for _ in 0..count {
        let id = ulid::Ulid::new().to_string();
        store_first_layout_article(&table.client, &table.name, &id).await;
        ids.push(id);
    }
    (table, ids)
}

async fn item(client: &Client, table: &str, partition: &str, sort: &str) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(partition.to_owned()))
        .key("SK", AttributeValue::S(sort.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read")
        .item
}

/// How many of `ids` carry a shard of the all-articles list.
async fn sharded(client: &Client, table: &str, ids: &[String]) -> usize {
    let mut count = 0;
    for id in ids {
        let summary = item(client, table, &format!("ARTICLE#{id}"), "ARTICLE").await.expect("article");
        count += usize::from(summary.contains_key("GSI3PK"));
    }
    count
}

fn quiet(_: &conduit_migrations::Progress) {}

#[tokio::test]
async fn up_applies_each_pending_migration_once_and_records_it_in_the_table() {
    // Given a table whose 12 articles are in the first layout
    let (table, ids) = table_with_first_layout_articles(12).await;
    let migrator = Migrator::new(table.client.clone(), &table.name);
    assert!(matches!(migrator.status().await.expect("status").migrations[0].state, State::Pending));

    // When the migrations are applied, then applied again
    let applied = migrator.up(&quiet).await.expect("applied");
    let again = migrator.up(&quiet).await.expect("nothing to do");

    // Then every article gained its shard, the first run says so, the second does nothing
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 12);
    assert_eq!(applied.len(), CATALOG.len());
    assert_eq!((applied[0].id.as_str(), applied[0].rewritten), ("0001-shard-all-articles", 12));
    assert!(applied[0].scanned >= 12);
    assert!(again.is_empty());
    let status = migrator.status().await.expect("status");
    assert!(status.migrations.iter().all(|migration| matches!(migration.state, State::Applied(_))));
    assert_eq!(status.lease, None, "the lease is given back");
}

#[tokio::test]
async fn a_dry_run_reports_what_would_change_and_writes_nothing() {
    // Given a table with 3 articles in the first layout
    let (table, ids) = table_with_first_layout_articles(3).await;
    let migrator = Migrator::new(table.client.clone(), &table.name);

    // When a dry run looks at it
    let reports = migrator.dry_run().await.expect("dry run");

    // Then it names the 3 rewrites (the later migrations find nothing of theirs in these
    // articles), and the table is as it was
    assert_eq!(reports.len(), CATALOG.len());
    assert!(reports[1..].iter().all(|report| report.would_rewrite == 0), "{reports:?}");
    assert_eq!((reports[0].id, reports[0].would_rewrite, reports[0].scanned), ("0001-shard-all-articles", 3, 3));
    assert_eq!(reports[0].examples.len(), 3);
    assert!(reports[0].examples.iter().all(|example| example.contains("/ ARTICLE: set GSI3PK = \"ARTICLES#")));
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 0);
    assert!(matches!(migrator.status().await.expect("status").migrations[0].state, State::Pending));
}

#[tokio::test]
async fn a_new_table_is_recorded_as_having_every_migration() {
    // Given a table just created from the current definition
    let table = test_table().await;
    let migrator = Migrator::new(table.client.clone(), &table.name);

    // When it is baselined (twice: it is idempotent)
    migrator.baseline().await.expect("baselined");
    migrator.baseline().await.expect("baselined again");

    // Then every migration counts as applied and up finds nothing to do
    let status = migrator.status().await.expect("status");
    assert!(
        status
            .migrations
            .iter()
            .all(|migration| matches!(&migration.state, State::Applied(applied) if applied.baseline))
    );
    assert!(migrator.up(&quiet).await.expect("up").is_empty());
}

#[tokio::test]
async fn an_interrupted_run_blocks_others_only_until_its_lease_expires_and_is_resumed_from_its_checkpoints() {
    // Given 60 first-layout articles, and a run in small pages that is killed after 3 checkpoints
    let (table, ids) = table_with_first_layout_articles(60).await;
    let settings = Settings { segments: 3, page_size: 5, lease: Duration::from_secs(2), deadline: None };
    let migrator = Arc::new(Migrator::new(table.client.clone(), &table.name).with_settings(settings.clone()));
    let checkpoints = Arc::new(AtomicUsize::new(0));
    let (killed_tx, killed_rx) = tokio::sync::oneshot::channel::<()>();
    let killed_tx = std::sync::Mutex::new(Some(killed_tx));
    let run = {
        let (migrator, checkpoints) = (migrator.clone(), checkpoints.clone());
        tokio::spawn(async move {
            let observe = move |_: &conduit_migrations::Progress| {
                if checkpoints.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                    if let Some(killed) = killed_tx.lock().expect("lock").take() {
                        let _ = killed.send(());
                    }
                    // Stall here so the kill lands mid-run.
                    std::thread::sleep(Duration::from_millis(50));
                }
            };
            migrator.up(&observe).await
        })
    };
    killed_rx.await.expect("three checkpoints");
    run.abort();
    let _ = run.await;

    // When another run starts at once (before the checks below, which take longer than the
    // lease on a loaded machine), it is refused: the killed run's lease has not expired
    let refused = migrator.up(&quiet).await.expect_err("lease held");
    assert!(matches!(refused, MigrationError::LeaseHeld { .. }), "{refused}");

    // Then the table says the migration is in progress, part of it done
    let status = migrator.status().await.expect("status");
    let State::InProgress { segments: 3, scanned, .. } = status.migrations[0].state else {
        panic!("in progress expected: {:?}", status.migrations[0].state)
    };
    assert!(scanned > 0 && scanned < 60, "{scanned}");
    let done_before = sharded(&table.client, &table.name, &ids).await;
    assert!(done_before > 0 && done_before < 60, "{done_before}");

    // When a run starts after the lease expired, it resumes and finishes
    tokio::time::sleep(settings.lease + Duration::from_millis(200)).await;
    let applied = migrator.up(&quiet).await.expect("resumed");

    // Then every article is in its shard, and the record counts the whole table once
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 60);
    // Each item is counted once across both runs (the table also holds a few migration records).
    assert!((60..=64).contains(&applied[0].scanned), "{}", applied[0].scanned);
    assert!(matches!(migrator.status().await.expect("status").migrations[0].state, State::Applied(_)));
}

/// A migration for the runner's own tests: stamps each item with the title it saw.
struct StampTitle;

impl Migration for StampTitle {
    fn id(&self) -> &'static str {
        "9001-stamp-title"
    }

    fn description(&self) -> &'static str {
        "copy title into stamp"
    }

    fn rewrite(&self, item: &Item) -> Option<Rewrite> {
        let title = item.get("title")?.clone();
        (item.get("stamp") != Some(&title))
            .then(|| Rewrite::default().set("stamp", title.clone()).expecting("title", Some(title)))
    }
}

#[tokio::test]
async fn a_rewrite_never_overwrites_what_the_api_changed_meanwhile_nor_brings_back_a_deleted_item() {
    // Given two articles as the migration saw them, then changed by the API: one retitled, one deleted
    let (table, ids) = table_with_first_layout_articles(2).await;
    let (retitled, deleted) = (&ids[0], &ids[1]);
    let migrator = Migrator::new(table.client.clone(), &table.name);
    let seen_retitled =
        item(&table.client, &table.name, &format!("ARTICLE#{retitled}"), "ARTICLE").await.expect("item");
    let seen_deleted = item(&table.client, &table.name, &format!("ARTICLE#{deleted}"), "ARTICLE").await.expect("item");
    table
        .client
        .update_item()
        .table_name(&table.name)
        .key("PK", AttributeValue::S(format!("ARTICLE#{retitled}")))
        .key("SK", AttributeValue::S("ARTICLE".into()))
        .update_expression("SET title = :title")
        .expression_attribute_values(":title", AttributeValue::S("Changed by the API".into()))
        .send()
        .await
        .expect("retitled");
    let deleted_key = HashMap::from([
        ("PK".to_owned(), AttributeValue::S(format!("ARTICLE#{deleted}"))),
        ("SK".to_owned(), AttributeValue::S("ARTICLE".into())),
    ]);
    table.client.delete_item().table_name(&table.name).set_key(Some(deleted_key)).send().await.expect("deleted");

    // When the migration applies its rewrites to what it saw
    let wrote_retitled = migrator.apply_to(&StampTitle, &seen_retitled).await.expect("applied");
    let wrote_deleted = migrator.apply_to(&StampTitle, &seen_deleted).await.expect("applied");

    // Then the retitled one is stamped with its new title (re-read, not the stale one), and the
    // deleted one stays deleted
    assert!(wrote_retitled);
    let now = item(&table.client, &table.name, &format!("ARTICLE#{retitled}"), "ARTICLE").await.expect("item");
    assert_eq!(now.get("stamp"), Some(&AttributeValue::S("Changed by the API".into())));
    assert_eq!(now.get("title"), Some(&AttributeValue::S("Changed by the API".into())));
    assert!(!wrote_deleted);
    assert_eq!(item(&table.client, &table.name, &format!("ARTICLE#{deleted}"), "ARTICLE").await, None);
}

static STAMP_CATALOG: &[&dyn Migration] = &[&StampTitle];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_lost_its_lease_stops_at_its_next_checkpoint() {
    // Given a run that stalls after its first checkpoint for longer than its lease lasts
    let (table, _) = table_with_first_layout_articles(20).await;
    let settings = Settings { segments: 1, page_size: 5, lease: Duration::from_millis(300), deadline: None };
    let stalled =
        Migrator::new(table.client.clone(), &table.name).with_settings(settings.clone()).with_catalog(STAMP_CATALOG);
    let other = Migrator::new(table.client.clone(), &table.name).with_settings(settings).with_catalog(STAMP_CATALOG);
    let (stalling_tx, stalling_rx) = tokio::sync::oneshot::channel::<()>();
    let stalling_tx = std::sync::Mutex::new(Some(stalling_tx));
    let first = tokio::spawn(async move {
        let observe = move |_: &conduit_migrations::Progress| {
            if let Some(stalling) = stalling_tx.lock().expect("lock").take() {
                let _ = stalling.send(());
                std::thread::sleep(Duration::from_millis(1500));
            }
        };
        stalled.up(&observe).await
    });
    stalling_rx.await.expect("first checkpoint");

    // When another run takes the expired lease and finishes the work
    tokio::time::sleep(Duration::from_millis(500)).await;
    let applied = other.up(&quiet).await.expect("the other run takes over");

    // Then the other run applied the migration, and the stalled one stops at its next checkpoint
    assert_eq!(applied.len(), 1);
    let outcome = first.await.expect("joined");
    assert!(matches!(outcome, Err(MigrationError::LeaseLost)), "{outcome:?}");
}
