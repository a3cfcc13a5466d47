//! Every endpoint through the local gateway, in this process, on a seeded table: latency, and the
//! DynamoDB capacity and sequential round trips of each request.
//!
//! What is measured is the function's own work, what Lambda would bill the route's function: on a
//! protected route the gateway runs the authorizer first, so each token is sent once on
//! `GET /api/user`, unmeasured, before it is used; the authorizer's answer is then cached (60 s,
//! as API Gateway caches it) and the measured request runs only the route's function.
//!
//! The network model: with a delay (`--network-delay-ms`, 4 by default), every other measured
//! request goes through a second gateway whose DynamoDB calls pass a loopback proxy that holds
//! each one that long ([`DynamoDbProxy`]), on the same table. Its latencies are reported beside
//! the direct ones: a sequential round trip costs what it costs a deployed function.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use conduit_api_tests::dynamodb_proxy::DynamoDbProxy;
use conduit_api_tests::read_floor::ReadFloor;
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_domain::User;
use conduit_domain::ports::{FollowWriter, PasswordHasher, UserReader, UserWriter};
use conduit_domain::values::{Email, Password, UserId, Username};
use conduit_domain::write_quotas::WriteAction;
use conduit_http::routes::{self, Auth};
use conduit_local_gateway::{Gateway, GatewayRequest, GatewayResponse};
use conduit_telemetry::capacity::{self, CapacityUsage};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::report::{DelayedLatency, EndpointRow, FEED_OF_200, FEED_OF_ONE};
use crate::sample_world::create_table;
use crate::stats::{Spread, millis, percentile, rounded};

/// Authors who publish, follow and favorite.
const AUTHORS: usize = 30;
const ARTICLES_PER_AUTHOR: usize = 10;
/// The reader of the feed follows this many authors.
const READER_FOLLOWS: usize = 10;
/// The second feed reader follows this many accounts (the authors and quiet accounts).
const BIG_READER_FOLLOWS: usize = 1000;
/// Two more feed readers, whose feeds' latencies are compared: one follows one author, the other
/// this many accounts (the authors and quiet accounts).
const MIDDLE_READER_FOLLOWS: usize = 200;
const READER_FAVORITES: usize = 25;
const POPULAR_COMMENTS: usize = 20;
const OTHER_COMMENTS: usize = 100;
/// What one user can make huge (docs/bounded-reads.md), written after every other row is
/// measured: this many comments of 9,000 characters on one article (6.4 MB of comments, more than
/// Lambda may answer at once) ...
const LONG_COMMENTS: usize = 700;
const LONG_COMMENT_CHARS: usize = 9_000;
/// ... and this many articles of ten tags of their own (tens of thousands of distinct tags).
const MANY_TAG_ARTICLES: usize = 3_000;
pub const LONG_COMMENTS_ROW: &str = "GET /api/articles/{slug}/comments (700 of 9 KB)";
pub const MANY_TAGS_ROW: &str = "GET /api/tags (30,000 tags)";
/// Accounts that never publish: followed by the second reader, and the targets of the endpoints
/// that need a fresh account per request (follow, password reset, revocation).
const QUIET_ACCOUNTS: usize = 1000;
const QUIET_PASSWORD: &str = "password-quiet";
/// Requests in flight while seeding.
const SEEDING_CONCURRENCY: usize = 8;
/// A token is sent to the authorizer again when it was last primed this long ago (its cache keeps
/// answers for 60 s).
const PRIME_AGAIN_AFTER: Duration = Duration::from_secs(30);
const TAGS: [&str; 12] = [
    "rust",
    "aws",
    "lambda",
    "dynamodb",
    "serverless",
    "testing",
    "design",
    "performance",
    "security",
    "frontend",
    "databases",
    "career",
];

/// Every measured request, by the label it is reported under, with the route API Gateway selects.
pub const PLAN: &[(&str, &str)] = &[
    ("GET /api/user", "GET /api/user"),
    ("GET /api/profiles/{username}", "GET /api/profiles/{username}"),
    ("GET /api/articles", "GET /api/articles"),
    ("GET /api/articles (anonymous)", "GET /api/articles"),
    ("GET /api/articles?tag=", "GET /api/articles"),
    ("GET /api/articles?author=", "GET /api/articles"),
    ("GET /api/articles?favorited=", "GET /api/articles"),
    (FEED_OF_ONE, "GET /api/articles/feed"),
    ("GET /api/articles/feed (10 followed)", "GET /api/articles/feed"),
    (FEED_OF_200, "GET /api/articles/feed"),
    ("GET /api/articles/feed (1,000 followed)", "GET /api/articles/feed"),
    ("GET /api/articles/{slug}", "GET /api/articles/{slug}"),
    ("GET /api/articles/{slug}/comments", "GET /api/articles/{slug}/comments"),
    ("GET /api/tags", "GET /api/tags"),
    (LONG_COMMENTS_ROW, "GET /api/articles/{slug}/comments"),
    (MANY_TAGS_ROW, "GET /api/tags"),
    ("GET /api/openapi.json", "GET /api/openapi.json"),
    ("GET /api/docs", "GET /api/docs"),
    ("GET /api/nothing ($default)", "$default"),
    ("POST /api/users", "POST /api/users"),
    ("POST /api/users/login", "POST /api/users/login"),
    ("PUT /api/user", "PUT /api/user"),
    ("POST /api/profiles/{username}/follow", "POST /api/profiles/{username}/follow"),
    ("DELETE /api/profiles/{username}/follow", "DELETE /api/profiles/{username}/follow"),
    ("POST /api/articles/{slug}/favorite", "POST /api/articles/{slug}/favorite"),
    ("DELETE /api/articles/{slug}/favorite", "DELETE /api/articles/{slug}/favorite"),
    ("POST /api/articles", "POST /api/articles"),
    ("PUT /api/articles/{slug}", "PUT /api/articles/{slug}"),
    ("POST /api/articles/{slug}/comments", "POST /api/articles/{slug}/comments"),
    ("DELETE /api/articles/{slug}/comments/{id}", "DELETE /api/articles/{slug}/comments/{id}"),
    ("DELETE /api/articles/{slug}", "DELETE /api/articles/{slug}"),
    ("POST /api/users/password-reset", "POST /api/users/password-reset"),
    ("POST /api/users/password-reset/confirm", "POST /api/users/password-reset/confirm"),
    ("DELETE /api/user/sessions", "DELETE /api/user/sessions"),
];

pub struct Options {
    pub dynamodb_endpoint: String,
    /// Measured requests per endpoint.
    pub requests: usize,
    /// Unmeasured requests before them.
    pub warmup: usize,
    /// At most this many measured requests for the feed of 1,000 followed accounts, which is slow.
    pub big_feed_requests: usize,
    /// Added to every DynamoDB request of every other measured request; none when zero.
    pub network_delay: Duration,
}

/// One request, as a client sends it (path under `/api`, with its query).
#[derive(Debug, Clone)]
struct Req {
    method: &'static str,
    path: String,
    body: Option<Value>,
    token: Option<String>,
}

impl Req {
    fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self { method, path: path.into(), body: None, token: None }
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Whether the gateway runs the authorizer before the route's function.
    fn is_protected(&self) -> bool {
        let path = format!("/api{}", self.path.split('?').next().unwrap_or_default());
        routes::find(self.method, &path).is_some_and(|(route, _)| route.auth == Auth::Required)
    }
}

struct Reply {
    status: u16,
    body: Value,
    route_key: Option<String>,
    function: Option<String>,
}

impl From<GatewayResponse> for Reply {
    fn from(response: GatewayResponse) -> Self {
        Self {
            status: response.status,
            body: serde_json::from_slice(&response.body).unwrap_or(Value::Null),
            route_key: response.route_key,
            function: response.function,
        }
    }
}

struct Api {
    gateway: Arc<Gateway>,
    /// The same handlers on the same table, their DynamoDB calls through the delaying proxy.
    delayed: Option<(Arc<Gateway>, DynamoDbProxy)>,
    adapters: Adapters,
    requests: AtomicU64,
    /// When each token's authorizer answer was last cached, per gateway (`true`: the delayed one).
    primed: std::sync::Mutex<HashMap<(bool, String), Instant>>,
}

impl Api {
    fn gateway_request(&self, request: &Req) -> GatewayRequest {
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        let mut headers = BTreeMap::from([("host".to_owned(), "127.0.0.1".to_owned())]);
        if let Some(token) = &request.token {
            headers.insert("authorization".to_owned(), format!("Token {token}"));
        }
        if request.body.is_some() {
            headers.insert("content-type".to_owned(), "application/json".to_owned());
        }
        GatewayRequest {
            method: request.method.to_owned(),
            raw_path: format!("/api{path}"),
            raw_query: query.to_owned(),
            headers,
            body: request.body.as_ref().map(|body| body.to_string().into_bytes()).unwrap_or_default(),
            source_ip: "127.0.0.1".to_owned(),
            request_id: format!("bench-{}", self.requests.fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// Sends `request` (unmeasured) and fails unless it is answered `status`.
    async fn expect(&self, request: &Req, status: u16) -> Result<Value, String> {
        self.expect_from(false, request, status).await
    }

    /// Like [`Self::expect`], through the delayed gateway when `delayed`.
    async fn expect_from(&self, delayed: bool, request: &Req, status: u16) -> Result<Value, String> {
        let reply = Reply::from(self.gateway(delayed).handle(self.gateway_request(request)).await);
        if reply.status != status {
            return Err(format!(
                "{} {}: {} (expected {status}): {}",
                request.method, request.path, reply.status, reply.body
            ));
        }
        Ok(reply.body)
    }

    /// The gateway a request goes to: the delayed one when asked and there is one.
    fn gateway(&self, delayed: bool) -> &Arc<Gateway> {
        match (&self.delayed, delayed) {
            (Some((gateway, _)), true) => gateway,
            _ => &self.gateway,
        }
    }

    /// Has the authorizer's answer for `token` cached in that gateway, unless it was recently.
    async fn prime(&self, token: &str, delayed: bool) -> Result<(), String> {
        let key = (delayed, token.to_owned());
        let fresh = |primed: &HashMap<(bool, String), Instant>| {
            primed.get(&key).is_some_and(|at| at.elapsed() < PRIME_AGAIN_AFTER)
        };
        if !fresh(&*self.primed.lock().map_err(|_| "poisoned")?) {
            self.expect_from(delayed, &Req::new("GET", "/user").token(token), 200).await?;
            self.primed.lock().map_err(|_| "poisoned")?.insert(key, Instant::now());
        }
        Ok(())
    }

    async fn register(&self, username: &str) -> Result<String, String> {
        let body = json!({"user": {
            "username": username,
            "email": format!("{username}@example.com"),
            "password": format!("password-{username}"),
        }});
        token_of(&self.expect(&Req::new("POST", "/users").body(body), 201).await?)
    }

    async fn login(&self, email: &str, password: &str) -> Result<String, String> {
        let body = json!({"user": {"email": email, "password": password}});
        token_of(&self.expect(&Req::new("POST", "/users/login").body(body), 200).await?)
    }

    /// Sends every request (unmeasured), several at a time, each expecting `status`.
    async fn send_all(&self, requests: Vec<Req>, status: u16) -> Result<Vec<Value>, String> {
        futures::stream::iter(requests)
            .map(|request| async move { self.expect(&request, status).await })
            .buffered(SEEDING_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }
}

fn token_of(body: &Value) -> Result<String, String> {
    body["user"]["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no token in {body}"))
}

fn slug_of(body: &Value) -> Result<String, String> {
    body["article"]["slug"].as_str().map(str::to_owned).ok_or_else(|| format!("no slug in {body}"))
}

/// The seeded world, and who is who in it.
struct World {
    api: Api,
    authors: Vec<String>,
    reader: String,
    big_reader: String,
    single_reader: String,
    middle_reader: String,
    /// Every article's slug, by author then number.
    slugs: Vec<String>,
    reader_favorites: Vec<usize>,
    popular: String,
    quiet: Vec<User>,
}

/// Runs seeding writes straight to the table, a few at a time; the first failure (described as
/// `what`) fails the seeding.
async fn write_all<E: std::fmt::Debug>(
    writes: impl Iterator<Item = impl std::future::Future<Output = Result<(), E>>>,
    what: &str,
) -> Result<(), String> {
    let written = futures::stream::iter(writes).buffer_unordered(SEEDING_CONCURRENCY).collect::<Vec<_>>().await;
    written.into_iter().collect::<Result<Vec<()>, E>>().map(|_| ()).map_err(|error| format!("{what}: {error:?}"))
}

async fn seed(options: &Options) -> Result<World, String> {
    let started = Instant::now();
    let (client, table) = create_table(&options.dynamodb_endpoint, "endpoints").await?;
    // A new table has every migration, as `conduit-local` records its tables.
    conduit_migrations::Migrator::new(client, &table)
        .baseline()
        .await
        .map_err(|error| format!("recording the migrations: {error:?}"))?;
    let keys = KeyRing { current: SigningKey::generate("bench-key"), previous: None };
    // Every account registers from this one address: far more than a source's default allowance;
    // and the measured writes come from a few accounts, each more than an hour's write quota.
    let adapters =
        Adapters::local(conduit_dynamodb_local::local_sdk_config(&options.dynamodb_endpoint), table, keys.clone())
            .with_abuse_limits(conduit_api_tests::heavy_writer_limits());
    let gateway = Arc::new(Gateway::new(&adapters).map_err(|error| format!("gateway: {error}"))?);
    let delayed = if options.network_delay.is_zero() {
        None
    } else {
        let proxy = DynamoDbProxy::with_delay(&options.dynamodb_endpoint, options.network_delay).await;
        let mut behind_proxy = Adapters::local(
            conduit_dynamodb_local::local_sdk_config(proxy.endpoint()),
            adapters.table_name().to_owned(),
            keys.clone(),
        )
        .with_abuse_limits(conduit_api_tests::heavy_writer_limits());
        // One outbox for both: the reset links mailed through either are read from the first.
        if let Some(outbox) = adapters.outbox() {
            behind_proxy = behind_proxy.with_outbox(outbox);
        }
        let gateway = Gateway::new(&behind_proxy).map_err(|error| format!("delayed gateway: {error}"))?;
        Some((Arc::new(gateway), proxy))
    };
    let api = Api { gateway, delayed, adapters, requests: AtomicU64::new(0), primed: Default::default() };

    // Accounts: the authors, the reader and the second reader register through the API.
    let readers = ["reader", "bigreader", "singlereader", "middlereader"].map(str::to_owned);
    let names: Vec<String> = (0..AUTHORS).map(|n| format!("author{n:02}")).chain(readers.clone()).collect();
    let mut tokens = futures::stream::iter(&names)
        .map(|name| api.register(name))
        .buffered(SEEDING_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<String>, String>>()?;
    let middle_reader = tokens.pop().ok_or("no token")?;
    let single_reader = tokens.pop().ok_or("no token")?;
    let big_reader = tokens.pop().ok_or("no token")?;
    let reader = tokens.pop().ok_or("no token")?;
    let authors = tokens;

    // Articles: ten per author, one to three tags each.
    let mut drafts = Vec::new();
    for (a, token) in authors.iter().enumerate() {
        for n in 0..ARTICLES_PER_AUTHOR {
            let tags = [TAGS[(a + n) % TAGS.len()], TAGS[(3 * n + 1) % TAGS.len()], TAGS[(5 * a + 2 * n) % TAGS.len()]];
            let body = json!({"article": {
                "title": format!("Notes on {} from author {a:02}, part {n}", tags[0]),
                "description": "What we learned, and what we would do differently next time.",
                "body": "A paragraph of an article of reasonable length, as people write them. ".repeat(25),
                "tagList": &tags[..1 + (a + n) % 3],
            }});
            drafts.push(Req::new("POST", "/articles").body(body).token(token));
        }
    }
    let slugs = api.send_all(drafts, 201).await?.iter().map(slug_of).collect::<Result<Vec<String>, String>>()?;
    let popular = slugs[0].clone();

    // Follows: the reader follows ten authors, each author the next three.
    let mut follows = Vec::new();
    for a in 0..READER_FOLLOWS {
        follows.push(Req::new("POST", format!("/profiles/author{a:02}/follow")).token(&reader));
    }
    for (a, token) in authors.iter().enumerate() {
        for next in 1..=3 {
            follows.push(Req::new("POST", format!("/profiles/author{:02}/follow", (a + next) % AUTHORS)).token(token));
        }
    }
    api.send_all(follows, 200).await?;

    // Favorites: ten per author, and the reader's.
    let reader_favorites: Vec<usize> = (0..READER_FAVORITES).map(|j| (j * 12 + 5) % slugs.len()).collect();
    let mut favorites: Vec<Req> = reader_favorites
        .iter()
        .map(|&k| Req::new("POST", format!("/articles/{}/favorite", slugs[k])).token(&reader))
        .collect();
    for (a, token) in authors.iter().enumerate() {
        for j in 0..10 {
            let k = (a * 11 + j * 29) % slugs.len();
            favorites.push(Req::new("POST", format!("/articles/{}/favorite", slugs[k])).token(token));
        }
    }
    api.send_all(favorites, 200).await?;

    // Comments: twenty on the popular article, a hundred spread over the others.
    let comment = |slug: &str, token: &str, n: usize| {
        Req::new("POST", format!("/articles/{slug}/comments"))
            .body(json!({"comment": {"body": format!("Comment {n}: thanks, this helped me with a similar problem.")}}))
            .token(token)
    };
    let mut comments: Vec<Req> = (0..POPULAR_COMMENTS).map(|n| comment(&popular, &authors[n % AUTHORS], n)).collect();
    comments.extend((0..OTHER_COMMENTS).map(|n| comment(&slugs[(n * 17 + 1) % slugs.len()], &authors[n % AUTHORS], n)));
    api.send_all(comments, 200).await?;

    // Quiet accounts, written straight to the table (registering a thousand accounts through the
    // API would spend most of the run hashing passwords), and the second reader's follows.
    let password = Password::parse(QUIET_PASSWORD).map_err(|error| format!("{error:?}"))?;
    let hash = api.adapters.password_hasher().hash(&password).map_err(|error| format!("{error:?}"))?;
    let needed = QUIET_ACCOUNTS.max(3 * (options.requests + options.warmup));
    let quiet: Vec<User> = (0..needed)
        .map(|n| {
            let username = Username::parse(&format!("quiet{n:04}")).map_err(|error| format!("{error:?}"))?;
            let email = Email::parse(&format!("quiet{n:04}@example.com")).map_err(|error| format!("{error:?}"))?;
            Ok(User::register(username, email, hash.clone()))
        })
        .collect::<Result<_, String>>()?;
    let users = api.adapters.users();
    write_all(quiet.iter().map(|user| users.insert(user, None)), "quiet accounts").await?;
    let find = |name: String| {
        let users = api.adapters.users();
        async move {
            let username = Username::parse(&name).map_err(|error| format!("{error:?}"))?;
            users
                .find_by_username(&username)
                .await
                .map_err(|error| format!("{error:?}"))?
                .ok_or_else(|| format!("{name} not found"))
        }
    };
    let mut author_ids = Vec::new();
    for a in 0..AUTHORS {
        author_ids.push(find(format!("author{a:02}")).await?.id);
    }
    let following = |reader: UserId, count: usize| {
        let followees = author_ids.iter().copied().chain(quiet.iter().map(|user| user.id)).take(count);
        followees.map(move |followee| (reader, followee)).collect::<Vec<_>>()
    };
    let mut pairs = following(find("bigreader".to_owned()).await?.id, BIG_READER_FOLLOWS);
    pairs.extend(following(find("middlereader".to_owned()).await?.id, MIDDLE_READER_FOLLOWS));
    pairs.extend(following(find("singlereader".to_owned()).await?.id, 1));
    let follows = api.adapters.follows();
    let charge = conduit_api_tests::seeding_charge(WriteAction::Follow);
    write_all(
        pairs.into_iter().map(|(reader, followee)| follows.follow(reader, followee, &charge)),
        "the other readers' follows",
    )
    .await?;

    eprintln!(
        "endpoints: seeded {} accounts, {} articles, {} comments, {} follows in {:.0} s",
        AUTHORS + readers.len() + quiet.len(),
        slugs.len(),
        POPULAR_COMMENTS + OTHER_COMMENTS,
        READER_FOLLOWS + 3 * AUTHORS + BIG_READER_FOLLOWS + MIDDLE_READER_FOLLOWS + 1,
        started.elapsed().as_secs_f64()
    );
    Ok(World {
        api,
        authors,
        reader,
        big_reader,
        single_reader,
        middle_reader,
        slugs,
        reader_favorites,
        popular,
        quiet,
    })
}

/// Measures one endpoint at a time: the first `warmup` requests unmeasured, the rest one after the
/// other. Per request it keeps the latency of the gateway's call and what [`capacity::measure`]
/// counted around it; the row has the latency's p50 and p99 and the p50 of each count (they vary
/// little from request to request; the p50 is the typical request's).
struct Runner {
    warmup: usize,
    rows: Vec<EndpointRow>,
}

impl Runner {
    async fn run(&mut self, api: &Api, label: &str, status: u16, requests: Vec<Req>) -> Result<Vec<Value>, String> {
        let route_key = PLAN
            .iter()
            .find(|(planned, _)| *planned == label)
            .map(|(_, key)| *key)
            .ok_or(format!("{label} is not in PLAN"))?;
        let mut latencies = Vec::new();
        let mut delayed_latencies = Vec::new();
        let mut usages: Vec<CapacityUsage> = Vec::new();
        let mut floors = Vec::new();
        let mut bodies = Vec::new();
        let mut function = None;
        for (index, request) in requests.iter().enumerate() {
            // Measured requests alternate between the direct gateway and the delayed one, the
            // first going direct; warm-up requests go direct.
            let delayed = api.delayed.is_some() && index >= self.warmup && (index - self.warmup) % 2 == 1;
            if let (true, Some(token)) = (request.is_protected(), &request.token) {
                api.prime(token, delayed).await?;
            }
            let gateway_request = api.gateway_request(request);
            let started = Instant::now();
            let (response, usage) = capacity::measure(api.gateway(delayed).handle(gateway_request)).await;
            let elapsed = started.elapsed();
            let reply = Reply::from(response);
            if reply.status != status {
                return Err(format!(
                    "{label}: {} {} answered {} (expected {status}): {}",
                    request.method, request.path, reply.status, reply.body
                ));
            }
            if reply.route_key.as_deref() != Some(route_key) {
                return Err(format!("{label}: routed to {:?}, expected {route_key}", reply.route_key));
            }
            function = reply.function;
            if index >= self.warmup {
                if delayed { &mut delayed_latencies } else { &mut latencies }.push(millis(elapsed));
                usages.push(usage);
                if request.method == "GET" {
                    floors.extend(ReadFloor::of_page(&reply.body, request.token.is_some()).map(|floor| floor.units));
                }
            }
            bodies.push(reply.body);
        }
        let latency = Spread::of(&latencies).ok_or(format!("{label}: nothing measured"))?;
        let median = |value: fn(&CapacityUsage) -> f64| {
            percentile(&usages.iter().map(value).collect::<Vec<_>>(), 50.0).map(rounded).unwrap_or_default()
        };
        let row = EndpointRow {
            route: label.to_owned(),
            route_key: route_key.to_owned(),
            function: function.unwrap_or_default(),
            round_trips: median(|usage| f64::from(usage.round_trips)),
            read_units: median(|usage| usage.read_units),
            write_units: median(|usage| usage.write_units),
            calls: median(|usage| f64::from(usage.calls)),
            p50_ms: rounded(latency.p50),
            p99_ms: rounded(latency.p99),
            requests: latencies.len(),
            read_floor: percentile(&floors, 50.0).map(rounded),
            delayed: Spread::of(&delayed_latencies).map(|spread| DelayedLatency {
                p50_ms: rounded(spread.p50),
                p99_ms: rounded(spread.p99),
                requests: delayed_latencies.len(),
            }),
        };
        eprintln!(
            "endpoints: {label:<44} {:>3} round trips, p50 {:>7.1} ms, p99 {:>7.1} ms",
            row.round_trips, row.p50_ms, row.p99_ms
        );
        self.rows.push(row);
        Ok(bodies)
    }
}

pub async fn run(options: &Options) -> Result<Vec<EndpointRow>, String> {
    let world = seed(options).await?;
    let api = &world.api;
    let n = options.warmup + options.requests;
    let mut runner = Runner { warmup: options.warmup, rows: Vec::new() };
    let reader = world.reader.as_str();
    let popular = world.popular.as_str();
    let repeat = |request: Req, count: usize| vec![request; count];

    // Reads, on the seeded data as it is.
    for (label, request) in [
        ("GET /api/user", Req::new("GET", "/user").token(reader)),
        ("GET /api/profiles/{username}", Req::new("GET", "/profiles/author03").token(reader)),
        ("GET /api/articles", Req::new("GET", "/articles").token(reader)),
        ("GET /api/articles (anonymous)", Req::new("GET", "/articles")),
        ("GET /api/articles?tag=", Req::new("GET", "/articles?tag=rust").token(reader)),
        ("GET /api/articles?author=", Req::new("GET", "/articles?author=author07").token(reader)),
        ("GET /api/articles?favorited=", Req::new("GET", "/articles?favorited=reader").token(reader)),
        (FEED_OF_ONE, Req::new("GET", "/articles/feed").token(&world.single_reader)),
        ("GET /api/articles/feed (10 followed)", Req::new("GET", "/articles/feed").token(reader)),
        (FEED_OF_200, Req::new("GET", "/articles/feed").token(&world.middle_reader)),
    ] {
        runner.run(api, label, 200, repeat(request, n)).await?;
    }
    let big_feed = options.warmup + options.requests.min(options.big_feed_requests);
    let feed = Req::new("GET", "/articles/feed").token(&world.big_reader);
    runner.run(api, "GET /api/articles/feed (1,000 followed)", 200, repeat(feed, big_feed)).await?;
    for (label, request) in [
        ("GET /api/articles/{slug}", Req::new("GET", format!("/articles/{popular}")).token(reader)),
        ("GET /api/articles/{slug}/comments", Req::new("GET", format!("/articles/{popular}/comments")).token(reader)),
        ("GET /api/tags", Req::new("GET", "/tags")),
        ("GET /api/openapi.json", Req::new("GET", "/openapi.json")),
        ("GET /api/docs", Req::new("GET", "/docs")),
    ] {
        runner.run(api, label, 200, repeat(request, n)).await?;
    }
    runner.run(api, "GET /api/nothing ($default)", 404, repeat(Req::new("GET", "/nothing"), n)).await?;

    // Accounts.
    let registrations = (0..n)
        .map(|i| {
            let name = format!("newcomer{i:04}");
            let body = json!({"user": {
                "username": name,
                "email": format!("{name}@example.com"),
                "password": format!("password-{name}"),
            }});
            Req::new("POST", "/users").body(body)
        })
        .collect();
    runner.run(api, "POST /api/users", 201, registrations).await?;
    let login = json!({"user": {"email": "reader@example.com", "password": "password-reader"}});
    runner.run(api, "POST /api/users/login", 200, repeat(Req::new("POST", "/users/login").body(login), n)).await?;
    let updates = (0..n)
        .map(|i| Req::new("PUT", "/user").body(json!({"user": {"bio": format!("Reader, version {i}")}})).token(reader))
        .collect();
    runner.run(api, "PUT /api/user", 200, updates).await?;

    // Follow, then unfollow, accounts the reader does not follow.
    let follow = |method: &'static str| -> Vec<Req> {
        let path = |user: &User| format!("/profiles/{}/follow", user.username.as_str());
        world.quiet.iter().take(n).map(|user| Req::new(method, path(user)).token(reader)).collect()
    };
    runner.run(api, "POST /api/profiles/{username}/follow", 200, follow("POST")).await?;
    runner.run(api, "DELETE /api/profiles/{username}/follow", 200, follow("DELETE")).await?;

    // Favorite, then unfavorite, articles the reader has not favorited.
    let unfavorited: Vec<&String> = world
        .slugs
        .iter()
        .enumerate()
        .filter(|(k, _)| !world.reader_favorites.contains(k))
        .map(|(_, slug)| slug)
        .collect();
    if unfavorited.len() < n {
        return Err(format!("{n} requests per endpoint need more than the {} articles seeded", world.slugs.len()));
    }
    let favorite = |method: &'static str| -> Vec<Req> {
        let path = |slug: &&String| format!("/articles/{slug}/favorite");
        unfavorited.iter().take(n).map(|slug| Req::new(method, path(slug)).token(reader)).collect()
    };
    runner.run(api, "POST /api/articles/{slug}/favorite", 200, favorite("POST")).await?;
    runner.run(api, "DELETE /api/articles/{slug}/favorite", 200, favorite("DELETE")).await?;

    // An author's new articles; one of them edited again and again.
    let author = world.authors[0].as_str();
    let drafts = (0..n)
        .map(|i| {
            let body = json!({"article": {
                "title": format!("Benchmark article {i}"),
                "description": "Written by the benchmark.",
                "body": "A paragraph of an article of reasonable length, as people write them. ".repeat(25),
                "tagList": [TAGS[i % TAGS.len()], TAGS[(i + 5) % TAGS.len()]],
            }});
            Req::new("POST", "/articles").body(body).token(author)
        })
        .collect();
    let created =
        runner.run(api, "POST /api/articles", 201, drafts).await?.iter().map(slug_of).collect::<Result<Vec<_>, _>>()?;
    let edits = (0..n)
        .map(|i| {
            let body = json!({"article": {"body": format!("Edited {i} times. ").repeat(40)}});
            Req::new("PUT", format!("/articles/{}", created[0])).body(body).token(author)
        })
        .collect();
    runner.run(api, "PUT /api/articles/{slug}", 200, edits).await?;

    // Comments on the popular article, then each deleted.
    let comments = (0..n)
        .map(|i| {
            let body = json!({"comment": {"body": format!("Benchmark comment {i}.")}});
            Req::new("POST", format!("/articles/{popular}/comments")).body(body).token(reader)
        })
        .collect();
    let ids = runner
        .run(api, "POST /api/articles/{slug}/comments", 200, comments)
        .await?
        .iter()
        .map(|body| match &body["comment"]["id"] {
            Value::Number(id) => Ok(id.to_string()),
            Value::String(id) => Ok(id.clone()),
            _ => Err(format!("no comment id in {body}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let deletions =
        ids.iter().map(|id| Req::new("DELETE", format!("/articles/{popular}/comments/{id}")).token(reader)).collect();
    runner.run(api, "DELETE /api/articles/{slug}/comments/{id}", 204, deletions).await?;

    // The new articles deleted (after every list was measured: a deleted article leaves a pending
    // purge that the lists of favorites then look at).
    let deletions = created.iter().map(|slug| Req::new("DELETE", format!("/articles/{slug}")).token(author)).collect();
    runner.run(api, "DELETE /api/articles/{slug}", 204, deletions).await?;

    // Password reset: a link for each of n accounts (the outbox keeps the mails), then each used.
    let resetting: Vec<&User> = world.quiet.iter().skip(n).take(n).collect();
    let requests = resetting
        .iter()
        .map(|user| Req::new("POST", "/users/password-reset").body(json!({"user": {"email": user.email.as_str()}})))
        .collect();
    runner.run(api, "POST /api/users/password-reset", 202, requests).await?;
    let mails = api.gateway.outbox().messages();
    let confirmations = resetting
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let address = user.email.as_str();
            let mail = mails
                .iter()
                .rev()
                .find(|mail| mail.to.as_str() == address)
                .ok_or_else(|| format!("no reset mail for {address}"))?;
            let token = reset_token(&mail.text).ok_or_else(|| format!("no link in the mail to {address}"))?;
            let body = json!({"user": {"token": token, "password": format!("a new password {i}")}});
            Ok(Req::new("POST", "/users/password-reset/confirm").body(body))
        })
        .collect::<Result<Vec<_>, String>>()?;
    runner.run(api, "POST /api/users/password-reset/confirm", 200, confirmations).await?;

    // Sign out everywhere: one account per request, signed in just before.
    let mut revocations = Vec::new();
    for user in world.quiet.iter().skip(2 * n).take(n) {
        let token = api.login(user.email.as_str(), QUIET_PASSWORD).await?;
        revocations.push(Req::new("DELETE", "/user/sessions").token(&token));
    }
    runner.run(api, "DELETE /api/user/sessions", 204, revocations).await?;

    // Last, what one user can make huge, and the reads it must not make grow: the comments of one
    // article (a page of them), and the tags (the most used).
    let long_comment = json!({"comment": {"body": "c".repeat(LONG_COMMENT_CHARS)}});
    let commented = &world.slugs[1];
    let comments = (0..LONG_COMMENTS)
        .map(|i| {
            let path = format!("/articles/{commented}/comments");
            Req::new("POST", path).body(long_comment.clone()).token(&world.authors[i % AUTHORS])
        })
        .collect();
    api.send_all(comments, 200).await?;
    let tagged = (0..MANY_TAG_ARTICLES)
        .map(|i| {
            let tags: Vec<String> = (0..10).map(|k| format!("topic{i}-{k}")).collect();
            let body = json!({"article": {
                "title": format!("A note on {} more topics, {i}", tags.len()),
                "description": "d", "body": "b", "tagList": tags,
            }});
            Req::new("POST", "/articles").body(body).token(&world.authors[i % AUTHORS])
        })
        .collect();
    api.send_all(tagged, 201).await?;
    let page = Req::new("GET", format!("/articles/{commented}/comments")).token(reader);
    runner.run(api, LONG_COMMENTS_ROW, 200, repeat(page, n)).await?;
    runner.run(api, MANY_TAGS_ROW, 200, repeat(Req::new("GET", "/tags"), n)).await?;

    Ok(runner.rows)
}

/// The token of a password-reset link (`.../reset-password#token=<token>`) in a mail's text.
fn reset_token(text: &str) -> Option<String> {
    let start = text.find("#token=")? + "#token=".len();
    let token: String =
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_plan_measures_every_route_of_the_route_table_and_the_default_route() {
        let planned: BTreeSet<&str> = PLAN.iter().map(|(_, route_key)| *route_key).collect();
        let routes: Vec<String> = routes::ROUTES.iter().map(|route| route.key()).collect();

        let missing: Vec<&String> = routes.iter().filter(|key| !planned.contains(key.as_str())).collect();

        assert!(missing.is_empty(), "routes without a measurement: {missing:?}");
        assert!(planned.contains("$default"));
        let unknown: Vec<&&str> =
            planned.iter().filter(|key| **key != "$default" && !routes.iter().any(|route| route == *key)).collect();
        assert!(unknown.is_empty(), "PLAN names routes the table does not have: {unknown:?}");
    }

    #[test]
    fn labels_are_unique() {
        let labels: BTreeSet<&str> = PLAN.iter().map(|(label, _)| *label).collect();

        assert_eq!(labels.len(), PLAN.len());
    }

    #[test]
    fn the_reset_token_is_read_from_the_link() {
        let text = "Reset it here: http://localhost:4100/reset-password#token=q8Vh3nX0bR2t-L6y_W9 (valid 30 minutes)";

        assert_eq!(reset_token(text).as_deref(), Some("q8Vh3nX0bR2t-L6y_W9"));
        assert_eq!(reset_token("no link"), None);
    }

    #[test]
    fn only_routes_behind_the_authorizer_count_as_protected() {
        assert!(Req::new("GET", "/articles/feed?limit=5").is_protected());
        assert!(Req::new("DELETE", "/user/sessions").is_protected());
        assert!(!Req::new("GET", "/articles?tag=rust").is_protected());
        assert!(!Req::new("POST", "/users/login").is_protected());
        assert!(!Req::new("GET", "/nothing").is_protected());
    }
}
