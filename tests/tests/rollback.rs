//! A rollback, with the previous release's real code: the current release writes a world through
//! the API and the migrations run, then the previous release's local gateway (built from the
//! revision pinned in `tests/rollback/previous-release` by `infra/scripts/previous_release.sh`,
//! which hands it over as `CONDUIT_TEST_PREVIOUS_GATEWAY`) serves the same table, as a rolled-back
//! or canary-split API would. It must answer every read as the current release does and its writes
//! must read back in the current release (rolling forward again). The expand/contract rule that
//! makes this hold is in `shared/migrations/README.md` ("Rollback and canaries").
//!
//! The two gateways sign tokens with keys of their own (`conduit-local` generates one per run and
//! takes none), so every account signs in through each of them and the answers differ only in the
//! token they carry.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use conduit_api_tests::{
    Reply, TestApi, api_request, forget_migration, registration, scan_table, take_tag_counters_out_of_their_index,
};
use conduit_local_gateway::{RecentTraceLimits, RecentTraces};
use conduit_migrations::{Migrator, State};
use conduit_streams::TRACE_PARENT_ATTRIBUTE;
use conduit_telemetry::traces::sdk::trace::SimpleSpanProcessor;
use conduit_telemetry::traces::{ExporterChoice, TracesSetup};
use serde_json::{Value, json};

mod common;
use common::{add_comment, create_article, delete_article, favorite, follow, new_article, unfollow};

/// The variable through which the test command hands over the previous release's gateway.
const PREVIOUS_GATEWAY: &str = "CONDUIT_TEST_PREVIOUS_GATEWAY";
/// The migration whose rewrite the world goes through (the newest at the time of writing): the
/// previous release pinned with this test predates it, so it meets items it changed.
const MIGRATION: &str = "0004-rank-tags-by-use";
/// How long two answers may differ while a write settles (indexes, the stream's fan-out) before
/// the difference counts as a misreading.
const SETTLE: Duration = Duration::from_secs(15);
/// How much of the previous gateway's output a failure shows.
const SHOWN_LINES: usize = 60;

// ------------------------------------------------------------------ the previous release

/// The previous release's `conduit-local`, serving a table of the test's, stopped when dropped.
struct PreviousGateway {
    process: Child,
    base_url: String,
    client: reqwest::Client,
    /// What it printed, shown when the test fails.
    output: Arc<Mutex<Vec<String>>>,
}

impl PreviousGateway {
    fn binary() -> PathBuf {
        let path = std::env::var_os(PREVIOUS_GATEWAY).map(PathBuf::from).unwrap_or_else(|| {
            panic!(
                "{PREVIOUS_GATEWAY} is not set: run the tests with infra/test.sh, which builds the previous \
                 release's gateway, or export {PREVIOUS_GATEWAY}=\"$(infra/scripts/previous_release.sh)\""
            )
        });
        assert!(
            path.is_file(),
            "{PREVIOUS_GATEWAY}={} is not a file: run infra/scripts/previous_release.sh",
            path.display()
        );
        path
    }

    /// Starts it on `table` of the tests' DynamoDB Local, on a free port, with none of this
    /// process's environment: its settings are its defaults, as the current gateway's are here,
    /// and its AWS calls stay out of the IAM contract's log (they are held to the previous
    /// release's template, not this one's).
    fn start(binary: &std::path::Path, table: &str) -> Self {
        let endpoint = std::env::var("CONDUIT_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
            panic!("run the tests with infra/test.sh, which starts DynamoDB Local and sets its endpoint")
        });
        let mut process = Command::new(binary)
            .args(["--port", "0", "--dynamodb-endpoint", &endpoint, "--table", table])
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the previous release's gateway started");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (address, announced) = mpsc::channel();
        for stream in [
            Box::new(process.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(process.stderr.take().expect("stderr")),
        ] {
            let (output, address) = (Arc::clone(&output), address.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    // "Conduit API listening on http://127.0.0.1:<port>/api (DynamoDB at ...)"
                    if let Some((_, after)) = line.split_once("listening on ") {
                        let _ = address.send(after.split_whitespace().next().unwrap_or_default().to_owned());
                    }
                    output.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(line);
                }
            });
        }
        let base_url = announced.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = process.kill();
            let status = process.wait();
            let output = output.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).join("\n");
            panic!("{} did not start ({status:?}):\n{output}", binary.display())
        });
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        Self { process, base_url, client, output }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Reply {
        let request = api_request(&self.client, &self.base_url, method, path, body, token);
        let response = request.send().await.expect("request sent");
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let bytes = response.bytes().await.expect("body read");
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("JSON body") };
        Reply { status, headers, body }
    }
}

impl Drop for PreviousGateway {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if std::thread::panicking() {
            let output = self.output.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let last = &output[output.len().saturating_sub(SHOWN_LINES)..];
            eprintln!("the previous release's gateway printed, last:\n{}", last.join("\n"));
        }
    }
}

/// The stream batches the consumers of the gateway at `base_url` gave up on (its on-failure
/// destination).
async fn stream_failures(base_url: &str) -> Value {
    let root = base_url.trim_end_matches("/api");
    let response = reqwest::get(format!("{root}/_local/stream-failures")).await.expect("read");
    response.json::<Value>().await.expect("JSON")["failures"].clone()
}

// ------------------------------------------------------------------ both gateways

/// An account, with a token from each gateway.
#[derive(Clone)]
struct Account {
    name: &'static str,
    current: String,
    previous: String,
}

/// Who sends a request: nobody, or an account (each gateway gets the token it issued).
#[derive(Clone, Copy)]
enum Caller<'a> {
    Anonymous,
    As(&'a Account),
}

impl Caller<'_> {
    fn name(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::As(account) => account.name,
        }
    }
}

struct Gateways {
    current: TestApi,
    previous: PreviousGateway,
}

/// The only part of an answer that may differ between the releases: the token in a User, which
/// each gateway signs with its own key. It must be there in both.
fn comparable(mut reply: Reply) -> (u16, Value) {
    if let Some(user) = reply.body.get_mut("user").and_then(Value::as_object_mut) {
        assert!(user.remove("token").is_some_and(|token| token.is_string()), "a User without a token: {user:?}");
    }
    (reply.status, reply.body)
}

impl Gateways {
    async fn current(&self, method: &str, path: &str, body: Option<Value>, caller: Caller<'_>) -> Reply {
        let token = match caller {
            Caller::Anonymous => None,
            Caller::As(account) => Some(account.current.as_str()),
        };
        self.current.call(method, path, body, token).await
    }

    async fn previous(&self, method: &str, path: &str, body: Option<Value>, caller: Caller<'_>) -> Reply {
        let token = match caller {
            Caller::Anonymous => None,
            Caller::As(account) => Some(account.previous.as_str()),
        };
        self.previous.call(method, path, body, token).await
    }

    /// `GET path` answers the same in both releases, once what was just written has settled
    /// (both read indexes, and the feed follows the stream); the answer.
    async fn agree(&self, path: &str, caller: Caller<'_>) -> Value {
        let started = Instant::now();
        loop {
            let current = comparable(self.current("GET", path, None, caller).await);
            let previous = comparable(self.previous("GET", path, None, caller).await);
            if current == previous {
                assert!(current.0 == 200 || current.0 == 404, "GET {path} as {}: {current:?}", caller.name());
                return current.1;
            }
            if started.elapsed() > SETTLE {
                assert_eq!(
                    previous,
                    current,
                    "GET {path} as {}: the previous release (left) answers otherwise than the current one",
                    caller.name()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Every read of the API, for every caller, answers the same in both releases.
    async fn agree_on_everything(&self, world: &World) {
        let callers: Vec<Caller> =
            std::iter::once(Caller::Anonymous).chain(world.accounts.iter().map(Caller::As)).collect();
        for account in &world.accounts {
            self.agree("/user", Caller::As(account)).await;
            self.agree("/articles/feed", Caller::As(account)).await;
        }
        let mut paths: Vec<String> = vec!["/articles".into(), "/articles?limit=2&offset=1".into()];
        for account in &world.accounts {
            paths.push(format!("/profiles/{}", account.name));
            paths.push(format!("/articles?author={}", account.name));
            paths.push(format!("/articles?favorited={}", account.name));
        }
        for tag in ["dragons", "training", "retries", "cooking", "doomed"] {
            paths.push(format!("/articles?tag={tag}"));
        }
        paths.push("/articles?tag=training&author=jake".into());
        paths.push("/articles?tag=dragons&favorited=anne&author=jake".into());
        for slug in &world.slugs {
            paths.push(format!("/articles/{slug}"));
            paths.push(format!("/articles/{slug}/comments"));
            paths.push(format!("/articles/{slug}/comments?limit=1"));
        }
        for path in &paths {
            for caller in &callers {
                self.agree(path, *caller).await;
            }
        }
        self.agree("/tags", Caller::Anonymous).await;
    }
}

/// What the current release wrote: its accounts and every slug it published (the deleted one too).
struct World {
    accounts: Vec<Account>,
    slugs: Vec<String>,
}

impl World {
    fn account(&self, name: &str) -> &Account {
        self.accounts.iter().find(|account| account.name == name).expect("an account of the world")
    }
}

// ------------------------------------------------------------------ the world

/// The current release writes it, as its users would, and returns each account's current token.
async fn written_by_the_current_release(api: &TestApi) -> (HashMap<&'static str, String>, Vec<String>) {
    let mut tokens = HashMap::new();
    for name in ["jake", "anne", "bob"] {
        tokens.insert(name, api.register(name).await);
    }
    // A keyed sign-up, and its replay.
    let carl = api.keyed("POST", "/users", Some(registration("carl")), None, "carl-sign-up").await;
    let replayed = api.keyed("POST", "/users", Some(registration("carl")), None, "carl-sign-up").await;
    assert_eq!((carl.status, replayed.status, replayed.header("idempotent-replayed")), (201, 201, Some("true")));
    let carl = carl.body["user"]["token"].as_str().expect("token").to_owned();
    let (jake, anne, bob) = (tokens["jake"].clone(), tokens["anne"].clone(), tokens["bob"].clone());

    let profile = json!({"user": {"bio": "I work at statefarm", "image": "https://example.com/jake.png"}});
    assert_eq!(api.put("/user", profile, Some(&jake)).await.status, 200);

    // Follows: pushed ones made before the articles, and an ended one.
    follow(api, &anne, "jake").await;
    follow(api, &anne, "bob").await;
    follow(api, &carl, "jake").await;
    unfollow(api, &anne, "bob").await;

    // Articles with tags; one published with an Idempotency-Key and retried; one deleted.
    let dragons = create_article(api, &jake, "How to train your dragon", &["dragons", "training"]).await;
    let keyed =
        api.keyed("POST", "/articles", Some(new_article("Keyed", &["training", "retries"])), Some(&jake), "k-1").await;
    let retry =
        api.keyed("POST", "/articles", Some(new_article("Keyed", &["training", "retries"])), Some(&jake), "k-1").await;
    assert_eq!((keyed.status, retry.status, &keyed.body), (201, 201, &retry.body));
    let keyed = keyed.body["article"]["slug"].as_str().expect("slug").to_owned();
    let cooking = create_article(api, &bob, "Bob cooks", &["cooking"]).await;
    let doomed = create_article(api, &jake, "Doomed", &["doomed"]).await;

    // Favorites, one of them taken back.
    favorite(api, &anne, &dragons).await;
    favorite(api, &bob, &dragons).await;
    favorite(api, &anne, &keyed).await;
    favorite(api, &anne, &cooking).await;
    let unfavorited = api.call("DELETE", &format!("/articles/{cooking}/favorite"), None, Some(&anne)).await;
    assert_eq!(unfavorited.status, 200);

    // Comments: one deleted, one added with an Idempotency-Key.
    add_comment(api, &anne, &dragons, "First!").await;
    add_comment(api, &bob, &dragons, "Nice dragon.").await;
    let regretted = add_comment(api, &anne, &dragons, "Regretted").await;
    let deleted = api.call("DELETE", &format!("/articles/{dragons}/comments/{regretted}"), None, Some(&anne)).await;
    assert_eq!(deleted.status, 204);
    let comment = json!({"comment": {"body": "Keyed comment."}});
    let keyed_comment =
        api.keyed("POST", &format!("/articles/{keyed}/comments"), Some(comment), Some(&bob), "c-1").await;
    assert_eq!(keyed_comment.status, 200, "{:?}", keyed_comment.body);
    add_comment(api, &jake, &doomed, "On an article about to go").await;
    delete_article(api, &jake, &doomed).await;

    // Carl asks for a reset link, then signs out everywhere: his token is revoked.
    let reset = api.post("/users/password-reset", json!({"user": {"email": "carl@example.com"}}), None).await;
    assert_eq!(reset.status, 202);
    assert_eq!(api.call("DELETE", "/user/sessions", None, Some(&carl)).await.status, 204);
    assert_eq!(api.get("/user", Some(&carl)).await.status, 401, "a revoked token");
    tokens.insert("carl", sign_in(api.post("/users/login", login("carl", "password-carl"), None).await));

    // The feeds hold what was fanned out: jake's two live articles for his followers.
    for reader in ["anne", "carl"] {
        api.feed_counting(&tokens[reader], 2).await;
    }
    (tokens, vec![dragons, keyed, cooking, doomed])
}

fn login(name: &str, password: &str) -> Value {
    json!({"user": {"email": format!("{name}@example.com"), "password": password}})
}

fn sign_in(reply: Reply) -> String {
    assert_eq!(reply.status, 200, "signing in: {:?}", reply.body);
    reply.body["user"]["token"].as_str().expect("token").to_owned()
}

/// Takes every tag counter out of the index of tags by use and forgets `MIGRATION`, as if the
/// release before it had written them, then runs every pending migration: the counters are
/// rewritten by it, as a deployed table's are on the deploy that brings it.
async fn migrated(client: &Client, table: &str) {
    take_tag_counters_out_of_their_index(client, table).await;
    forget_migration(client, table, MIGRATION).await;
    let applied = Migrator::new(client.clone(), table).up(&|_| {}).await.expect("migrated");
    assert_eq!(applied.iter().map(|applied| applied.id.as_str()).collect::<Vec<_>>(), [MIGRATION]);
    assert!(applied[0].rewritten >= 5, "every counter rewritten: {applied:?}");
}

/// Every migration of the current catalog is applied, and none is in progress.
async fn assert_fully_migrated(client: &Client, table: &str) {
    let status = Migrator::new(client.clone(), table).status().await.expect("status");
    for migration in &status.migrations {
        assert!(matches!(migration.state, State::Applied(_)), "{}: {:?}", migration.id, migration.state);
    }
    assert_eq!((status.unknown.len(), status.lease.is_none()), (0, true), "{status:?}");
}

/// Traces on in this process, as in a deployed function: the current release's writes store their
/// trace context (exported nowhere: the spans are not what this test looks at).
fn traces_on() {
    let kept = RecentTraces::new(RecentTraceLimits { traces: 0, spans_per_trace: 0 });
    let setup =
        TracesSetup::new("conduit-local", ExporterChoice::None).with_span_processor(SimpleSpanProcessor::new(kept));
    conduit_telemetry::init_with_traces(setup).expect("traces installed");
}

/// The previous release meets the attribute it predates: every account item carries one.
async fn assert_accounts_carry_their_trace_context(client: &Client, table: &str) {
    let items = scan_table(client, table).await;
    let accounts: Vec<_> = items.iter().filter(|item| item["SK"].as_s().is_ok_and(|sort| sort == "USER")).collect();
    assert_eq!(accounts.len(), 4, "jake, anne, bob and carl");
    for account in accounts {
        assert!(account.contains_key(TRACE_PARENT_ATTRIBUTE), "an account without its trace context: {account:?}");
    }
}

// ------------------------------------------------------------------ the test

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_the_current_releases_data_when_the_previous_release_serves_it_then_both_read_and_write_alike() {
    // Given a world the current release wrote, traced as deployed (the items a stream consumer
    // acts on carry their writer's trace context), on a table every current migration has run on
    let binary = PreviousGateway::binary();
    traces_on();
    let api = TestApi::start().await;
    let (client, table) = (Client::new(api.adapters.aws_settings()), api.adapters.table_name().to_owned());
    let (tokens, slugs) = written_by_the_current_release(&api).await;
    migrated(&client, &table).await;
    assert_accounts_carry_their_trace_context(&client, &table).await;

    // When the previous release's gateway serves the same table (it starts without migrating:
    // it knows no migration the table lacks) and every account signs in through it
    let previous = PreviousGateway::start(&binary, &table);
    assert_fully_migrated(&client, &table).await;
    let mut accounts = Vec::new();
    for name in ["jake", "anne", "bob", "carl"] {
        let password = format!("password-{name}");
        let signed_in = previous.call("POST", "/users/login", Some(login(name, &password)), None).await;
        let token = signed_in.body["user"]["token"].as_str().map(str::to_owned);
        let (status, user) = comparable(signed_in);
        let current = api.get("/user", Some(&tokens[name])).await;
        assert_eq!((status, user), comparable(current), "{name} signed in through the previous release");
        let token = token.expect("token");
        // Two gateways, each with its own signing key: neither takes the other's tokens.
        assert_eq!(api.get("/user", Some(&token)).await.status, 401, "the previous release's token");
        accounts.push(Account { name, current: tokens[name].clone(), previous: token });
    }
    let world = World { accounts, slugs };
    let gateways = Gateways { current: api, previous };

    // Then it answers every read as the current release does, and that answer is the world
    gateways.agree_on_everything(&world).await;
    let all = gateways.agree("/articles", Caller::Anonymous).await;
    assert_eq!(all["articlesCount"], 3, "the deleted article is not listed: {all}");
    let feed = gateways.agree("/articles/feed", Caller::As(world.account("anne"))).await;
    assert_eq!(feed["articlesCount"], 2, "jake's two articles, none of bob's, whom anne unfollowed: {feed}");
    let comments = gateways.agree(&format!("/articles/{}/comments", world.slugs[0]), Caller::Anonymous).await;
    let bodies: Vec<&Value> = comments["comments"].as_array().expect("comments").iter().map(|c| &c["body"]).collect();
    assert_eq!(bodies, [&json!("First!"), &json!("Nice dragon.")], "the deleted comment is not listed");
    let dragons = gateways.agree(&format!("/articles/{}", world.slugs[0]), Caller::Anonymous).await;
    assert_eq!(
        (&dragons["article"]["favoritesCount"], &dragons["article"]["author"]["bio"]),
        (&json!(2), &json!("I work at statefarm"))
    );
    let deleted = gateways.agree(&format!("/articles/{}", world.slugs[3]), Caller::Anonymous).await;
    assert!(deleted["errors"].is_object(), "the deleted article: {deleted}");
    let tags = gateways.agree("/tags", Caller::Anonymous).await;
    // The most used first (training by two articles), the deleted article's tag gone.
    assert_eq!(tags, json!({"tags": ["training", "cooking", "dragons", "retries"]}));

    // When the previous release writes: a comment, a favorite, an edit, follows, and the reset
    // the current release mailed
    let (jake, anne, bob, carl) =
        (world.account("jake"), world.account("anne"), world.account("bob"), world.account("carl"));
    let (dragons, keyed, cooking) = (&world.slugs[0], &world.slugs[1], &world.slugs[2]);
    let comment = json!({"comment": {"body": "Written by the previous release."}});
    let commented =
        gateways.previous("POST", &format!("/articles/{keyed}/comments"), Some(comment), Caller::As(anne)).await;
    assert_eq!(commented.status, 200, "{:?}", commented.body);
    let favorited = gateways.previous("POST", &format!("/articles/{keyed}/favorite"), None, Caller::As(bob)).await;
    assert_eq!((favorited.status, &favorited.body["article"]["favoritesCount"]), (200, &json!(2)));
    let edit =
        json!({"article": {"title": "How to train your dragon, again", "body": "Edited by the previous release."}});
    let edited = gateways.previous("PUT", &format!("/articles/{dragons}"), Some(edit), Caller::As(jake)).await;
    assert_eq!(edited.status, 200, "{:?}", edited.body);
    let renamed = edited.body["article"]["slug"].as_str().expect("slug").to_owned();
    assert_ne!(&renamed, dragons);
    for (reader, author) in [(bob, "jake"), (anne, "bob")] {
        let followed = gateways.previous("POST", &format!("/profiles/{author}/follow"), None, Caller::As(reader)).await;
        assert_eq!((followed.status, &followed.body["profile"]["following"]), (200, &json!(true)));
    }
    let link = gateways.current.mailed_reset_token().await;
    let confirmation = json!({"user": {"token": link, "password": "a new password for carl"}});
    let confirmed = gateways.previous.call("POST", "/users/password-reset/confirm", Some(confirmation), None).await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);

    // Then carl's old tokens are refused by both releases (the reset ended his sessions), and his
    // new password signs him in through both
    let old_carl = gateways.current.get("/user", Some(&carl.current)).await;
    assert_eq!(old_carl.status, 401, "carl's token from the current release after the reset");
    let old_carl = gateways.previous.call("GET", "/user", None, Some(&carl.previous)).await;
    assert_eq!(old_carl.status, 401, "carl's token from the previous release after the reset");
    let new_password = login("carl", "a new password for carl");
    let carl = Account {
        name: "carl",
        current: sign_in(gateways.current.post("/users/login", new_password.clone(), None).await),
        previous: sign_in(gateways.previous.call("POST", "/users/login", Some(new_password), None).await),
    };

    // ...and the current release reads what the previous one wrote (rolling forward again), both
    // answering every read alike
    let rolled_forward = World {
        accounts: vec![jake.clone(), anne.clone(), bob.clone(), carl],
        slugs: vec![renamed.clone(), keyed.clone(), cooking.clone(), dragons.clone()],
    };
    gateways.agree_on_everything(&rolled_forward).await;
    let current = &gateways.current;
    let comments = current.get(&format!("/articles/{keyed}/comments"), Some(&anne.current)).await;
    let bodies: Vec<&Value> =
        comments.body["comments"].as_array().expect("comments").iter().map(|c| &c["body"]).collect();
    assert_eq!(bodies, [&json!("Keyed comment."), &json!("Written by the previous release.")]);
    let keyed_article = current.get(&format!("/articles/{keyed}"), Some(&bob.current)).await;
    assert_eq!(
        (&keyed_article.body["article"]["favorited"], &keyed_article.body["article"]["favoritesCount"]),
        (&json!(true), &json!(2))
    );
    let renamed_article = current.get(&format!("/articles/{renamed}"), None).await;
    assert_eq!(renamed_article.body["article"]["body"], "Edited by the previous release.");
    assert_eq!(current.get(&format!("/articles/{dragons}"), None).await.status, 404, "the old slug");
    assert_eq!(current.get("/profiles/jake", Some(&bob.current)).await.body["profile"]["following"], true);
    assert_eq!(current.feed_counting(&bob.current, 2).await.body["articlesCount"], 2);
    assert_eq!(current.feed_counting(&anne.current, 3).await.body["articlesCount"], 3);

    // ...and neither release's stream consumers gave up on a record the other wrote
    for gateway in [&gateways.current.base_url, &gateways.previous.base_url] {
        assert_eq!(stream_failures(gateway).await, json!([]), "the stream consumers of {gateway}");
    }
    assert_fully_migrated(&client, &table).await;
}
