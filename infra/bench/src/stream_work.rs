//! Work that follows a write, at full size: a deleted article with 20,000 favorites and 5,000
//! comments, and an ended follow whose reader's feed holds 10,000 of its entries, seeded straight
//! into a table of the benchmark's own with batch writes (as they stand once the deletion or the
//! unfollow has been written), then purged and cleared by the consumers' own handlers. One
//! invocation per record: the first is the record that starts the work (the article's removal,
//! the marker's creation), each next one the `MODIFY` the previous chunk's recorded progress made,
//! built from the work item as it then stands, until the item is gone. Reported per work: how many
//! invocations it took and how long they took, and that nothing was left behind (every fan's count
//! back to 0, no favorite, comment, feed entry or work item).
//!
//! Chunks are the deployed defaults unless `STREAM_CHUNK_ITEMS` / `STREAM_CHUNK_SECONDS` say
//! otherwise, as for the local gateway.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, Select, WriteRequest};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_dynamodb_local::local_sdk_config;
use conduit_local_gateway::build_stream_consumers;
use conduit_repository::keys;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::report::StreamWorkRow;
use crate::sample_world::create_table;
use crate::stats::{millis, percentile, rounded};

/// Batch writes in flight while seeding.
const SEEDING_CONCURRENCY: usize = 8;
/// DynamoDB's cap on one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;
/// Invocations after which a work that has not ended is reported as not ending.
const MAX_INVOCATIONS: usize = 10_000;

type Item = HashMap<String, AttributeValue>;

pub struct Options {
    pub dynamodb_endpoint: String,
    /// Fans of the deleted article, each with a favorite of it.
    pub favorites: usize,
    /// Comments on the deleted article.
    pub comments: usize,
    /// Entries of the ended follow in its reader's feed.
    pub feed_entries: usize,
}

/// A table with its client, and the adapters the consumers are built from.
struct Bench {
    client: aws_sdk_dynamodb::Client,
    table: String,
    adapters: Adapters,
}

pub async fn run(options: &Options) -> Result<Vec<StreamWorkRow>, String> {
    let (client, table) = create_table(&options.dynamodb_endpoint, "stream-work").await?;
    let limits = conduit_bootstrap::chunk_limits::from_env().map_err(|error| error.to_string())?;
    let keys = KeyRing { current: SigningKey::generate("bench-stream-work"), previous: None };
    let adapters =
        Adapters::local(local_sdk_config(&options.dynamodb_endpoint), &table, keys).with_chunk_limits(limits);
    let bench = Bench { client, table, adapters };
    let purge = purge(&bench, options).await?;
    let clearing = clearing(&bench, options).await?;
    Ok(vec![purge, clearing])
}

fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn item(key: keys::Key, attributes: Vec<(&str, AttributeValue)>) -> Item {
    let mut item = HashMap::from([("PK".to_owned(), text(key.0)), ("SK".to_owned(), text(key.1))]);
    item.extend(attributes.into_iter().map(|(name, value)| (name.to_owned(), value)));
    item
}

fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// The item's attributes as Lambda's stream record carries them (DynamoDB JSON).
fn image(item: &Item) -> Value {
    let attributes = item.iter().filter_map(|(name, value)| {
        let value = match value {
            AttributeValue::S(text) => json!({ "S": text }),
            AttributeValue::N(number) => json!({ "N": number }),
            _ => return None,
        };
        Some((name.clone(), value))
    });
    Value::Object(attributes.collect())
}

fn record(event_name: &str, keys: Value, old_image: Option<Value>, new_image: Option<Value>) -> Value {
    let mut change = json!({
        "ApproximateCreationDateTime": time::OffsetDateTime::now_utc().unix_timestamp(),
        "Keys": keys, "SequenceNumber": "1", "SizeBytes": 100, "StreamViewType": "NEW_AND_OLD_IMAGES"
    });
    if let Some(image) = old_image {
        change["OldImage"] = image;
    }
    if let Some(image) = new_image {
        change["NewImage"] = image;
    }
    json!({ "eventID": new_id(), "eventName": event_name, "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1", "dynamodb": change })
}

impl Bench {
    /// Writes `items` with BatchWriteItem, 25 per call, a few calls at a time, retrying what
    /// DynamoDB leaves unprocessed.
    async fn put_all(&self, items: Vec<Item>) -> Result<(), String> {
        let batches: Vec<Vec<WriteRequest>> = items
            .chunks(BATCH_WRITE_LIMIT)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|item| {
                        let put = PutRequest::builder().set_item(Some(item.clone())).build();
                        put.map(|put| WriteRequest::builder().put_request(put).build())
                            .map_err(|error| error.to_string())
                    })
                    .collect()
            })
            .collect::<Result<_, String>>()?;
        let written = futures::stream::iter(batches)
            .map(|mut pending| async move {
                for _ in 0..20 {
                    if pending.is_empty() {
                        return Ok(());
                    }
                    let output = self
                        .client
                        .batch_write_item()
                        .request_items(&self.table, std::mem::take(&mut pending))
                        .send()
                        .await
                        .map_err(|error| format!("seeding: {error:?}"))?;
                    pending =
                        output.unprocessed_items.and_then(|mut left| left.remove(&self.table)).unwrap_or_default();
                }
                if pending.is_empty() { Ok(()) } else { Err("seeding: items left unprocessed".to_owned()) }
            })
            .buffer_unordered(SEEDING_CONCURRENCY)
            .collect::<Vec<Result<(), String>>>()
            .await;
        written.into_iter().collect()
    }

    async fn get(&self, (partition, sort): keys::Key) -> Result<Option<Item>, String> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("PK", text(partition))
            .key("SK", text(sort))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| format!("reading a work item: {error:?}"))?;
        Ok(output.item)
    }

    /// How many items a partition of the table (or of GSI1) holds.
    async fn count(&self, index: Option<&str>, partition: String) -> Result<i32, String> {
        let key = if index.is_some() { "GSI1PK" } else { "PK" };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(format!("{key} = :pk"))
            .expression_attribute_values(":pk", text(partition))
            .select(Select::Count)
            .send()
            .await
            .map_err(|error| format!("counting: {error:?}"))?;
        Ok(output.count)
    }

    /// Delivers `first`, then, while `work_item` exists, a `MODIFY` of it as it stands, one
    /// invocation each, to `consumer`'s handler; answers each invocation's duration.
    async fn invocations(&self, consumer: &str, first: Value, work_item: keys::Key) -> Result<Vec<Duration>, String> {
        let entries = build_stream_consumers(&self.adapters).map_err(|error| error.to_string())?;
        let entry = entries.into_iter().find(|entry| entry.function == consumer).ok_or(format!("no {consumer}"))?;
        let mut durations = Vec::new();
        let mut next = Some(first);
        while let Some(record) = next.take() {
            let event = serde_json::from_value(json!({ "Records": [record] })).map_err(|error| error.to_string())?;
            let started = Instant::now();
            let response = (entry.handler)(event).await;
            durations.push(started.elapsed());
            if !response.batch_item_failures.is_empty() {
                return Err(format!("{consumer} failed invocation {} (see its log)", durations.len()));
            }
            if let Some(item) = self.get(work_item.clone()).await? {
                let keys = json!({ "PK": { "S": work_item.0 }, "SK": { "S": work_item.1 } });
                next = Some(record_of_modified(keys, &item));
            }
            if durations.len() >= MAX_INVOCATIONS {
                return Err(format!("{consumer}: still not done after {MAX_INVOCATIONS} invocations"));
            }
        }
        Ok(durations)
    }
}

fn record_of_modified(keys: Value, item: &Item) -> Value {
    record("MODIFY", keys, None, Some(image(item)))
}

fn row(
    work: String,
    items: usize,
    durations: &[Duration],
    limits: conduit_domain::work_chunks::ChunkLimits,
) -> StreamWorkRow {
    let samples: Vec<f64> = durations.iter().copied().map(millis).collect();
    StreamWorkRow {
        work,
        items,
        chunk_items: limits.items,
        invocations: durations.len(),
        total_s: rounded(samples.iter().sum::<f64>() / 1000.0),
        p50_ms: rounded(percentile(&samples, 50.0).unwrap_or_default()),
        max_ms: rounded(samples.iter().copied().fold(0.0, f64::max)),
    }
}

/// The deleted article as the deletion left it: its pending-purge entry, its fans (each account
/// counting the favorite) and their favorites, its comments.
async fn purge(bench: &Bench, options: &Options) -> Result<StreamWorkRow, String> {
    let (article, author) = (new_id(), new_id());
    let fans: Vec<String> = (0..options.favorites).map(|_| new_id()).collect();
    let mut items = vec![item(keys::pending_purge(&article), vec![])];
    for fan in &fans {
        items.push(item(keys::user(fan), vec![("id", text(fan.clone())), ("favorites_count", number(1))]));
        let (partition, sort) = keys::favorite(fan, &article);
        items.push(item(
            (partition, sort),
            vec![
                ("GSI1PK", text(keys::favorited_partition(&article))),
                ("GSI1SK", text(fan.clone())),
                ("author_id", text(author.clone())),
            ],
        ));
    }
    for n in 1..=options.comments as u64 {
        let commenter = fans.get(n as usize % fans.len().max(1)).unwrap_or(&author);
        items.push(item(
            keys::comment(&article, n),
            vec![
                ("id", number(n)),
                ("article_id", text(article.clone())),
                ("author_id", text(commenter.clone())),
                ("body", text("Nice")),
            ],
        ));
    }
    let seeding = Instant::now();
    bench.put_all(items).await?;
    eprintln!(
        "conduit-bench: seeded a deleted article with {} favorites and {} comments in {:.1} s",
        options.favorites,
        options.comments,
        seeding.elapsed().as_secs_f64()
    );

    let removal = record(
        "REMOVE",
        json!({ "PK": { "S": keys::article_partition(&article) }, "SK": { "S": "ARTICLE" } }),
        Some(json!({ "author_id": { "S": author } })),
        None,
    );
    let durations = bench.invocations("purge-deleted-article", removal, keys::pending_purge(&article)).await?;

    let favorites_left =
        bench.count(Some(keys::BY_AUTHOR_OR_ARTICLE_INDEX), keys::favorited_partition(&article)).await?;
    let comments_left = bench.count(None, keys::article_partition(&article)).await?;
    if favorites_left + comments_left > 0 {
        return Err(format!("the purge left {favorites_left} favorites and {comments_left} comments"));
    }
    for fan in fans.iter().step_by((fans.len() / 20).max(1)) {
        let account = bench.get(keys::user(fan)).await?.ok_or("a fan's account is gone")?;
        if account.get("favorites_count") != Some(&number(0)) {
            return Err(format!("fan {fan} counts {:?} favorites after the purge", account.get("favorites_count")));
        }
    }
    let work = format!("purge: {} favorites, {} comments", options.favorites, options.comments);
    Ok(row(work, options.favorites + options.comments, &durations, bench.adapters.chunk_limits()))
}

/// An ended follow as the unfollow left it: its marker, and the reader's feed full of its entries.
async fn clearing(bench: &Bench, options: &Options) -> Result<StreamWorkRow, String> {
    let (reader, author, period) = (new_id(), new_id(), new_id());
    let marker = keys::feed_ended(&reader, &author, &period);
    let marker_item = item(marker.clone(), vec![("author_id", text(author.clone())), ("period", text(period.clone()))]);
    let mut items = vec![marker_item.clone()];
    for _ in 0..options.feed_entries {
        let entry = keys::feed_entry(&reader, &new_id());
        items.push(item(entry, vec![("author_id", text(author.clone())), ("period", text(period.clone()))]));
    }
    let seeding = Instant::now();
    bench.put_all(items).await?;
    eprintln!(
        "conduit-bench: seeded a feed of {} entries of an ended follow in {:.1} s",
        options.feed_entries,
        seeding.elapsed().as_secs_f64()
    );

    let keys = json!({ "PK": { "S": marker.0.clone() }, "SK": { "S": marker.1.clone() } });
    let creation = record("INSERT", keys, None, Some(image(&marker_item)));
    let durations = bench.invocations("update-feeds", creation, marker).await?;

    let left = bench.count(None, keys::feed_partition(&reader)).await?;
    if left > 0 {
        return Err(format!("the clearing left {left} feed entries"));
    }
    let work = format!("clearing: {} feed entries", options.feed_entries);
    Ok(row(work, options.feed_entries, &durations, bench.adapters.chunk_limits()))
}
