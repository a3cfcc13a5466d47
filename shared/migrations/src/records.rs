//! The table's own record of its migrations, under `PK = MIGRATIONS`:
//! - `APPLIED#<id>`: applied, when, with what counts (or `baseline`: the table was created in
//!   the shape the migration produces, so there was nothing to rewrite);
//! - `PROGRESS#<id>#<segment>`: a checkpoint of one scan segment (where to resume, counts);
//! - `LEASE`: which run may work now, and until when.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use conduit_repository::keys;

use crate::error::{MigrationError, dynamodb};
use crate::migration::{Item, text};

pub(crate) const LEASE_SORT_KEY: &str = "LEASE";

pub(crate) fn key(sort: String) -> Item {
    HashMap::from([
        (keys::PARTITION_KEY.to_owned(), AttributeValue::S(keys::MIGRATIONS_PARTITION.to_owned())),
        (keys::SORT_KEY.to_owned(), AttributeValue::S(sort)),
    ])
}

pub(crate) fn applied_sort_key(migration: &str) -> String {
    format!("APPLIED#{migration}")
}

pub(crate) fn progress_sort_key(migration: &str, segment: u32) -> String {
    format!("PROGRESS#{migration}#{segment:04}")
}

/// A migration that has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub id: String,
    /// RFC 3339.
    pub at: String,
    pub scanned: u64,
    pub rewritten: u64,
    /// Recorded when the table was created already in the migrated shape.
    pub baseline: bool,
}

/// How far one scan segment of a migration has got.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SegmentProgress {
    pub segment: u32,
    pub segments: u32,
    /// Where the scan resumes; `None` before the first page and once done.
    pub resume_from: Option<Item>,
    pub done: bool,
    pub scanned: u64,
    pub rewritten: u64,
}

impl SegmentProgress {
    pub fn start(segment: u32, segments: u32) -> Self {
        Self { segment, segments, resume_from: None, done: false, scanned: 0, rewritten: 0 }
    }
}

/// Who holds the lease, and until when (Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseRecord {
    pub holder: String,
    pub expires_at_ms: i64,
}

/// Every migration record of a table.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub applied: HashMap<String, Applied>,
    pub progress: HashMap<String, Vec<SegmentProgress>>,
    pub lease: Option<LeaseRecord>,
}

pub(crate) async fn read(client: &Client, table: &str) -> Result<Records, MigrationError> {
    let mut records = Records::default();
    let pages = client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(keys::MIGRATIONS_PARTITION.to_owned()))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Vec<_>>()
        .await;
    for item in pages {
        let item = item.map_err(dynamodb("Query"))?;
        let sort = text(&item, keys::SORT_KEY).unwrap_or_default().to_owned();
        if let Some(migration) = sort.strip_prefix("APPLIED#") {
            let applied = Applied {
                id: migration.to_owned(),
                at: text(&item, "applied_at").unwrap_or_default().to_owned(),
                scanned: number(&item, "scanned", &sort)?,
                rewritten: number(&item, "rewritten", &sort)?,
                baseline: item.get("baseline").and_then(|flag| flag.as_bool().ok()).copied().unwrap_or(false),
            };
            records.applied.insert(migration.to_owned(), applied);
        } else if let Some(rest) = sort.strip_prefix("PROGRESS#") {
            let (migration, _) = rest.rsplit_once('#').ok_or_else(|| corrupt(&sort, "no segment number"))?;
            let progress = SegmentProgress {
                segment: number(&item, "segment", &sort)?,
                segments: number(&item, "segments", &sort)?,
                resume_from: item.get("resume_from").and_then(|map| map.as_m().ok()).cloned(),
                done: item.get("done").and_then(|flag| flag.as_bool().ok()).copied().unwrap_or(false),
                scanned: number(&item, "scanned", &sort)?,
                rewritten: number(&item, "rewritten", &sort)?,
            };
            records.progress.entry(migration.to_owned()).or_default().push(progress);
        } else if sort == LEASE_SORT_KEY {
            records.lease = Some(LeaseRecord {
                holder: text(&item, "holder").unwrap_or_default().to_owned(),
                expires_at_ms: number(&item, "expires_at_ms", &sort)?,
            });
        }
    }
    Ok(records)
}

/// The checkpoint item of one segment.
pub(crate) fn progress_item(migration: &str, progress: &SegmentProgress) -> Item {
    let mut item = key(progress_sort_key(migration, progress.segment));
    item.insert("segment".into(), numeric(progress.segment));
    item.insert("segments".into(), numeric(progress.segments));
    item.insert("done".into(), AttributeValue::Bool(progress.done));
    item.insert("scanned".into(), numeric(progress.scanned));
    item.insert("rewritten".into(), numeric(progress.rewritten));
    if let Some(resume_from) = &progress.resume_from {
        item.insert("resume_from".into(), AttributeValue::M(resume_from.clone()));
    }
    item
}

pub(crate) fn applied_item(applied: &Applied, description: &str) -> Item {
    let mut item = key(applied_sort_key(&applied.id));
    item.insert("description".into(), AttributeValue::S(description.to_owned()));
    item.insert("applied_at".into(), AttributeValue::S(applied.at.clone()));
    item.insert("scanned".into(), numeric(applied.scanned));
    item.insert("rewritten".into(), numeric(applied.rewritten));
    item.insert("baseline".into(), AttributeValue::Bool(applied.baseline));
    item
}

pub(crate) fn numeric(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number<T: std::str::FromStr>(item: &Item, name: &str, sort: &str) -> Result<T, MigrationError> {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| corrupt(sort, &format!("{name} is not a number")))
}

fn corrupt(sort: &str, problem: &str) -> MigrationError {
    MigrationError::CorruptRecord { key: format!("{}/{sort}", keys::MIGRATIONS_PARTITION), problem: problem.to_owned() }
}

/// A `Put` transaction item.
pub(crate) fn put(
    table: &str,
    item: crate::migration::Item,
    condition: Option<&str>,
) -> Result<TransactWriteItem, MigrationError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(dynamodb("a record write"))?;
    Ok(TransactWriteItem::builder().put(put).build())
}
