//! A test harness for the whole API: each test gets its own DynamoDB table and its own local
//! gateway on a free port, so tests run in parallel and see only their own data.

use std::sync::Arc;
use std::time::Duration;

use conduit_bootstrap::{Adapters, JwtService, KeyRing, SigningKey};
use conduit_local_gateway::{AwsLimits, Gateway, GatewayRequest, GatewayResponse, RecentTraces, serve};
pub use conduit_telemetry::capacity::CapacityUsage;
use serde_json::{Value, json};

pub use serde_json;

pub mod custom_resource;
pub mod dynamodb_proxy;
pub mod error_contract;
pub mod faults;
pub mod function_template;
pub mod read_floor;
pub mod sample_tokens;
pub mod samples;

pub mod template;

pub struct TestApi {
    pub base_url: String,
    pub adapters: Adapters,
    /// The key this API signs tokens with.
    pub signing_key: SigningKey,
    gateway: Arc<Gateway>,
    client: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The DynamoDB Local this API alone uses, when it has one ([`Self::start_alone`]).
    _engine: Option<conduit_dynamodb_local::DynamoDbLocal>,
}

/// A response, reduced to what the tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

impl Drop for TestApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApi {
    pub async fn start() -> Self {
        Self::start_in(conduit_dynamodb_local::test_table().await).await
    }

    /// Like [`Self::start`], on a DynamoDB Local of its own, stopped with the API. For tests that
    /// send bursts of transactions conflicting on one item: DynamoDB Local runs them one at a
    /// time, and the shared engine, slower as the suite fills it, can take longer than the
    /// deployed time budget allows for the burst, which is not what such a test checks.
    pub async fn start_alone() -> Self {
        Self::start_alone_configured(|adapters| adapters).await
    }

    /// Like [`Self::start_alone`], with abuse limits of the test's choosing: small ones to reach
    /// under a burst, or [`heavy_writer_limits`] for a test that writes more from one account than
    /// an hour's default allowance (it says why).
    pub async fn start_alone_with_abuse_limits(limits: conduit_bootstrap::AbuseLimits) -> Self {
        Self::start_alone_configured(|adapters| adapters.with_abuse_limits(limits)).await
    }

    /// Like [`Self::start_alone`], configured by the test (limits it needs, say).
    pub async fn start_alone_configured(configure: impl FnOnce(Adapters) -> Adapters) -> Self {
        let engine =
            conduit_dynamodb_local::DynamoDbLocal::start(None).await.expect("a DynamoDB Local of this test's own");
        let table = conduit_dynamodb_local::test_table_on(engine.endpoint()).await;
        let mut api = Self::start_configured(table, configure).await;
        api._engine = Some(engine);
        api
    }

    /// A gateway with local adapters on `table` (a test's own DynamoDB Local, say). The table is
    /// new, so it is recorded as having every migration, as `conduit-local` records its tables.
    pub async fn start_in(table: conduit_dynamodb_local::TestTable) -> Self {
        Self::start_configured(table, |adapters| adapters).await
    }

    /// Like [`Self::start`], with authors pushed to at most `limit` followers' feeds (the deployed
    /// limit is a thousand): later followers pull, which tests can then meet.
    pub async fn start_with_feed_push_limit(limit: usize) -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured(table, |adapters| adapters.with_feed_push_limit(limit)).await
    }

    /// Like [`Self::start`], with abuse limits of the test's choosing (small ones, to reach them).
    pub async fn start_with_abuse_limits(limits: conduit_bootstrap::AbuseLimits) -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured(table, |adapters| adapters.with_abuse_limits(limits)).await
    }

    /// Like [`Self::start`], with read limits of the test's choosing (small pages, to reach them).
    pub async fn start_with_read_limits(limits: conduit_bootstrap::ReadLimits) -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured(table, |adapters| adapters.with_read_limits(limits)).await
    }

    /// Like [`Self::start`], with the stream consumers' chunk limits of the test's choosing (small
    /// chunks, so that their work goes through several invocations).
    pub async fn start_with_chunk_limits(limits: conduit_bootstrap::ChunkLimits) -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured(table, |adapters| adapters.with_chunk_limits(limits)).await
    }

    /// Like [`Self::start`], with the per-source allowances so large that a test which registers
    /// or logs in many accounts from this one address never meets them (the other limits keep
    /// their defaults). Tests that use it say why.
    pub async fn start_for_many_accounts() -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured(table, |adapters| adapters.with_abuse_limits(many_accounts_limits())).await
    }

    /// Like [`Self::start`], with AWS's limits of the test's choosing (a smaller response limit or
    /// function timeout, to reach it).
    pub async fn start_with_aws_limits(limits: AwsLimits) -> Self {
        let table = conduit_dynamodb_local::test_table().await;
        Self::start_configured_limited(table, |adapters| adapters, limits).await
    }

    /// A gateway with local adapters on `table`, configured by the test (a short idempotency
    /// expiry, say).
    pub async fn start_configured(
        table: conduit_dynamodb_local::TestTable,
        configure: impl FnOnce(Adapters) -> Adapters,
    ) -> Self {
        Self::start_configured_limited(table, configure, deployed_limits()).await
    }

    async fn start_configured_limited(
        table: conduit_dynamodb_local::TestTable,
        configure: impl FnOnce(Adapters) -> Adapters,
        limits: AwsLimits,
    ) -> Self {
        let (adapters, signing_key) = Self::local_adapters(table).await;
        Self::start_limited(configure(adapters), signing_key, limits).await
    }

    /// Like [`Self::start`], serving at `/_local/traces` the spans `recent` keeps: the exporter of
    /// the tracer provider the test installed (once per process).
    pub async fn start_with_recent_traces(recent: RecentTraces) -> Self {
        let (adapters, signing_key) = Self::local_adapters(conduit_dynamodb_local::test_table().await).await;
        let gateway = Gateway::new(&adapters).expect("gateway built").with_recent_traces(recent);
        Self::serving(gateway, adapters, signing_key).await
    }

    /// Local adapters on `table`, recorded as having every migration, and the key they sign with.
    async fn local_adapters(table: conduit_dynamodb_local::TestTable) -> (Adapters, SigningKey) {
        conduit_migrations::Migrator::new(table.client.clone(), &table.name)
            .baseline()
            .await
            .expect("new table recorded as migrated");
        let signing_key = SigningKey::generate("test-key");
        let keys = KeyRing { current: signing_key.clone(), previous: None };
        (Adapters::local(table.sdk_config, table.name, keys), signing_key)
    }

    /// A gateway on adapters of the test's choosing (its own DynamoDB, time budget or key source);
    /// `signing_key` is the key those adapters sign tokens with.
    pub async fn start_on(adapters: Adapters, signing_key: SigningKey) -> Self {
        Self::start_limited(adapters, signing_key, deployed_limits()).await
    }

    /// Like [`Self::start_on`], with AWS's limits of the test's choosing.
    pub async fn start_limited(adapters: Adapters, signing_key: SigningKey, limits: AwsLimits) -> Self {
        let gateway = Gateway::new(&adapters).expect("gateway built").with_aws_limits(limits);
        Self::serving(gateway, adapters, signing_key).await
    }

    async fn serving(gateway: Gateway, adapters: Adapters, signing_key: SigningKey) -> Self {
        let gateway = Arc::new(gateway);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("free port");
        let base_url = format!("http://{}/api", listener.local_addr().expect("bound"));
        let server = tokio::spawn(serve(listener, Arc::clone(&gateway)));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        Self { base_url, adapters, signing_key, gateway, client, server, _engine: None }
    }

    /// Sends a request; `body` is sent as JSON when given, `token` as `Authorization: Token ...`.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Reply {
        let request = api_request(&self.client, &self.base_url, method, path, body, token);
        Self::reply(request.send().await.expect("request sent")).await
    }

    /// Sends a JSON `POST` from another loopback address (`127.0.0.2`, say): API Gateway's
    /// `sourceIp` is the connecting address, so this is another source to the per-source limits.
    pub async fn post_from(&self, source: std::net::IpAddr, path: &str, body: Value) -> Reply {
        let client =
            reqwest::Client::builder().local_address(source).timeout(Duration::from_secs(30)).build().expect("client");
        Self::reply(client.post(format!("{}{path}", self.base_url)).json(&body).send().await.expect("request sent"))
            .await
    }

    /// Like [`Self::post_from`], with `Idempotency-Key: <key>`.
    pub async fn keyed_post_from(&self, source: std::net::IpAddr, path: &str, body: Value, key: &str) -> Reply {
        let client =
            reqwest::Client::builder().local_address(source).timeout(Duration::from_secs(30)).build().expect("client");
        let request = client.post(format!("{}{path}", self.base_url)).header("idempotency-key", key).json(&body);
        Self::reply(request.send().await.expect("request sent")).await
    }

    /// Sends a request exactly as given (raw body, any headers).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base_url)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Self::reply(request.send().await.expect("request sent")).await
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body read");
        let is_json =
            headers.get("content-type").and_then(|value| value.to_str().ok()).is_some_and(|kind| kind.contains("json"));
        let body = match (bytes.is_empty(), is_json) {
            (true, _) => Value::Null,
            (false, true) => serde_json::from_slice(&bytes).expect("JSON body"),
            // Pages and other text are kept as a JSON string.
            (false, false) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        };
        let reply = Reply { status, headers, body };
        error_contract::check(&reply, None);
        reply
    }

    /// Sends a request as [`Self::call`] does, with `Idempotency-Key: <key>`.
    pub async fn keyed(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>, key: &str) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request =
            self.client.request(method, format!("{}{path}", self.base_url)).header("idempotency-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.header("authorization", format!("Token {token}"));
        }
        Self::reply(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, None, token).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.call("POST", path, Some(body), token).await
    }

    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.call("PUT", path, Some(body), token).await
    }

    /// The mail the functions sent, as the local gateway's outbox serves it (newest last).
    pub async fn outbox(&self) -> Vec<Value> {
        let root = self.base_url.trim_end_matches("/api");
        let response = self.client.get(format!("{root}/_local/outbox")).send().await.expect("outbox read");
        let body: Value = response.json().await.expect("outbox JSON");
        body["messages"].as_array().cloned().unwrap_or_default()
    }

    /// The password-reset mails in the outbox, oldest first (other mails, such as the welcome
    /// mail each registration sends, are left out).
    pub async fn reset_mails(&self) -> Vec<Value> {
        self.outbox().await.into_iter().filter(|mail| mail["subject"] == "Reset your Conduit password").collect()
    }

    /// The token of the newest password-reset mail, read from the link in its text part.
    pub async fn mailed_reset_token(&self) -> String {
        let mail = self.reset_mails().await.pop().expect("a reset mail in the outbox");
        let text = mail["text"].as_str().expect("a text part");
        let (_, after) = text.split_once("/reset-password#token=").expect("a reset link in the mail");
        after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    }

    /// Registers `username` (e-mail `<username>@example.com`, password `password-<username>`)
    /// and returns its token.
    pub async fn register(&self, username: &str) -> String {
        let reply = self.post("/users", registration(username), None).await;
        assert_eq!(reply.status, 201, "registering {username}: {:?}", reply.body);
        reply.body["user"]["token"].as_str().expect("token").to_owned()
    }

    /// The caller's feed once it counts at least `articles` and its first page lists as many as
    /// fit: new articles reach pushed followers' feeds through the table's stream (the fan-out),
    /// and pulled followers' through the author index (eventually consistent), a moment after they
    /// are published. Fails after 15 s.
    pub async fn feed_counting(&self, token: &str, articles: u64) -> Reply {
        const FIRST_PAGE: u64 = 20;
        let started = std::time::Instant::now();
        loop {
            let reply = self.get("/articles/feed", Some(token)).await;
            let counted = reply.body["articlesCount"].as_u64().unwrap_or_default();
            let listed = reply.body["articles"].as_array().map_or(0, |listed| listed.len() as u64);
            if reply.status == 200 && counted >= articles && listed >= articles.min(FIRST_PAGE) {
                return reply;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "after 15 s the feed counts {counted} articles, not {articles}: {:?}",
                reply.body
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a request through the gateway in this task (not over the network) and returns the
    /// reply with the DynamoDB capacity the request consumed.
    pub async fn measure(&self, method: &str, path_and_query: &str, token: Option<&str>) -> (Reply, CapacityUsage) {
        self.measure_with_body(method, path_and_query, None, token).await
    }

    /// Like [`Self::measure`], with a JSON body.
    pub async fn measure_with_body(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (Reply, CapacityUsage) {
        self.measure_with_headers(method, path_and_query, body, token, &[]).await
    }

    /// Like [`Self::measure_with_body`], with more headers (an `Idempotency-Key`, say).
    pub async fn measure_with_headers(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
        token: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> (Reply, CapacityUsage) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let mut headers = std::collections::BTreeMap::from([("host".to_owned(), "127.0.0.1".to_owned())]);
        for (name, value) in extra_headers {
            headers.insert(name.to_ascii_lowercase(), (*value).to_owned());
        }
        if let Some(token) = token {
            headers.insert("authorization".to_owned(), format!("Token {token}"));
        }
        if body.is_some() {
            headers.insert("content-type".to_owned(), "application/json".to_owned());
        }
        let request = GatewayRequest {
            method: method.to_owned(),
            raw_path: format!("/api{path}"),
            raw_query: query.to_owned(),
            headers,
            body: body.map(|body| body.to_string().into_bytes()).unwrap_or_default(),
            source_ip: "127.0.0.1".to_owned(),
            request_id: "measured".to_owned(),
        };
        let (response, usage) = conduit_telemetry::capacity::measure(self.gateway.handle(request)).await;
        (reply_of(&response), usage)
    }

    /// Sends a bodiless request with exactly these headers through the gateway in this task and
    /// says where the gateway sent it: the route it selected and the function that answered.
    pub async fn route(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Routed {
        self.route_with_body(method, path, headers, Vec::new()).await
    }

    /// Like [`Self::route`], with a body.
    pub async fn route_with_body(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Routed {
        let request = GatewayRequest {
            method: method.to_owned(),
            raw_path: format!("/api{path}"),
            raw_query: String::new(),
            headers: headers.iter().map(|(name, value)| (name.to_ascii_lowercase(), (*value).to_owned())).collect(),
            body,
            source_ip: "127.0.0.1".to_owned(),
            request_id: "routed".to_owned(),
        };
        let response = self.gateway.handle(request).await;
        Routed { reply: reply_of(&response), route_key: response.route_key, function: response.function }
    }

    /// Token issuing with this API's key but another lifetime (e.g. zero, for expired tokens).
    pub fn jwt_with_lifetime(&self, lifetime: Duration) -> JwtService {
        self.adapters.clone().with_token_lifetime(lifetime).jwt().expect("jwt")
    }
}

/// Lambda's response limit and the template's function timeouts, as deployed.
fn deployed_limits() -> AwsLimits {
    AwsLimits::deployed().expect("the template's function timeouts")
}

/// A reply with where the gateway sent the request (what API Gateway's access log records).
#[derive(Debug)]
pub struct Routed {
    pub reply: Reply,
    /// `$context.routeKey`: a route's key, `$default`, or `None` when no route matched.
    pub route_key: Option<String>,
    /// The function that answered; `None` when the gateway answered by itself.
    pub function: Option<String>,
}

fn reply_of(response: &GatewayResponse) -> Reply {
    let is_json = response
        .headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case("content-type") && value.contains("json"));
    let body = match (response.body.is_empty(), is_json) {
        (true, _) => Value::Null,
        (false, true) => serde_json::from_slice(&response.body).expect("JSON"),
        // Pages and other text are kept as a JSON string, as [`TestApi::call`] keeps them.
        (false, false) => Value::String(String::from_utf8_lossy(&response.body).into_owned()),
    };
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) =
            (reqwest::header::HeaderName::from_bytes(name.as_bytes()), reqwest::header::HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    let reply = Reply { status: response.status, headers, body };
    error_contract::check(&reply, Some(response.function.is_some()));
    reply
}

/// Every item of a test's own table, by a consistent Scan (fine in a test, whose table is its
/// alone; no request path scans).
pub async fn scan_table(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .expect("table scanned");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// A request to the API at `base_url`: `body` is sent as JSON when given, `token` as
/// `Authorization: Token ...`.
pub fn api_request(
    client: &reqwest::Client,
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> reqwest::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, format!("{base_url}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Token {token}"));
    }
    request
}

/// Takes every tag counter out of the index of tags by use, as the releases before migration
/// 0004 wrote them.
pub async fn take_tag_counters_out_of_their_index(client: &aws_sdk_dynamodb::Client, table: &str) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let counters = client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :tags")
        .expression_attribute_values(":tags", AttributeValue::S("TAGS".into()))
        .consistent_read(true)
        .send()
        .await
        .expect("queried");
    for counter in counters.items() {
        let key = counter.iter().filter(|(name, _)| *name == "PK" || *name == "SK");
        client
            .update_item()
            .table_name(table)
            .set_key(Some(key.map(|(name, value)| (name.clone(), value.clone())).collect()))
            .update_expression("REMOVE GSI4PK")
            .send()
            .await
            .expect("taken out of the index");
    }
}

/// Deletes the table's record of migration `id`, as if the table had been written by the release
/// before it: the next run applies it.
pub async fn forget_migration(client: &aws_sdk_dynamodb::Client, table: &str, id: &str) {
    client
        .delete_item()
        .table_name(table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S("MIGRATIONS".into()))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(format!("APPLIED#{id}")))
        .send()
        .await
        .expect("migration record removed");
}

/// The default abuse limits with per-source allowances no test meets: for suites that register
/// hundreds of accounts from one address (the deployed default is 30 sign-ups an hour).
pub fn many_accounts_limits() -> conduit_bootstrap::AbuseLimits {
    let unlimited = conduit_domain::throttling::WindowQuota { max: 1_000_000, window: Duration::from_secs(60) };
    conduit_bootstrap::AbuseLimits {
        failed_logins_per_source: unlimited,
        registrations_per_source: unlimited,
        reset_requests_per_source: unlimited,
        ..conduit_bootstrap::AbuseLimits::default()
    }
}

/// [`many_accounts_limits`] with write quotas no test or bench meets: for suites that write more
/// from one account than an hour's default allowance (the bench's seeding and its measured
/// writes, the cost test's 200 articles per author).
pub fn heavy_writer_limits() -> conduit_bootstrap::AbuseLimits {
    let unlimited = conduit_domain::throttling::WindowQuota { max: 1_000_000, window: Duration::from_secs(60) };
    let account_writes = conduit_domain::write_quotas::WriteQuotas {
        articles: unlimited,
        comments: unlimited,
        follows: unlimited,
        favorites: unlimited,
    };
    conduit_bootstrap::AbuseLimits { account_writes, ..many_accounts_limits() }
}

/// The charge of a write made straight through an adapter to seed data, against a quota no
/// seeding meets (a thousand follows of one reader, say).
pub fn seeding_charge(action: conduit_domain::write_quotas::WriteAction) -> conduit_domain::write_quotas::WriteCharge {
    heavy_writer_limits().account_writes.charge(action, conduit_domain::values::Timestamp::now())
}

pub fn registration(username: &str) -> Value {
    json!({"user": {"username": username, "email": format!("{username}@example.com"), "password": format!("password-{username}")}})
}

/// One field's messages, read as a client reads them, e.g. `errors(&reply, "email") == ["has
/// already been taken"]`: under the field's key, except for a field named `body`, whose key holds
/// every error's sentence (`errors.body`, the official schema's), so its messages are the sentences
/// that start with "body ".
pub fn errors<'a>(reply: &'a Reply, field: &str) -> Vec<&'a str> {
    let messages = reply.body["errors"][field].as_array().into_iter().flatten().filter_map(Value::as_str);
    if field == "body" {
        messages.filter_map(|sentence| sentence.strip_prefix("body ")).collect()
    } else {
        messages.collect()
    }
}

/// `errors.body`: one readable sentence per message, e.g. `["email has already been taken"]`.
pub fn sentences(reply: &Reply) -> Vec<&str> {
    reply.body["errors"]["body"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}
