//! The runner: `status`, `up`, a dry run, and the baseline of a new table.
//!
//! `up` takes the lease, then applies each pending migration in catalog order: the table is read
//! in parallel scan segments, each item offered to the migration, each rewrite written with its
//! conditions, and after every page the segment's checkpoint is written together with a renewal
//! of the lease. An interrupted run leaves its checkpoints; the next run resumes from them (items
//! rewritten after the last checkpoint are offered again, and a pure, conditional rewrite finds
//! nothing left to do). When every segment is done, the migration is recorded as applied.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem};
use conduit_repository::keys;
use futures::{StreamExt, TryStreamExt, stream};

use crate::catalog::CATALOG;
use crate::error::{MigrationError, dynamodb};
use crate::lease::{Lease, now_ms, rfc3339};
use crate::migration::{Item, Migration, Rewrite};
use crate::records::{self, Applied, Records, SegmentProgress};

/// How many rewrites of one page run at once.
const REWRITE_CONCURRENCY: usize = 16;
/// A rewrite whose item keeps changing under it is given up after this many tries.
const REWRITE_ATTEMPTS: usize = 3;
/// A checkpoint that loses a transaction conflict (someone reading the lease) is tried again.
const CHECKPOINT_ATTEMPTS: usize = 5;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Parallel scan segments of a new run (a resumed run keeps the count it started with).
    pub segments: u32,
    /// Items per scan page, and so between checkpoints.
    pub page_size: i32,
    /// How long the lease lasts without a checkpoint renewing it.
    pub lease: Duration,
    /// Stop at the next checkpoint once this has passed (a Lambda's remaining time).
    pub deadline: Option<Instant>,
}

impl Default for Settings {
    fn default() -> Self {
        Self { segments: 4, page_size: 100, lease: Duration::from_secs(60), deadline: None }
    }
}

/// Where one migration of the catalog stands on a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Applied(Applied),
    /// Interrupted: `up` resumes it.
    InProgress {
        segments_done: u32,
        segments: u32,
        scanned: u64,
        rewritten: u64,
    },
    Pending,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub id: &'static str,
    pub description: &'static str,
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub migrations: Vec<MigrationStatus>,
    /// Applied migrations this release does not know (the table was migrated by a newer one).
    pub unknown: Vec<String>,
    /// Who holds the lease, and until when, if it has not expired.
    pub lease: Option<(String, String)>,
}

/// What a dry run found for one pending migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DryRunReport {
    pub id: &'static str,
    pub description: &'static str,
    pub scanned: u64,
    pub would_rewrite: u64,
    /// A few of the rewrites, as `key: change`.
    pub examples: Vec<String>,
}

/// A checkpoint, as reported while `up` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub migration: &'static str,
    pub segment: u32,
    pub segments: u32,
    pub scanned: u64,
    pub rewritten: u64,
    pub segment_done: bool,
}

/// How many examples a dry run shows per migration.
const DRY_RUN_EXAMPLES: usize = 5;

pub struct Migrator {
    client: Client,
    table: String,
    settings: Settings,
    catalog: &'static [&'static dyn Migration],
}

impl Migrator {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), settings: Settings::default(), catalog: CATALOG }
    }

    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Runs another list of migrations than the whole catalog: a prefix of it (the deploy hook
    /// applies only what its request lists, so a rollback applies nothing new), or a test's own.
    pub fn with_catalog(mut self, catalog: &'static [&'static dyn Migration]) -> Self {
        self.catalog = catalog;
        self
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub async fn status(&self) -> Result<Status, MigrationError> {
        let mut records = records::read(&self.client, &self.table).await?;
        let migrations = self
            .catalog
            .iter()
            .map(|migration| {
                let state = match (records.applied.remove(migration.id()), records.progress.get(migration.id())) {
                    (Some(applied), _) => State::Applied(applied),
                    (None, Some(segments)) => State::InProgress {
                        segments_done: segments.iter().filter(|segment| segment.done).count() as u32,
                        segments: segments.first().map_or(0, |segment| segment.segments),
                        scanned: segments.iter().map(|segment| segment.scanned).sum(),
                        rewritten: segments.iter().map(|segment| segment.rewritten).sum(),
                    },
                    (None, None) => State::Pending,
                };
                MigrationStatus { id: migration.id(), description: migration.description(), state }
            })
            .collect();
        let mut unknown: Vec<String> = records.applied.into_keys().collect();
        unknown.sort();
        let lease = records
            .lease
            .filter(|lease| lease.expires_at_ms >= now_ms())
            .map(|lease| (lease.holder, rfc3339(lease.expires_at_ms)));
        Ok(Status { migrations, unknown, lease })
    }

    /// Applies every pending migration, in order, and answers what it applied (nothing when
    /// the table is up to date). `observe` hears of every checkpoint.
    pub async fn up(&self, observe: &(dyn Fn(&Progress) + Sync)) -> Result<Vec<Applied>, MigrationError> {
        if self.pending(&records::read(&self.client, &self.table).await?).is_empty() {
            return Ok(Vec::new());
        }
        let lease = Lease::acquire(&self.client, &self.table, self.settings.lease).await?;
        let outcome = self.apply_pending(&lease, observe).await;
        lease.release(&self.client, &self.table).await;
        outcome
    }

    /// What `up` would rewrite, without writing anything (and without the lease). Each pending
    /// migration is judged against the table as it is, not as earlier pending ones would leave it.
    pub async fn dry_run(&self) -> Result<Vec<DryRunReport>, MigrationError> {
        let records = records::read(&self.client, &self.table).await?;
        let mut reports = Vec::new();
        for migration in self.pending(&records) {
            let segments = self.settings.segments;
            let mut report = DryRunReport {
                id: migration.id(),
                description: migration.description(),
                scanned: 0,
                would_rewrite: 0,
                examples: Vec::new(),
            };
            let inspections: Vec<_> =
                (0..segments).map(|segment| self.inspect_segment(migration, segment, segments)).collect();
            let findings = futures::future::try_join_all(inspections).await?;
            for (scanned, rewrites) in findings {
                report.scanned += scanned;
                report.would_rewrite += rewrites.len() as u64;
                report
                    .examples
                    .extend(rewrites.into_iter().take(DRY_RUN_EXAMPLES - report.examples.len().min(DRY_RUN_EXAMPLES)));
            }
            reports.push(report);
        }
        Ok(reports)
    }

    /// Records every migration as applied on a table just created from the current definition,
    /// whose (absent) items can only have the current shape: nothing to scan or rewrite.
    pub async fn baseline(&self) -> Result<(), MigrationError> {
        let at = rfc3339(now_ms());
        for migration in self.catalog {
            let applied =
                Applied { id: migration.id().to_owned(), at: at.clone(), scanned: 0, rewritten: 0, baseline: true };
            let recorded = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(records::applied_item(&applied, migration.description())))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await;
            match recorded {
                Ok(_) => {}
                Err(error)
                    if error.as_service_error().is_some_and(|error| error.is_conditional_check_failed_exception()) => {}
                Err(error) => return Err(dynamodb("PutItem (baseline)")(error)),
            }
        }
        Ok(())
    }

    /// Applies one migration to one item as it was seen (`seen`); answers whether it wrote. If
    /// the item changed since, it is read again and offered anew; if it is gone, nothing is written.
    /// A rewrite of another item is written once, or dropped when its conditions no longer hold.
    pub async fn apply_to(&self, migration: &dyn Migration, seen: &Item) -> Result<bool, MigrationError> {
        let Some(mut rewrite) = migration.rewrite(seen) else { return Ok(false) };
        if let Some(target) = &rewrite.target {
            // Another item's rewrite: refused means that item no longer needs it.
            return match self.write(target, &rewrite).await {
                Ok(()) => Ok(true),
                Err(WriteRefused::Condition) => Ok(false),
                Err(WriteRefused::Failed(error)) => Err(error),
            };
        }
        let key = item_key(seen);
        for _ in 0..REWRITE_ATTEMPTS {
            match self.write(&key, &rewrite).await {
                Ok(()) => return Ok(true),
                Err(WriteRefused::Condition) => {
                    let current = self
                        .client
                        .get_item()
                        .table_name(&self.table)
                        .set_key(Some(key.clone()))
                        .consistent_read(true)
                        .send()
                        .await
                        .map_err(dynamodb("GetItem"))?
                        .item;
                    match current.and_then(|item| migration.rewrite(&item)) {
                        Some(next) => rewrite = next,
                        None => return Ok(false),
                    }
                }
                Err(WriteRefused::Failed(error)) => return Err(error),
            }
        }
        Err(MigrationError::Contended { migration: migration.id(), key: describe_key(&key) })
    }

    fn pending(&self, records: &Records) -> Vec<&'static dyn Migration> {
        self.catalog.iter().copied().filter(|migration| !records.applied.contains_key(migration.id())).collect()
    }

    async fn apply_pending(
        &self,
        lease: &Lease,
        observe: &(dyn Fn(&Progress) + Sync),
    ) -> Result<Vec<Applied>, MigrationError> {
        // Read again under the lease: a run that finished meanwhile may have applied some.
        let records = records::read(&self.client, &self.table).await?;
        let mut applied = Vec::new();
        for migration in self.pending(&records) {
            let segments = match records.progress.get(migration.id()) {
                Some(resumed) if !resumed.is_empty() => resume_plan(resumed),
                _ => (0..self.settings.segments)
                    .map(|segment| SegmentProgress::start(segment, self.settings.segments))
                    .collect(),
            };
            tracing::info!(migration = migration.id(), table = %self.table, segments = segments.len(), "migration started");
            let runs: Vec<_> =
                segments.into_iter().map(|segment| self.run_segment(migration, lease, segment, observe)).collect();
            let finished = futures::future::try_join_all(runs).await?;
            let record = Applied {
                id: migration.id().to_owned(),
                at: rfc3339(now_ms()),
                scanned: finished.iter().map(|segment| segment.scanned).sum(),
                rewritten: finished.iter().map(|segment| segment.rewritten).sum(),
                baseline: false,
            };
            self.record_applied(migration, &record, &finished, lease).await?;
            tracing::info!(
                migration = migration.id(),
                scanned = record.scanned,
                rewritten = record.rewritten,
                "migration applied"
            );
            applied.push(record);
        }
        Ok(applied)
    }

    async fn run_segment(
        &self,
        migration: &'static dyn Migration,
        lease: &Lease,
        mut progress: SegmentProgress,
        observe: &(dyn Fn(&Progress) + Sync),
    ) -> Result<SegmentProgress, MigrationError> {
        while !progress.done {
            if self.settings.deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(MigrationError::OutOfTime { migration: migration.id() });
            }
            let page = self.scan_page(&progress).await?;
            let items = page.items.unwrap_or_default();
            // Collected first: a lazily mapped iterator here makes the future's Send bound
            // unprovable to the compiler (a higher-ranked lifetime), and callers spawn it.
            let rewrites: Vec<_> = items.iter().map(|item| self.apply_to(migration, item)).collect();
            let rewritten = stream::iter(rewrites)
                .buffer_unordered(REWRITE_CONCURRENCY)
                .try_fold(0u64, |count, wrote| async move { Ok(count + u64::from(wrote)) })
                .await?;
            progress.scanned += items.len() as u64;
            progress.rewritten += rewritten;
            progress.resume_from = page.last_evaluated_key;
            progress.done = progress.resume_from.is_none();
            self.checkpoint(migration, &progress, lease).await?;
            observe(&Progress {
                migration: migration.id(),
                segment: progress.segment,
                segments: progress.segments,
                scanned: progress.scanned,
                rewritten: progress.rewritten,
                segment_done: progress.done,
            });
        }
        Ok(progress)
    }

    async fn scan_page(
        &self,
        progress: &SegmentProgress,
    ) -> Result<aws_sdk_dynamodb::operation::scan::ScanOutput, MigrationError> {
        self.client
            .scan()
            .table_name(&self.table)
            .segment(i32::try_from(progress.segment).unwrap_or(i32::MAX))
            .total_segments(i32::try_from(progress.segments).unwrap_or(i32::MAX))
            .limit(self.settings.page_size)
            .set_exclusive_start_key(progress.resume_from.clone())
            .send()
            .await
            .map_err(dynamodb("Scan"))
    }

    /// The items of one segment, and the rewrites a migration would make to them (dry run).
    async fn inspect_segment(
        &self,
        migration: &dyn Migration,
        segment: u32,
        segments: u32,
    ) -> Result<(u64, Vec<String>), MigrationError> {
        let mut progress = SegmentProgress::start(segment, segments);
        let mut rewrites = Vec::new();
        while !progress.done {
            let page = self.scan_page(&progress).await?;
            for item in page.items.unwrap_or_default() {
                progress.scanned += 1;
                if let Some(rewrite) = migration.rewrite(&item) {
                    rewrites.push(format!("{}: {}", describe_key(&item_key(&item)), rewrite.describe()));
                }
            }
            progress.resume_from = page.last_evaluated_key;
            progress.done = progress.resume_from.is_none();
        }
        Ok((progress.scanned, rewrites))
    }

    async fn write(&self, key: &Item, rewrite: &Rewrite) -> Result<(), WriteRefused> {
        let expressions = rewrite.expressions();
        let written = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.clone()))
            .update_expression(expressions.update)
            .set_condition_expression(expressions.condition)
            .set_expression_attribute_names(Some(expressions.names))
            .set_expression_attribute_values((!expressions.values.is_empty()).then_some(expressions.values))
            .send()
            .await;
        match written {
            Ok(_) => Ok(()),
            Err(error)
                if error.as_service_error().is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                Err(WriteRefused::Condition)
            }
            Err(error) => Err(WriteRefused::Failed(dynamodb("UpdateItem")(error))),
        }
    }

    async fn checkpoint(
        &self,
        migration: &dyn Migration,
        progress: &SegmentProgress,
        lease: &Lease,
    ) -> Result<(), MigrationError> {
        let items = vec![
            records::put(&self.table, records::progress_item(migration.id(), progress), None)?,
            lease.renewal(&self.table)?,
        ];
        self.transact(items, "a checkpoint").await
    }

    async fn record_applied(
        &self,
        migration: &dyn Migration,
        applied: &Applied,
        segments: &[SegmentProgress],
        lease: &Lease,
    ) -> Result<(), MigrationError> {
        let mut items = vec![
            lease.held(&self.table)?,
            records::put(&self.table, records::applied_item(applied, migration.description()), None)?,
        ];
        for segment in segments {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(records::key(records::progress_sort_key(migration.id(), segment.segment))))
                .build()
                .map_err(dynamodb("a checkpoint removal"))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        self.transact(items, "the applied record").await
    }

    /// A transaction whose first item is a lease renewal or check: refused on that item means
    /// another run holds the lease.
    async fn transact(&self, items: Vec<TransactWriteItem>, what: &'static str) -> Result<(), MigrationError> {
        let lease_position = items.iter().position(|item| item.update.is_some() || item.condition_check.is_some());
        for attempt in 1..=CHECKPOINT_ATTEMPTS {
            let written = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let Err(error) = written else { return Ok(()) };
            let reasons: Vec<String> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().unwrap_or("None").to_owned())
                    .collect(),
                _ => Vec::new(),
            };
            if lease_position
                .and_then(|position| reasons.get(position))
                .is_some_and(|code| code == "ConditionalCheckFailed")
            {
                return Err(MigrationError::LeaseLost);
            }
            let contended = reasons.iter().any(|code| code == "TransactionConflict");
            if !contended || attempt == CHECKPOINT_ATTEMPTS {
                return Err(MigrationError::DynamoDb { action: what, source: Box::new(error) });
            }
            tokio::time::sleep(Duration::from_millis(20 * attempt as u64)).await;
        }
        Ok(())
    }
}

enum WriteRefused {
    Condition,
    Failed(MigrationError),
}

/// The segments of an interrupted run, in the count it started with: finished ones stay finished
/// (their counts go into the applied record), one that never wrote a checkpoint starts over.
fn resume_plan(recorded: &[SegmentProgress]) -> Vec<SegmentProgress> {
    let segments = recorded.first().map_or(1, |segment| segment.segments);
    (0..segments)
        .map(|segment| {
            recorded
                .iter()
                .find(|progress| progress.segment == segment)
                .cloned()
                .unwrap_or_else(|| SegmentProgress::start(segment, segments))
        })
        .collect()
}

fn item_key(item: &Item) -> Item {
    [keys::PARTITION_KEY, keys::SORT_KEY]
        .into_iter()
        .filter_map(|name| item.get(name).map(|value| (name.to_owned(), value.clone())))
        .collect()
}

fn describe_key(key: &Item) -> String {
    let part = |name: &str| key.get(name).and_then(|value| value.as_s().ok()).map_or("?", String::as_str);
    format!("{} / {}", part(keys::PARTITION_KEY), part(keys::SORT_KEY))
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    #[test]
    fn a_resumed_run_keeps_its_segment_count_and_restarts_silent_segments() {
        // Given a run of 3 segments interrupted after segment 0 finished and segment 2 checkpointed once
        let resume = Item::from([("PK".to_owned(), AttributeValue::S("ARTICLE#X".into()))]);
        let recorded = vec![
            SegmentProgress { done: true, scanned: 10, ..SegmentProgress::start(0, 3) },
            SegmentProgress { resume_from: Some(resume.clone()), scanned: 4, ..SegmentProgress::start(2, 3) },
        ];

        // When the next run plans its work
        let plan = resume_plan(&recorded);

        // Then the finished segment is kept as done, segment 1 starts over, segment 2 resumes
        assert_eq!(plan.len(), 3);
        assert!(plan[0].done);
        assert_eq!(plan[1], SegmentProgress::start(1, 3));
        assert_eq!(plan[2].resume_from, Some(resume));
        assert_eq!(plan[2].scanned, 4);
    }
}
