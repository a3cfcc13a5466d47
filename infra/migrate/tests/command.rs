//! `conduit-migrate`, the binary, against the test command's DynamoDB Local: what it prints for a
//! table created at the current layout, for one of an earlier layout (dry run, then up), and how
//! it refuses a wrong command line or an unreachable DynamoDB.

use std::process::{Command, Output};

use conduit_dynamodb_local::{TestTable, test_table};
use conduit_migrations::catalog::m0001_shard_all_articles::first_layout_article;

const BINARY: &str = env!("CARGO_BIN_EXE_conduit-migrate");

/// Runs the command with AWS settings pointing at `endpoint`, as a user would export them.
fn migrate(endpoint: &str, args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_PROFILE")
        .env("CONDUIT_AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("conduit-migrate ran")
}

fn endpoint() -> String {
    std::env::var("CONDUIT_TEST_DYNAMODB_ENDPOINT").expect("run by infra/test.sh")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn store_first_layout_articles(table: &TestTable, count: usize) {
    for _ in 0..count {
        let article = first_layout_article(&ulid::Ulid::new().to_string());
        table.client.put_item().table_name(&table.name).set_item(Some(article)).send().await.expect("stored");
    }
}

#[tokio::test]
async fn status_of_a_table_created_at_the_current_layout_lists_every_migration_as_applied() {
    // Given a table created as conduit-local creates one
    let table = test_table().await;
    conduit_migrations::Migrator::new(table.client.clone(), &table.name).baseline().await.expect("baselined");

    // When its status is asked for
    let printed = stdout(&migrate(&endpoint(), &["status", "--table", &table.name]));

    // Then every migration of the catalog is listed as applied
    assert!(printed.starts_with(&format!("table {}\n", table.name)), "{printed}");
    for migration in conduit_migrations::catalog::CATALOG {
        let line = printed.lines().find(|line| line.starts_with(migration.id())).expect("listed");
        assert!(line.contains("  applied ") && line.contains("(table created with it)"), "{line}");
    }
}

#[tokio::test]
async fn a_dry_run_then_up_on_a_table_of_the_first_layout() {
    // Given a table holding 3 articles of the first layout
    let table = test_table().await;
    store_first_layout_articles(&table, 3).await;
    let endpoint = endpoint();

    // When a dry run, then up, then status run
    let dry_run = stdout(&migrate(&endpoint, &["up", "--dry-run", "--table", &table.name]));
    let pending = stdout(&migrate(&endpoint, &["status", "--table", &table.name]));
    let up = stdout(&migrate(&endpoint, &["up", "--table", &table.name, "--segments", "2"]));
    let status = stdout(&migrate(&endpoint, &["status", "--table", &table.name]));
    let again = stdout(&migrate(&endpoint, &["up", "--table", &table.name]));

    // Then the dry run names the 3 rewrites and writes nothing; up applies them once
    assert!(dry_run.contains("dry run, nothing written"), "{dry_run}");
    assert!(dry_run.contains("0001-shard-all-articles  would rewrite 3 of 3 items"), "{dry_run}");
    assert_eq!(dry_run.lines().filter(|line| line.contains("/ ARTICLE: set GSI3PK = \"ARTICLES#")).count(), 3);
    assert!(pending.contains("0001-shard-all-articles  pending"), "{pending}");
    assert!(up.contains("0001-shard-all-articles  applied to"), "{up}");
    assert!(up.contains("3 rewritten"), "{up}");
    assert!(status.contains("0001-shard-all-articles  applied ") && status.contains("3 rewritten"), "{status}");
    assert!(again.contains("every migration is applied; nothing to do"), "{again}");
}

#[test]
fn a_wrong_command_line_exits_with_status_2_and_the_usage() {
    let output = migrate("http://127.0.0.1:9", &["status"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("conduit-migrate: --table is required"), "{stderr}");
    assert!(stderr.contains("usage: conduit-migrate status --table NAME"), "{stderr}");
}

#[test]
fn an_unreachable_dynamodb_is_one_line_and_status_1() {
    // Given nothing listening on the endpoint (port 9, discard, is closed on a test machine)
    let output = migrate("http://127.0.0.1:9", &["status", "--table", "anything"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("conduit-migrate: DynamoDB refused Query"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
