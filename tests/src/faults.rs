//! What the fault tests need besides a gateway: a moto_server of their own that they can pause, an
//! endpoint that accepts connections and never answers, a scratch directory, and a check that the
//! table still holds together after a write was cut short (every claim has its owner, every
//! counter counts what it counts). Every process and task here ends when its value is dropped, so
//! a failing test leaves nothing running.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_bootstrap::TimeBudget;
use conduit_dynamodb_local::TestTable;

/// The short, realistic time budget a gateway under a fault test runs with, so an outage shows
/// in seconds: half the deployed one. An attempt keeps the deployed second (DynamoDB Local on a
/// busy test machine takes hundreds of milliseconds for a transaction, which real DynamoDB does
/// not); a call gets 1.5 s rather than 3, room for a retry after a quick failure; a request 3 s.
pub const BUDGET: TimeBudget = TimeBudget {
    connect: Duration::from_millis(500),
    attempt: Duration::from_secs(1),
    operation: Duration::from_millis(1500),
    max_attempts: 3,
    request: Duration::from_secs(3),
};

/// What answering may add to the request budget before a fault test calls an answer late: the
/// gateway's own work, hashing a password, a loaded machine.
pub const MARGIN: Duration = Duration::from_millis(500);

/// A moto_server (the Secrets Manager protocol) of one test, on a free loopback port.
pub struct MotoServer {
    endpoint: String,
    process: Child,
}

impl MotoServer {
    const READY_TIMEOUT: Duration = Duration::from_secs(30);

    /// Starts the moto_server the project's scripts install under `.tools/` (or `MOTO_SERVER`).
    pub async fn start() -> Self {
        let program = std::env::var_os("MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/moto_server"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let process = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {} ({error}): run infra/test.sh once, which installs it", program.display())
            });
        let server = Self { endpoint: format!("http://127.0.0.1:{port}"), process };
        let deadline = Instant::now() + Self::READY_TIMEOUT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on port {port} within {:?}",
                Self::READY_TIMEOUT
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Freezes the server (SIGSTOP): it keeps its state, the kernel still accepts connections,
    /// nothing is answered.
    pub fn pause(&self) {
        signal(self.process.id(), "STOP");
    }

    /// Lets a paused server run again (SIGCONT).
    pub fn resume(&self) {
        signal(self.process.id(), "CONT");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // SIGKILL ends a paused process too.
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn signal(pid: u32, signal: &str) {
    let status = Command::new("kill").arg(format!("-{signal}")).arg(pid.to_string()).status().expect("kill(1) runs");
    assert!(status.success(), "kill -{signal} {pid}: {status}");
}

/// A TCP endpoint that accepts every connection and never answers: a dependency that hangs
/// without refusing anything. The connections stay open until this value is dropped.
pub struct Blackhole {
    endpoint: String,
    accepted: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Blackhole {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Self { endpoint, accepted, task }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Connections accepted so far: proof that the clients did reach it.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Blackhole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A directory of one test under the system's temporary directory, removed when dropped.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(purpose: &str) -> Self {
        let path = std::env::temp_dir().join(format!("conduit-{purpose}-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&path).expect("scratch directory created");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every broken invariant of the table's design (`shared/repository/README.md`), one sentence
/// each; empty when the table holds together. Reads the whole table, strongly consistent: only
/// for the small tables of tests.
pub async fn inconsistencies(table: &TestTable) -> Vec<String> {
    Snapshot::read(table).await.inconsistencies()
}

/// Waits until the table stops changing (strongly consistent reads 300 ms apart agree): a paused
/// engine, once resumed, still runs the requests it took while frozen.
pub async fn settled(table: &TestTable) {
    let mut last = Snapshot::read(table).await.fingerprint();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = Snapshot::read(table).await.fingerprint();
        if now == last {
            return;
        }
        last = now;
    }
    panic!("the table {} kept changing for 6 s", table.name);
}

type Item = HashMap<String, AttributeValue>;

struct Snapshot {
    items: Vec<Item>,
}

struct StoredUser {
    username: String,
    email: String,
    articles_count: i64,
    favorites_count: i64,
}

struct StoredArticle {
    slug: String,
    author: String,
    tags: Vec<String>,
    favorites_count: i64,
}

impl Snapshot {
    async fn read(table: &TestTable) -> Self {
        Self { items: crate::scan_table(&table.client, &table.name).await }
    }

    fn fingerprint(&self) -> Vec<String> {
        let mut items: Vec<String> =
            self.items.iter().map(|item| format!("{:?}", item.iter().collect::<BTreeMap<_, _>>())).collect();
        items.sort_unstable();
        items
    }

    fn with_key<'a>(
        &'a self,
        partition_prefix: &'a str,
        sort: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Item> + 'a {
        self.items.iter().filter(move |item| text(item, "PK").starts_with(partition_prefix) && sort(text(item, "SK")))
    }

    fn inconsistencies(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let users: BTreeMap<&str, StoredUser> = self
            .with_key("USER#", |sort| sort == "USER")
            .map(|item| {
                let user = StoredUser {
                    username: text(item, "username").to_ascii_lowercase(),
                    email: text(item, "email").to_lowercase(),
                    articles_count: number(item, "articles_count"),
                    favorites_count: number(item, "favorites_count"),
                };
                (text(item, "id"), user)
            })
            .collect();
        let articles: BTreeMap<&str, StoredArticle> = self
            .with_key("ARTICLE#", |sort| sort == "ARTICLE")
            .map(|item| {
                let article = StoredArticle {
                    slug: text(item, "slug").to_owned(),
                    author: text(item, "author_id").to_owned(),
                    tags: texts(item, "tags"),
                    favorites_count: number(item, "favorites_count"),
                };
                (text(item, "id"), article)
            })
            .collect();

        // Uniqueness claims: each names an account that holds that value, and each account holds
        // its claims. A claim without its account is a value nobody can ever register again.
        for (kind, prefix, sort) in [("e-mail", "EMAIL#", "EMAIL"), ("username", "USERNAME#", "USERNAME")] {
            let claims: BTreeMap<&str, &str> = self
                .with_key(prefix, |found| found == sort)
                .map(|item| (&text(item, "PK")[prefix.len()..], text(item, "user_id")))
                .collect();
            for (value, owner) in &claims {
                let held = users.get(owner).map(|user| if kind == "e-mail" { &user.email } else { &user.username });
                if held.map(String::as_str) != Some(*value) {
                    problems.push(format!("the {kind} claim {value:?} names account {owner}, which does not hold it"));
                }
            }
            for (id, user) in &users {
                let value = if kind == "e-mail" { &user.email } else { &user.username };
                if claims.get(value.as_str()) != Some(id) {
                    problems.push(format!("account {id} holds {kind} {value:?} without its claim"));
                }
            }
        }

        // Articles: body, slug claim and author are there; slug claims name a live article.
        let slug_claims: BTreeMap<&str, &str> = self
            .with_key("SLUG#", |sort| sort == "SLUG")
            .map(|item| (&text(item, "PK")["SLUG#".len()..], text(item, "article_id")))
            .collect();
        for (id, article) in &articles {
            if self.with_key(&format!("ARTICLE#{id}"), |sort| sort == "BODY").next().is_none() {
                problems.push(format!("article {id} has no body"));
            }
            if slug_claims.get(article.slug.as_str()) != Some(id) {
                problems.push(format!("article {id} has slug {:?} without its claim", article.slug));
            }
            if !users.contains_key(article.author.as_str()) {
                problems.push(format!("article {id} names a missing author {}", article.author));
            }
        }
        for (slug, id) in &slug_claims {
            if articles.get(id).map(|article| article.slug.as_str()) != Some(*slug) {
                problems.push(format!("the slug claim {slug:?} names article {id}, which does not have it"));
            }
        }

        // Counters count exactly what they count.
        let stored_total =
            self.with_key("STATS", |sort| sort == "ARTICLES").map(|item| number(item, "count")).sum::<i64>();
        expect_count(&mut problems, "the article counter".into(), stored_total, articles.len());
        let favorites: Vec<(&str, &str)> = self
            .with_key("USER#", |sort| sort.starts_with("FAV#"))
            .map(|item| (&text(item, "PK")["USER#".len()..], &text(item, "SK")["FAV#".len()..]))
            .collect();
        for (fan, article) in &favorites {
            if !articles.contains_key(article) {
                problems.push(format!("account {fan} keeps a favorite of article {article}, which is gone"));
            }
        }
        for (id, user) in &users {
            let published = articles.values().filter(|article| article.author == *id).count();
            expect_count(&mut problems, format!("articles_count of account {id}"), user.articles_count, published);
            let favorited = favorites.iter().filter(|(fan, _)| fan == id).count();
            expect_count(&mut problems, format!("favorites_count of account {id}"), user.favorites_count, favorited);
        }
        for (id, article) in &articles {
            let fans = favorites.iter().filter(|(_, favorite)| favorite == id).count();
            expect_count(&mut problems, format!("favoritesCount of article {id}"), article.favorites_count, fans);
        }
        let tag_counters: BTreeMap<&str, i64> =
            self.with_key("TAGS", |_| true).map(|item| (text(item, "SK"), number(item, "count"))).collect();
        let tag_entries: Vec<(&str, &str)> =
            self.with_key("TAG#", |_| true).map(|item| (&text(item, "PK")["TAG#".len()..], text(item, "SK"))).collect();
        let tags: BTreeSet<&str> =
            tag_counters.keys().copied().chain(tag_entries.iter().map(|(tag, _)| *tag)).collect();
        for tag in tags {
            let tagged = articles.values().filter(|article| article.tags.iter().any(|own| own == tag)).count();
            let entries = tag_entries.iter().filter(|(entry, _)| *entry == tag).count();
            expect_count(
                &mut problems,
                format!("the counter of tag {tag:?}"),
                tag_counters.get(tag).copied().unwrap_or(0),
                tagged,
            );
            expect_count(
                &mut problems,
                format!("the entries of tag {tag:?}"),
                i64::try_from(entries).unwrap_or(i64::MAX),
                tagged,
            );
        }
        problems
    }
}

fn expect_count(problems: &mut Vec<String>, what: String, stored: i64, actual: usize) {
    if i64::try_from(actual) != Ok(stored) {
        problems.push(format!("{what} is {stored}, but there are {actual}"));
    }
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|value| value.as_s().ok()).map_or("", String::as_str)
}

fn number(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(|value| value.as_n().ok()).and_then(|number| number.parse().ok()).unwrap_or(0)
}

fn texts(item: &Item, name: &str) -> Vec<String> {
    let Some(list) = item.get(name).and_then(|value| value.as_l().ok()) else { return Vec::new() };
    list.iter().filter_map(|value| value.as_s().ok()).cloned().collect()
}
