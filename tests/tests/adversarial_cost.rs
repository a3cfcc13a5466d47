//! What one user can make huge costs the same to read whatever its size (docs/bounded-reads.md):
//! an article with many long comments, many distinct tags, an author with many articles that a
//! fan favorited, filtered by tag and by fan. Every endpoint is measured at two sizes of
//! that data: the same round trips, read units within a stated ceiling, and answers far below
//! Lambda's 6 MB. The bench runs the same reads at the full sizes (`infra/bench.sh`).
// Measuring runs the gateway's whole handler inside this test's future, a deep type.
#![recursion_limit = "256"]

use conduit_api_tests::{TestApi, heavy_writer_limits};
use conduit_bootstrap::ReadLimits;
use serde_json::json;

/// A comment body near the longest allowed (10,000 characters).
const LONG_COMMENT_CHARS: usize = 9_000;
/// Small enough that both sizes of the data exceed it, which is what shows the bound.
const COMBINED_FILTER_WINDOW: usize = 20;

/// The most a page of comments may read: one Query call, which DynamoDB stops at 1 MB, consistent
/// (a unit per 4 KB), with the slug claim and the authors' relations.
const COMMENTS_CEILING: f64 = 256.0 + 4.0;
/// The 100 most used tags from the keys-only index: a few units whatever the number of tags.
const TAGS_CEILING: f64 = 3.0;
/// A filtered page of 20: its keys, 20 summaries (half a unit each), the relations.
const FILTERED_LIST_CEILING: f64 = 20.0;
/// A combined filter: the window's entries and one tag entry per entry searched (half a unit
/// each), then the page.
const COMBINED_CEILING: f64 = COMBINED_FILTER_WINDOW as f64 * 0.5 + 20.0;
/// Far below Lambda's 6 MB response limit (and within the comments' 1 MB page budget).
const ANSWER_CEILING_BYTES: usize = 1024 * 1024;

struct Measured {
    name: &'static str,
    round_trips: u32,
    read_units: f64,
    answer_bytes: usize,
}

/// The adversarial data at `scale`: the author publishes 30·scale articles, each with the tag
/// `shared` and nine tags of its own (about 270·scale distinct tags); the fan favorites every one;
/// one article gets 110·scale comments of 9,000 characters.
async fn grow(api: &TestApi, author: &str, fan: &str, scale: usize, first: usize) -> String {
    // One write at a time: each article's transaction writes the author's counters, and each
    // comment the author's quota counter, so concurrent ones would only conflict.
    let mut slugs = Vec::new();
    for n in first..first + 30 * scale {
        let mut tags = vec!["shared".to_owned()];
        tags.extend((0..9).map(|k| format!("t{n}-{k}")));
        let body =
            json!({"article": {"title": format!("Article {n}"), "description": "d", "body": "b", "tagList": tags}});
        let reply = api.post("/articles", body, Some(author)).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        slugs.push(reply.body["article"]["slug"].as_str().expect("slug").to_owned());
    }
    for slug in &slugs {
        let reply = api.post(&format!("/articles/{slug}/favorite"), json!({}), Some(fan)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
    let commented = slugs[0].clone();
    comment_many(api, author, &commented, 110 * scale).await;
    commented
}

/// `count` comments of 9,000 characters on `slug`.
async fn comment_many(api: &TestApi, author: &str, slug: &str, count: usize) {
    let path = format!("/articles/{slug}/comments");
    let body = json!({"comment": {"body": "c".repeat(LONG_COMMENT_CHARS)}});
    for _ in 0..count {
        let reply = api.post(&path, body.clone(), Some(author)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
}

/// Anonymous reads: with a token, the session check runs beside the first reads and may or may
/// not share their wait, which would blur the round trips compared.
async fn measure_all(api: &TestApi, commented: &str) -> Vec<Measured> {
    let mut measured = Vec::new();
    for (name, path) in [
        ("comments", format!("/articles/{commented}/comments")),
        ("tags", "/tags".to_owned()),
        ("list by tag", "/articles?tag=shared".to_owned()),
        ("list by author", "/articles?author=author".to_owned()),
        ("list by favorited", "/articles?favorited=fan".to_owned()),
        ("author and tag", "/articles?author=author&tag=shared".to_owned()),
        ("author, fan and tag", "/articles?author=author&favorited=fan&tag=shared".to_owned()),
    ] {
        let (reply, usage) = api.measure("GET", &path, None).await;
        assert_eq!(reply.status, 200, "{name}: {:?}", reply.body);
        let answer_bytes = serde_json::to_vec(&reply.body).expect("json").len();
        // Calls meant to overlap may not on a loaded machine: the fewest of three tries is the
        // read's own count.
        let mut round_trips = usage.round_trips;
        for _ in 0..2 {
            round_trips = round_trips.min(api.measure("GET", &path, None).await.1.round_trips);
        }
        measured.push(Measured { name, round_trips, read_units: usage.read_units, answer_bytes });
    }
    measured
}

/// The sequential DynamoDB calls each read makes (`shared/repository/README.md`).
fn round_trips(name: &str) -> u32 {
    match name {
        "tags" => 1,
        "author and tag" | "author, fan and tag" => 4,
        _ => 3,
    }
}

fn ceiling(name: &str) -> f64 {
    match name {
        "comments" => COMMENTS_CEILING,
        "tags" => TAGS_CEILING,
        "author and tag" | "author, fan and tag" => COMBINED_CEILING,
        _ => FILTERED_LIST_CEILING,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn given_data_one_user_made_huge_when_it_doubles_then_every_read_costs_the_same_within_its_ceiling() {
    // Given the adversarial data, written by one author and one fan far past the default quotas
    let limits = ReadLimits { combined_filter_window: COMBINED_FILTER_WINDOW, ..ReadLimits::default() };
    let api = TestApi::start_alone_configured(move |adapters| {
        adapters.with_abuse_limits(heavy_writer_limits()).with_read_limits(limits)
    })
    .await;
    let author = api.register("author").await;
    let fan = api.register("fan").await;
    let commented = grow(&api, &author, &fan, 1, 0).await;

    // When every read is measured, then the data doubled, then measured again
    let small = measure_all(&api, &commented).await;
    grow(&api, &author, &fan, 1, 1_000).await;
    comment_many(&api, &author, &commented, 110).await;
    let large = measure_all(&api, &commented).await;

    // Then each read makes the same round trips, within its bound, reads within its ceiling and about the same
    // units at both sizes, and answers far below 6 MB
    for (small, large) in small.iter().zip(&large) {
        println!(
            "{}: {} round trips; {:.1} read units, then {:.1}; {} bytes, then {}",
            small.name, small.round_trips, small.read_units, large.read_units, small.answer_bytes, large.answer_bytes
        );
        assert_eq!(small.round_trips, large.round_trips, "{}", small.name);
        assert!(large.round_trips <= round_trips(small.name), "{}: {}", small.name, large.round_trips);
        assert!(large.read_units <= ceiling(small.name), "{}: {} units", small.name, large.read_units);
        assert!(
            (large.read_units - small.read_units).abs() <= 1.0,
            "{} grew with the data: {} -> {}",
            small.name,
            small.read_units,
            large.read_units
        );
        assert!(large.answer_bytes <= ANSWER_CEILING_BYTES, "{}: {} bytes", small.name, large.answer_bytes);
    }
}
