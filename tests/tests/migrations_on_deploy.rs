//! Data migrations on deploy. `template.yaml` puts the `Migrations` custom resource, served by
//! run-migrations, ahead of every other function; the function's binary, driven through the
//! Lambda Runtime API with CloudFormation's requests (the sample events, readdressed), migrates
//! the table and answers on the request's ResponseURL, which the test serves.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::custom_resource::ResponseUrl;
use conduit_api_tests::samples::{events_dir, read};
use conduit_api_tests::template::{self, intrinsic, template};
use conduit_dynamodb_local::test_table;
use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Function, Outcome};
use conduit_migrations::catalog;
use conduit_migrations::catalog::m0001_shard_all_articles::first_layout_article;
use serde_json::Value;
use serde_norway::Value as Yaml;

const HOOK: &str = "run-migrations";
const HOOK_LOGICAL_ID: &str = "RunMigrationsFunction";
const LOG_STREAM: &str = "2026/11/23/[$LATEST]5d0c2b7e9f8a4c1d8e6f0a1b2c3d4e5f";
/// Shorter than the template's 900 s, so a hook that never answers fails the test in two
/// minutes; still leaves a minute for the migrations after the hook's answer margin.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The answer is sent before the invocation ends; this only covers the server's hand-over.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

// ------------------------------------------------------------------ the template

fn hook_function(template: &Yaml) -> template::TemplateFunction {
    template::functions(template)
        .into_iter()
        .find(|function| function.logical_id == HOOK_LOGICAL_ID)
        .unwrap_or_else(|| panic!("{HOOK_LOGICAL_ID} in template.yaml"))
}

#[test]
fn the_migrations_resource_lists_the_catalog_so_the_deploy_that_adds_a_migration_calls_the_hook() {
    let template = template();
    let migrations = &template["Resources"]["Migrations"];
    let properties = &migrations["Properties"];

    assert_eq!(migrations["Type"].as_str(), Some("Custom::Migrations"));
    assert_eq!(properties["Migrations"].as_str(), Some(catalog::fingerprint().as_str()));
    assert_eq!(intrinsic(&properties["ServiceToken"], "GetAtt"), Some(format!("{HOOK_LOGICAL_ID}.Arn").as_str()));
    assert_eq!(intrinsic(&properties["TableName"], "Ref"), Some("Table"));
    assert_eq!(hook_function(&template).binary, HOOK);
}

#[test]
fn every_other_function_is_deployed_only_after_the_migrations_succeeded() {
    let template = template();
    let depends_on = |resource: &Yaml| -> Vec<String> {
        match &resource["DependsOn"] {
            Yaml::String(one) => vec![one.clone()],
            Yaml::Sequence(many) => many.iter().filter_map(|name| name.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    };

    let functions: Vec<(String, Vec<String>)> = template::resources_of_type(&template, "AWS::Serverless::Function")
        .map(|(logical_id, resource)| (logical_id, depends_on(resource)))
        .collect();

    assert!(functions.len() > 1);
    for (logical_id, dependencies) in functions {
        let waits = dependencies.iter().any(|name| name == "Migrations");
        // The hook itself cannot wait for the resource it serves: that would be a cycle.
        assert_eq!(waits, logical_id != HOOK_LOGICAL_ID, "{logical_id} DependsOn {dependencies:?}");
    }
}

#[test]
fn cloudformation_waits_as_long_as_the_hook_may_run_and_the_hook_keeps_time_to_answer() {
    let template = template();
    let timeout = hook_function(&template).properties["Timeout"].as_u64().expect("the hook's Timeout");
    let service_timeout = &template["Resources"]["Migrations"]["Properties"]["ServiceTimeout"];
    let service_timeout = service_timeout.as_u64().or_else(|| service_timeout.as_str()?.parse().ok());

    assert_eq!(service_timeout, Some(timeout), "an answer lost with a crashed run fails the deploy by then");
    assert!(Duration::from_secs(timeout) >= 10 * run_migrations::ANSWER_MARGIN, "most of the time for migrating");
}

// ------------------------------------------------------------------ the binary

fn binaries_dir() -> PathBuf {
    // This test runs from <target>/<profile>/deps; the binaries are in <target>/<profile>.
    let test = std::env::current_exe().expect("the test's path");
    test.parent().and_then(Path::parent).expect("the profile directory").to_path_buf()
}

/// The hook's process environment, as Lambda sets it, on `table` in the tests' DynamoDB Local.
fn hook_environment(table: &str) -> BTreeMap<String, String> {
    let endpoint = std::env::var("CONDUIT_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!("run the tests with infra/test.sh, which starts DynamoDB Local and sets its endpoint")
    });
    let mut environment: BTreeMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", HOOK),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/run-migrations"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", LOG_STREAM),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIALOCALLAMBDAROLE00"),
        ("AWS_SECRET_ACCESS_KEY", "local-lambda-execution-role-secret"),
        ("AWS_SESSION_TOKEN", "local-lambda-execution-role-session"),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.as_str()),
        ("TABLE_NAME", table),
        ("LOG_LEVEL", "INFO"),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    // The IAM contract reads the calls the hook makes; the coverage run measures what it runs.
    for passed_on in [conduit_bootstrap::aws_call_log::LOG_DIR_VARIABLE, "LLVM_PROFILE_FILE"] {
        if let Ok(value) = std::env::var(passed_on) {
            environment.insert(passed_on.to_owned(), value);
        }
    }
    environment
}

/// The hook's binary in an execution environment of its own, on `table`.
async fn hook_on(table: &str) -> ExecutionEnvironment {
    hook_with_timeout(table, TEST_TIMEOUT).await
}

async fn hook_with_timeout(table: &str, timeout: Duration) -> ExecutionEnvironment {
    let program = binaries_dir().join(HOOK);
    assert!(program.is_file(), "{} is missing: cargo build --workspace --bins first", program.display());
    ExecutionEnvironment::start(Function::new(program, hook_environment(table)).timeout(timeout))
        .await
        .expect("the hook started")
}

/// CloudFormation's request `sample` (`create`, `update` or `delete`), readdressed to
/// `cloudformation` and given `changes` (a physical id, other properties).
fn request(cloudformation: &ResponseUrl, sample: &str, changes: &[(&str, Value)]) -> Value {
    let event = read(&events_dir().join(format!("{HOOK}.{sample}.json")));
    let mut request: Value = serde_json::from_str(&cloudformation.readdress(&event)).expect("JSON");
    for (pointer, value) in changes {
        *request.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in the request")) = value.clone();
    }
    request
}

/// Invokes the hook with `request` and returns what it sent to the ResponseURL. The invocation
/// itself must succeed: it fails only when CloudFormation could not be told.
async fn answer(hook: &mut ExecutionEnvironment, cloudformation: &ResponseUrl, request: &Value) -> Value {
    let invocation = hook.invoke(request).await;
    assert!(
        matches!(invocation.outcome, Outcome::Response(_)),
        "{}\n--- stderr\n{}\n--- stdout\n{}",
        invocation.outcome,
        hook.stderr(),
        hook.stdout()
    );
    let answered = cloudformation.answer(ANSWER_WAIT).await.expect("an answer on the ResponseURL");
    assert_eq!(answered.method, "PUT");
    assert!(!answered.headers.contains_key("content-type"), "the URL's signature covers no type: {answered:?}");
    answered.json()
}

/// An article summary as the first layout stored it: listed under `ARTICLES` only.
async fn store_first_layout_article(client: &Client, table: &str) -> String {
    let id = ulid::Ulid::new().to_string();
    let article = first_layout_article(&id);
    client.put_item().table_name(table).set_item(Some(article)).send().await.expect("stored");
    id
}

/// How many of `ids` are in a shard of the all-articles list (what migration 0001 adds).
async fn sharded(client: &Client, table: &str, ids: &[String]) -> usize {
    let mut count = 0;
    for id in ids {
        let summary = client
            .get_item()
            .table_name(table)
            .key("PK", AttributeValue::S(format!("ARTICLE#{id}")))
            .key("SK", AttributeValue::S("ARTICLE".to_owned()))
            .consistent_read(true)
            .send()
            .await
            .expect("read")
            .item
            .expect("the article");
        count += usize::from(summary.contains_key("GSI3PK"));
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_first_layout_articles_a_create_migrates_them_and_a_later_update_finds_nothing_to_apply() {
    // Given a table whose 12 articles are in the first layout, and the hook on it
    let table = test_table().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(store_first_layout_article(&table.client, &table.name).await);
    }
    let mut hook = hook_on(&table.name).await;
    let cloudformation = ResponseUrl::start().await;
    let create = request(&cloudformation, "create", &[]);

    // When CloudFormation creates the Migrations resource
    let created = answer(&mut hook, &cloudformation, &create).await;

    // Then the articles joined their shards, and the answer says so, echoing the request
    assert_eq!(created["Status"], "SUCCESS", "{created}");
    assert_eq!(created["Data"]["Applied"], "0001-shard-all-articles");
    assert_eq!(created["Data"]["Catalog"], catalog::fingerprint());
    assert_eq!(created["PhysicalResourceId"], format!("{}-migrations", table.name));
    for echoed in ["StackId", "RequestId", "LogicalResourceId"] {
        assert_eq!(created[echoed], create[echoed], "{echoed}");
    }
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 12);

    // When a later deploy updates the resource (CloudFormation names it by the id it was given)
    let physical_resource_id = created["PhysicalResourceId"].clone();
    let update = request(&cloudformation, "update", &[("/PhysicalResourceId", physical_resource_id.clone())]);
    let updated = answer(&mut hook, &cloudformation, &update).await;

    // Then nothing is left to apply, and the resource keeps its id
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["Data"]["Applied"], "");
    assert_eq!(updated["PhysicalResourceId"], physical_resource_id);
    assert!(hook.stdout().contains("migration segment done"), "the progress is logged:\n{}", hook.stdout());
}

#[tokio::test]
async fn a_delete_succeeds_and_leaves_the_table_as_it_is() {
    // Given a table with articles not yet migrated (a first deploy that failed, being rolled back)
    let table = test_table().await;
    let ids = vec![store_first_layout_article(&table.client, &table.name).await];
    let mut hook = hook_on(&table.name).await;
    let cloudformation = ResponseUrl::start().await;
    let physical_resource_id = Value::String(format!("{}-migrations", table.name));

    // When CloudFormation deletes the Migrations resource
    let delete = request(&cloudformation, "delete", &[("/PhysicalResourceId", physical_resource_id.clone())]);
    let deleted = answer(&mut hook, &cloudformation, &delete).await;

    // Then it succeeds under the same id, and nothing was written
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert_eq!(deleted["PhysicalResourceId"], physical_resource_id);
    assert_eq!(deleted["Data"]["Applied"], "");
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 0);
}

#[tokio::test]
async fn a_rollback_to_a_release_with_fewer_migrations_applies_none_of_the_newer_ones() {
    // Given unmigrated articles, and CloudFormation rolling the resource back to a template whose
    // catalog had none of this release's migrations (the hook still runs this release's code)
    let table = test_table().await;
    let ids = vec![store_first_layout_article(&table.client, &table.name).await];
    let mut hook = hook_on(&table.name).await;
    let cloudformation = ResponseUrl::start().await;
    let rollback = request(
        &cloudformation,
        "update",
        &[
            ("/ResourceProperties/Migrations", Value::String(String::new())),
            ("/OldResourceProperties/Migrations", Value::String(catalog::fingerprint())),
        ],
    );

    // When the hook gets the rollback's Update
    let rolled_back = answer(&mut hook, &cloudformation, &rollback).await;

    // Then it succeeds without applying anything
    assert_eq!(rolled_back["Status"], "SUCCESS", "{rolled_back}");
    assert_eq!(rolled_back["Data"]["Applied"], "");
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 0);
}

#[tokio::test]
async fn a_hook_out_of_time_answers_failed_saying_how_to_resume_and_the_next_deploy_applies_the_migrations() {
    // Given unmigrated articles, and a hook whose invocation ends within its answer margin
    let table = test_table().await;
    let ids = vec![store_first_layout_article(&table.client, &table.name).await];
    let mut hurried = hook_with_timeout(&table.name, run_migrations::ANSWER_MARGIN / 2).await;
    let cloudformation = ResponseUrl::start().await;

    // When CloudFormation creates the Migrations resource
    let created = answer(&mut hurried, &cloudformation, &request(&cloudformation, "create", &[])).await;

    // Then the deploy fails in time, saying how the migration resumes
    let reason = created["Reason"].as_str().unwrap_or_default();
    assert_eq!(created["Status"], "FAILED", "{created}");
    assert!(reason.contains("out of time") && reason.contains("conduit-migrate up"), "{reason}");
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 0);

    // When the next deploy (after the rollback) creates it again, with the time the template gives
    let mut hook = hook_on(&table.name).await;
    let retried = answer(&mut hook, &cloudformation, &request(&cloudformation, "create", &[])).await;

    // Then the migration is applied
    assert_eq!(retried["Status"], "SUCCESS", "{retried}");
    assert_eq!(retried["Data"]["Applied"], "0001-shard-all-articles");
    assert_eq!(sharded(&table.client, &table.name, &ids).await, 1);
}

#[tokio::test]
async fn given_no_such_table_the_hook_answers_failed_naming_the_table_and_its_log_stream() {
    // Given the hook configured with a table that does not exist
    let missing = format!("conduit-test-missing-{}", ulid::Ulid::new().to_string().to_lowercase());
    let mut hook = hook_on(&missing).await;
    let cloudformation = ResponseUrl::start().await;

    // When CloudFormation creates the Migrations resource
    let created = answer(&mut hook, &cloudformation, &request(&cloudformation, "create", &[])).await;

    // Then the deploy fails with a reason that names the table and where the logs are
    let reason = created["Reason"].as_str().unwrap_or_default();
    assert_eq!(created["Status"], "FAILED", "{created}");
    assert!(reason.contains(&missing), "{reason}");
    assert!(reason.contains(LOG_STREAM), "{reason}");
    assert_eq!(created["PhysicalResourceId"], format!("{missing}-migrations"));
}

#[tokio::test]
async fn an_event_with_no_response_url_fails_the_invocation_so_lambda_retries_it() {
    let table = test_table().await;
    let mut hook = hook_on(&table.name).await;

    let invocation = hook.invoke(&serde_json::json!({"RequestType": "Create"})).await;

    let Outcome::FunctionError(report) = &invocation.outcome else { panic!("{}", invocation.outcome) };
    let body: Value = serde_json::from_slice(&report.body).expect("an error report");
    assert_eq!(body["errorType"], "Unanswered", "{report}");
    assert!(body["errorMessage"].as_str().is_some_and(|message| message.contains("no ResponseURL")), "{report}");
}
