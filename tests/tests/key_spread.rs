//! How evenly articles spread over the partition keys of the table and its indexes: a write-heavy
//! key caps how fast articles can be created, whatever the table's capacity.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_api_tests::{TestApi, scan_table};
use futures::future::join_all;
use serde_json::json;

const AUTHORS: usize = 32;
const ARTICLES_PER_AUTHOR: usize = 10;
const ARTICLES: usize = AUTHORS * ARTICLES_PER_AUTHOR;
/// Partitions of the sharded all-articles list (`keys::ALL_ARTICLES_SHARDS`).
const SHARDS: usize = 8;
const TAGS: [&str; 4] = ["rust", "dynamodb", "serverless", "lambda"];
/// Requests in flight at once while publishing. Every creation writes the article counter and
/// two of four tag counters in one transaction, so more at once only buys transaction conflicts
/// and retries (on a loaded machine, past the request's time budget); the spread does not depend
/// on it.
const CONCURRENCY: usize = 2;

type Item = std::collections::HashMap<String, AttributeValue>;

/// Where one index (or the table) keeps its items: how many under each partition key.
struct Spread {
    name: &'static str,
    items_by_key: BTreeMap<String, usize>,
}

impl Spread {
    /// Counts the items carrying `key_attribute` whose value passes `keep`.
    fn of(name: &'static str, items: &[Item], key_attribute: &str, keep: impl Fn(&str) -> bool) -> Self {
        let mut items_by_key = BTreeMap::new();
        for key in items.iter().filter_map(|item| item.get(key_attribute)?.as_s().ok()).filter(|key| keep(key)) {
            *items_by_key.entry(key.clone()).or_insert(0) += 1;
        }
        Self { name, items_by_key }
    }

    fn items(&self) -> usize {
        self.items_by_key.values().sum()
    }

    /// The partition key holding the most items, and how many.
    fn busiest(&self) -> Option<(&str, usize)> {
        self.items_by_key.iter().max_by_key(|(_, count)| **count).map(|(key, count)| (key.as_str(), *count))
    }

    /// The busiest key's share of the items.
    fn busiest_share(&self) -> f64 {
        self.busiest().map_or(0.0, |(_, count)| count as f64 / self.items() as f64)
    }

    fn report_line(&self) -> String {
        let (key, count) = self.busiest().unwrap_or(("-", 0));
        format!(
            "{:<28} {:>6} {:>6}  {key:<40} {count:>5} {:>6.1}%",
            self.name,
            self.items(),
            self.items_by_key.len(),
            100.0 * self.busiest_share()
        )
    }
}

async fn publish_articles(api: &TestApi) {
    // A few at a time: each registration hashes a password, on the test's one thread.
    let mut tokens = Vec::new();
    for chunk in (0..AUTHORS).collect::<Vec<_>>().chunks(4) {
        tokens.extend(join_all(chunk.iter().map(|n| async move { api.register(&format!("author{n}")).await })).await);
    }
    let articles: Vec<(usize, &str)> = (0..ARTICLES).map(|n| (n, tokens[n % AUTHORS].as_str())).collect();
    for chunk in articles.chunks(CONCURRENCY) {
        join_all(chunk.iter().map(|(n, token)| async move {
            let body = json!({"article": {
                "title": format!("Spread {n}"),
                "description": "d",
                "body": "b",
                "tagList": [TAGS[n % TAGS.len()], TAGS[(n + 1) % TAGS.len()]],
            }});
            let reply = api.post("/articles", body, Some(token)).await;
            assert_eq!(reply.status, 201, "publishing article {n}: {:?}", reply.body);
        }))
        .await;
    }
}

/// The partitions of the base table that hold articles' items: summaries and bodies, slug
/// claims, tag entries, tag counters and the article counter.
fn holds_article_items(partition: &str) -> bool {
    ["ARTICLE#", "SLUG#", "TAG#"].iter().any(|prefix| partition.starts_with(prefix))
        || ["TAGS", "STATS"].contains(&partition)
}

#[tokio::test]
async fn given_hundreds_of_articles_by_many_authors_when_published_then_no_index_key_takes_more_than_its_share() {
    // Given 320 articles by 32 authors, each with two of four tags (32 sign-ups from this one
    // address: more than a source's default allowance)
    let api = TestApi::start_for_many_accounts().await;
    publish_articles(&api).await;

    // When the table and its indexes are counted by partition key
    let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
    let items = scan_table(&client, api.adapters.table().name()).await;
    let table = Spread::of("table (articles' items)", &items, "PK", holds_article_items);
    let by_author = Spread::of("GSI1 (AUTHOR# keys)", &items, "GSI1PK", |key| key.starts_with("AUTHOR#"));
    let legacy = Spread::of("GSI2 (legacy all-articles)", &items, "GSI2PK", |_| true);
    let sharded = Spread::of("GSI3 (sharded all-articles)", &items, "GSI3PK", |_| true);
    println!("{:<28} {:>6} {:>6}  {:<40} {:>5} {:>7}", "index", "items", "keys", "busiest key", "items", "share");
    for spread in [&table, &by_author, &legacy, &sharded] {
        println!("{}", spread.report_line());
    }

    // Then every article is in one of the shards, and the busiest shard holds at most 1.6 times
    // its even share (64 of 320). Ids are random, so a shard's count is Binomial(320, 1/8): mean
    // 40, standard deviation 5.9; 64 or more lies four deviations out, with a probability of
    // about 1e-4 per shard, under 1e-3 for any of the 8, so this fails only on a real skew.
    assert_eq!(sharded.items(), ARTICLES);
    assert!(sharded.items_by_key.len() <= SHARDS, "{:?}", sharded.items_by_key.keys());
    assert!(sharded.busiest_share() <= 1.6 / SHARDS as f64, "{}", sharded.report_line());
    // New articles no longer go to the single legacy partition
    assert_eq!(legacy.items(), 0, "{}", legacy.report_line());
    // Each author's key holds that author's articles alone: 1/32 of them
    assert_eq!(by_author.items(), ARTICLES);
    assert_eq!(by_author.items_by_key.len(), AUTHORS);
    assert_eq!(by_author.busiest().map(|(_, count)| count), Some(ARTICLES_PER_AUTHOR));
    assert!((by_author.busiest_share() - 1.0 / AUTHORS as f64).abs() < 1e-9, "{}", by_author.report_line());
}
