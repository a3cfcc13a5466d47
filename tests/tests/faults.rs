//! Outages of the API's dependencies, on real processes: DynamoDB Local frozen (SIGSTOP) and
//! killed, an endpoint that accepts connections and never answers, and Secrets Manager
//! (moto_server) frozen. Every fault test starts the processes it breaks (never the shared DynamoDB
//! Local other tests use) and a gateway on them with a short, realistic time budget.
//!
//! What must hold: reads and writes answer 503 with `Retry-After` in the errors shape within the
//! request budget; once the dependency is back, the same running gateway serves normally; a write
//! cut short leaves every claim with its owner and every counter exact.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{create_article, new_article};
use conduit_api_tests::faults::{BUDGET, Blackhole, MARGIN, MotoServer, ScratchDir, inconsistencies, settled};
use conduit_api_tests::{Reply, TestApi, registration};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey, TimeBudget};
use conduit_domain::values::{Session, UserId};
use conduit_dynamodb_local::{DynamoDbLocal, Storage, TestTable, local_sdk_config, test_table_on};
use serde_json::{Value, json};

/// The gateway's log lines (each 503 with its cause chain), shown with a failing test's output.
fn capture_gateway_logs() {
    let logs = tracing_subscriber::fmt().with_max_level(tracing_subscriber::filter::LevelFilter::INFO);
    let _ = logs.with_test_writer().try_init();
}

async fn timed(call: impl Future<Output = Reply>) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = call.await;
    (reply, started.elapsed())
}

/// 503, `Retry-After` in whole seconds, an `{"errors": {field: [message, ...]}}` body, and no
/// later than the request budget allows.
fn assert_unavailable(what: &str, (reply, elapsed): &(Reply, Duration), budget: Duration) {
    assert_eq!(reply.status, 503, "{what}: {:?}", reply.body);
    let retry_after = reply.header("retry-after").and_then(|value| value.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| seconds > 0), "{what}: Retry-After {:?}", reply.header("retry-after"));
    assert_errors_shape(what, &reply.body);
    assert!(*elapsed <= budget + MARGIN, "{what}: answered after {elapsed:?}, budget {budget:?}");
    eprintln!("{what}: 503 after {} ms", elapsed.as_millis());
}

fn assert_errors_shape(what: &str, body: &Value) {
    let errors = body["errors"].as_object().unwrap_or_else(|| panic!("{what}: not in the errors shape: {body}"));
    assert!(!errors.is_empty(), "{what}: no error listed: {body}");
    for messages in errors.values() {
        let messages = messages.as_array().unwrap_or_else(|| panic!("{what}: messages are not a list: {body}"));
        assert!(!messages.is_empty() && messages.iter().all(Value::is_string), "{what}: {body}");
    }
}

fn assert_status(what: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{what}: {:?}", reply.body);
}

/// Two gateways on `table` that accept each other's tokens: one with the deployed budget (of
/// `conduit_aws::budget`), which also sets the scene, since a freshly started engine can take
/// longer than the short budget for its first calls; and the one under test, with [`BUDGET`].
async fn gateways_on(table: &TestTable) -> (TestApi, TestApi) {
    capture_gateway_logs();
    let key = SigningKey::generate("fault-test-key");
    let gateway = |budget| {
        let keys = KeyRing { current: key.clone(), previous: None };
        let adapters = Adapters::local(table.sdk_config.clone(), table.name.clone(), keys).with_time_budget(budget);
        TestApi::start_on(adapters, key.clone())
    };
    (gateway(TimeBudget::default()).await, gateway(BUDGET).await)
}

fn login(username: &str) -> Value {
    json!({"user": {"email": format!("{username}@example.com"), "password": format!("password-{username}")}})
}

fn articles_count(reply: &Reply) -> u64 {
    reply.body["articlesCount"].as_u64().unwrap_or_else(|| panic!("articlesCount: {:?}", reply.body))
}

fn listed(reply: &Reply) -> usize {
    reply.body["articles"].as_array().map_or(0, Vec::len)
}

fn tags(reply: &Reply) -> Vec<&str> {
    reply.body["tags"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

#[tokio::test]
async fn given_dynamodb_paused_when_reading_or_writing_then_503_within_budget_and_once_resumed_the_same_gateway_serves()
{
    let engine = DynamoDbLocal::start(None).await.expect("DynamoDB Local of this test");
    let table = test_table_on(engine.endpoint()).await;
    let (deployed, api) = gateways_on(&table).await;
    let jake = deployed.register("jake").await;
    create_article(&deployed, &jake, "Dragons", &["fire"]).await;
    assert_status("GET /api/articles", &deployed.get("/articles", None).await, 200);

    engine.pause().expect("DynamoDB Local paused");
    let (tags_read, registered, list, published, deployed_tags, deployed_registered) = tokio::join!(
        timed(api.get("/tags", None)),
        timed(api.post("/users", registration("anne"), None)),
        timed(api.get("/articles", None)),
        timed(api.post("/articles", new_article("Wyverns", &["scales"]), Some(&jake))),
        timed(deployed.get("/tags", None)),
        timed(deployed.post("/users", registration("bob"), None)),
    );
    engine.resume().expect("DynamoDB Local resumed");

    assert_unavailable("GET /api/tags", &tags_read, BUDGET.request);
    assert_unavailable("POST /api/users", &registered, BUDGET.request);
    assert_unavailable("GET /api/articles", &list, BUDGET.request);
    assert_unavailable("POST /api/articles", &published, BUDGET.request);
    assert_unavailable("GET /api/tags, deployed budget", &deployed_tags, TimeBudget::default().request);
    assert_unavailable("POST /api/users, deployed budget", &deployed_registered, TimeBudget::default().request);

    let tags_read = api.get("/tags", None).await;
    assert_status("GET /api/tags after resuming", &tags_read, 200);
    assert!(tags(&tags_read).contains(&"fire"), "{:?}", tags_read.body);
    assert_status("POST /api/users after resuming", &api.post("/users", registration("carol"), None).await, 201);
    let list = api.get("/articles", None).await;
    assert_status("GET /api/articles after resuming", &list, 200);
    assert!(articles_count(&list) >= 1);
    let published = api.post("/articles", new_article("Basilisks", &["scales"]), Some(&jake)).await;
    assert_status("POST /api/articles after resuming", &published, 201);
    assert_status("GET /api/tags after resuming, deployed budget", &deployed.get("/tags", None).await, 200);
}

#[tokio::test]
async fn given_dynamodb_stopped_when_reading_or_writing_then_503_within_budget_and_once_restarted_the_same_gateway_serves()
 {
    // On disk, so the engine started after the kill has the data the first one wrote: "back" then
    // means the same table with the same accounts, as after a real outage.
    let data = ScratchDir::new("dynamodb-data");
    let engine = DynamoDbLocal::start_with(None, Storage::Directory(data.path().to_owned()))
        .await
        .expect("DynamoDB Local of this test");
    let port = engine.port();
    let table = test_table_on(engine.endpoint()).await;
    let (deployed, api) = gateways_on(&table).await;
    let jake = deployed.register("jake").await;
    create_article(&deployed, &jake, "Dragons", &["fire"]).await;
    // The tag's index entry is visible before the kill: DynamoDB Local, like DynamoDB, updates an
    // index after the write that feeds it, and a kill in between would lose what the test reads.
    let started = Instant::now();
    while tags(&deployed.get("/tags", None).await) != ["fire"] {
        assert!(started.elapsed() < Duration::from_secs(10), "the tag never showed in GET /api/tags");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    engine.kill().await.expect("DynamoDB Local killed");
    let (tags_read, registered, list, published, deployed_tags, deployed_registered) = tokio::join!(
        timed(api.get("/tags", None)),
        timed(api.post("/users", registration("anne"), None)),
        timed(api.get("/articles", None)),
        timed(api.post("/articles", new_article("Wyverns", &["scales"]), Some(&jake))),
        timed(deployed.get("/tags", None)),
        timed(deployed.post("/users", registration("anne"), None)),
    );
    let _engine = DynamoDbLocal::start_with(Some(port), Storage::Directory(data.path().to_owned()))
        .await
        .expect("DynamoDB Local restarted on the same port and data");

    assert_unavailable("GET /api/tags", &tags_read, BUDGET.request);
    assert_unavailable("POST /api/users", &registered, BUDGET.request);
    assert_unavailable("GET /api/articles", &list, BUDGET.request);
    assert_unavailable("POST /api/articles", &published, BUDGET.request);
    assert_unavailable("GET /api/tags, deployed budget", &deployed_tags, TimeBudget::default().request);
    assert_unavailable("POST /api/users, deployed budget", &deployed_registered, TimeBudget::default().request);

    // Back: the engine answers, with the data written before the outage. (A just-started engine
    // takes seconds over its first calls; those are not the gateway's to absorb.)
    let problems = inconsistencies(&table).await;
    assert!(problems.is_empty(), "{problems:#?}");
    let tags_read = deployed.get("/tags", None).await;
    assert_status("GET /api/tags after the restart, deployed budget", &tags_read, 200);
    assert_eq!(tags(&tags_read), ["fire"]);
    // Nothing reached the stopped engine, so nothing of anne's account or jake's article exists.
    let registered = deployed.post("/users", registration("anne"), None).await;
    assert_status("POST /api/users after the restart, deployed budget", &registered, 201);
    let published = deployed.post("/articles", new_article("Wyverns", &["scales"]), Some(&jake)).await;
    assert_status("POST /api/articles after the restart, deployed budget", &published, 201);

    assert_status("GET /api/tags after the restart", &api.get("/tags", None).await, 200);
    assert_status("POST /api/users after the restart", &api.post("/users", registration("bob"), None).await, 201);
    let published = api.post("/articles", new_article("Basilisks", &["scales"]), Some(&jake)).await;
    assert_status("POST /api/articles after the restart", &published, 201);
    let list = api.get("/articles", None).await;
    assert_status("GET /api/articles after the restart", &list, 200);
    assert_eq!((articles_count(&list), listed(&list)), (3, 3));
    let problems = inconsistencies(&table).await;
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn given_a_dynamodb_endpoint_that_accepts_connections_and_never_answers_then_reads_and_writes_answer_503_within_budget()
 {
    capture_gateway_logs();
    let blackhole = Blackhole::start().await;
    let key = SigningKey::generate("fault-test-key");
    let keys = KeyRing { current: key.clone(), previous: None };
    let adapters =
        Adapters::local(local_sdk_config(blackhole.endpoint()), "conduit-blackhole", keys).with_time_budget(BUDGET);
    let api = TestApi::start_on(adapters, key).await;
    let token = api.adapters.jwt().expect("jwt").issue_for(Session::first(UserId::generate())).await.expect("token");

    let (tags_read, registered, list, published) = tokio::join!(
        timed(api.get("/tags", None)),
        timed(api.post("/users", registration("anne"), None)),
        timed(api.get("/articles", None)),
        timed(api.post("/articles", new_article("Wyverns", &["scales"]), Some(&token))),
    );

    assert_unavailable("GET /api/tags", &tags_read, BUDGET.request);
    assert_unavailable("POST /api/users", &registered, BUDGET.request);
    assert_unavailable("GET /api/articles", &list, BUDGET.request);
    assert_unavailable("POST /api/articles", &published, BUDGET.request);
    assert!(blackhole.accepted() >= 4, "the calls reached the endpoint: {} connections", blackhole.accepted());
}

#[tokio::test]
async fn given_writes_in_flight_when_dynamodb_pauses_then_after_it_resumes_each_write_happened_whole_or_not_at_all() {
    let engine = DynamoDbLocal::start(None).await.expect("DynamoDB Local of this test");
    let table = test_table_on(engine.endpoint()).await;
    let (deployed, api) = gateways_on(&table).await;
    let jake = deployed.register("jake").await;
    let anne = deployed.register("anne").await;
    let dragons = create_article(&deployed, &jake, "Dragons", &["fire"]).await;
    assert_status("GET /api/articles/{slug}", &deployed.get(&format!("/articles/{dragons}"), Some(&anne)).await, 200);

    // Sent while the engine is frozen: each write reaches it (the kernel accepts the connection and
    // takes the request), the gateway gives up at its budget, and the engine runs the write later.
    // Whether it did is exactly what the client cannot know from a 503.
    let favorite = format!("/articles/{dragons}/favorite");
    engine.pause().expect("DynamoDB Local paused");
    let (registered, published, favorited) = tokio::join!(
        timed(api.post("/users", registration("bob"), None)),
        timed(api.post("/articles", new_article("Wyverns", &["scales"]), Some(&jake))),
        timed(api.call("POST", &favorite, None, Some(&anne))),
    );
    engine.resume().expect("DynamoDB Local resumed");
    settled(&table).await;

    assert_unavailable("POST /api/users", &registered, BUDGET.request);
    assert_unavailable("POST /api/articles", &published, BUDGET.request);
    assert_unavailable("POST /api/articles/{slug}/favorite", &favorited, BUDGET.request);
    let problems = inconsistencies(&table).await;
    assert!(problems.is_empty(), "after the interrupted writes: {problems:#?}");

    // The account exists whole (both claims and the user) or not at all, and a retry says which.
    let bob_can_log_in = api.post("/users/login", login("bob"), None).await;
    let retried = api.post("/users", registration("bob"), None).await;
    match bob_can_log_in.status {
        200 => {
            eprintln!("bob's registration was applied after its 503");
            assert_status("registering an existing account again", &retried, 422);
            assert!(retried.body["errors"]["email"].is_array() && retried.body["errors"]["username"].is_array());
        }
        401 => assert_status("registering an account that was not created", &retried, 201),
        other => panic!("login of bob answered {other}: {:?}", bob_can_log_in.body),
    }

    // The article counts once everywhere or nowhere.
    let wyverns_exists = match api.get("/articles/wyverns", None).await.status {
        200 => true,
        404 => false,
        other => panic!("GET /api/articles/wyverns answered {other}"),
    };
    eprintln!("the publication of Wyverns was applied after its 503: {wyverns_exists}");
    let by_jake = api.get("/articles?author=jake", None).await;
    assert_eq!(
        (articles_count(&by_jake), listed(&by_jake)),
        (1 + u64::from(wyverns_exists), 1 + usize::from(wyverns_exists))
    );
    let all = api.get("/articles", None).await;
    assert_eq!(articles_count(&all), listed(&all) as u64);
    assert_eq!(tags(&api.get("/tags", None).await).contains(&"scales"), wyverns_exists);

    // The favorite counts once or not at all; retrying it makes it count exactly once.
    let seen_by_anne = api.get(&format!("/articles/{dragons}"), Some(&anne)).await;
    let favorited_once = seen_by_anne.body["article"]["favorited"] == true;
    eprintln!("anne's favorite was applied after its 503: {favorited_once}");
    assert_eq!(seen_by_anne.body["article"]["favoritesCount"], u64::from(favorited_once));
    let retried = api.call("POST", &favorite, None, Some(&anne)).await;
    assert_status("favoriting again", &retried, 200);
    assert_eq!(retried.body["article"]["favoritesCount"], 1);
    let anne_favorites = api.get("/articles?favorited=anne", None).await;
    assert_eq!((articles_count(&anne_favorites), listed(&anne_favorites)), (1, 1));

    let problems = inconsistencies(&table).await;
    assert!(problems.is_empty(), "after the retries: {problems:#?}");
}

#[tokio::test]
async fn given_secrets_manager_paused_with_cold_key_caches_when_a_route_needs_the_key_then_503_within_budget_and_served_once_resumed()
 {
    capture_gateway_logs();
    let moto = MotoServer::start().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&local_sdk_config(moto.endpoint()));
    let secret_value = "k".repeat(64);
    let secret = secrets
        .create_secret()
        .name(format!("conduit/faults/{}", ulid::Ulid::new()))
        .secret_string(&secret_value)
        .send()
        .await
        .expect("signing secret created");
    let (secret_arn, version) = (secret.arn.expect("ARN"), secret.version_id.expect("version"));
    // The shared DynamoDB Local: this test breaks only its own moto_server.
    let table = conduit_dynamodb_local::test_table().await;
    let adapters = |budget| {
        Adapters::local_with_secrets_manager(
            table.sdk_config.clone(),
            table.name.clone(),
            local_sdk_config(moto.endpoint()),
            secret_arn.clone(),
        )
        .with_time_budget(budget)
    };
    let key = SigningKey::new(version, secret_value.into_bytes()).expect("key");
    // Jake registers through another gateway (another set of containers), so every function of
    // `api` starts with a cold key cache, as after a deployment.
    let elsewhere = TestApi::start_on(adapters(TimeBudget::default()), key.clone()).await;
    let jake = elsewhere.register("jake").await;
    let api = TestApi::start_on(adapters(BUDGET), key).await;

    moto.pause();
    let (logged_in, registered, optional_auth, required_auth) = tokio::join!(
        timed(api.post("/users/login", login("jake"), None)),
        timed(api.post("/users", registration("anne"), None)),
        timed(api.get("/articles", Some(&jake))),
        timed(api.get("/user", Some(&jake))),
    );
    moto.resume();

    assert_unavailable("POST /api/users/login", &logged_in, BUDGET.request);
    assert_unavailable("POST /api/users", &registered, BUDGET.request);
    assert_unavailable("GET /api/articles with a token", &optional_auth, BUDGET.request);
    // A protected route's token is checked by the Lambda authorizer, which fails when it cannot read
    // the keys (functions/authorizer): API Gateway then answers 500 with its own body, and caches
    // nothing, so the route serves again as soon as the keys can be read.
    let (required_auth, elapsed) = required_auth;
    assert_eq!((required_auth.status, &required_auth.body), (500, &json!({"message": "Internal Server Error"})));
    assert!(elapsed <= BUDGET.request + MARGIN, "GET /api/user: answered after {elapsed:?}");

    assert_status("POST /api/users/login after resuming", &api.post("/users/login", login("jake"), None).await, 200);
    // The registration that failed for want of a key wrote nothing: a retry creates the account.
    assert_status("POST /api/users after resuming", &api.post("/users", registration("anne"), None).await, 201);
    assert_status("GET /api/articles with a token after resuming", &api.get("/articles", Some(&jake)).await, 200);
    assert_status("GET /api/user after resuming", &api.get("/user", Some(&jake)).await, 200);
}
