//! Idempotency records: one item per (caller, route, key), `PK = IDEMPOTENCY#<record key>`,
//! `SK = IDEMPOTENCY`. A claim is one conditional UpdateItem that answers the standing record
//! when it cannot take it; a write completes its record in its own transaction
//! ([`completion`]), so the effect and the stored answer commit together or not at all. Every
//! record carries the table's TTL attribute (`purge_after`), and the code treats a record past it
//! as absent without waiting for DynamoDB to remove it.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use conduit_domain::idempotency::{
    Claim, ClaimId, ClaimOutcome, Completion, ExistingRecord, Fingerprint, RecordKey, RecordState, SealedAnswer,
};
use conduit_domain::ports::{IdempotencyRecords, StoreError};
use conduit_domain::values::Timestamp;

use crate::error::RepositoryError;
use crate::keys;
use crate::table::{Item, Table, TransactError};
use crate::writes::{self, number, text};

#[derive(Clone, Debug)]
pub struct DynamoIdempotencyRecords {
    table: Table,
}

impl DynamoIdempotencyRecords {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// A record no longer stands once past its expiry, or while an abandoned claim is all it holds.
const TAKEABLE: &str = "attribute_not_exists(PK) OR purge_after < :now \
                        OR (record_state = :in_progress AND in_progress_until < :now_ms)";

/// The item that completes `completion`'s record, for the write's transaction: it commits only if
/// the record is free or still held by this claim, so no two attempts under one key both take
/// effect, whichever of the claim and the write reaches the table first.
pub(crate) fn completion(table: &Table, completion: &Completion) -> Result<TransactWriteItem, RepositoryError> {
    let (partition, sort) = keys::idempotency_record(&completion.record.0);
    let item = Item::from([
        (keys::PARTITION_KEY.to_owned(), text(partition)),
        (keys::SORT_KEY.to_owned(), text(sort)),
        ("claim".to_owned(), text(completion.claim.0.clone())),
        ("fingerprint".to_owned(), text(completion.fingerprint.0.clone())),
        ("record_state".to_owned(), text(COMPLETED)),
        ("answer".to_owned(), AttributeValue::B(completion.answer.0.clone().into())),
        ("purge_after".to_owned(), number(completion.expires_at.unix_seconds())),
    ]);
    writes::put_if(
        table,
        item,
        "attribute_not_exists(PK) OR purge_after < :now OR (record_state = :in_progress AND claim = :claim)",
        vec![
            (":now", number(Timestamp::now().unix_seconds())),
            (":in_progress", text(IN_PROGRESS)),
            (":claim", text(completion.claim.0.clone())),
        ],
    )
}

impl IdempotencyRecords for DynamoIdempotencyRecords {
    async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, StoreError> {
        let outcome = self
            .table
            .update_if_else_current(
                keys::idempotency_record(&claim.record.0),
                "SET claim = :claim, fingerprint = :fingerprint, record_state = :in_progress, \
                 in_progress_until = :until, purge_after = :expires REMOVE answer",
                TAKEABLE,
                &[],
                vec![
                    (":claim", text(claim.claim.0.clone())),
                    (":fingerprint", text(claim.fingerprint.0.clone())),
                    (":in_progress", text(IN_PROGRESS)),
                    (":until", number(claim.in_progress_until.unix_millis())),
                    (":expires", number(claim.expires_at.unix_seconds())),
                    (":now", number(claim.now.unix_seconds())),
                    (":now_ms", number(claim.now.unix_millis())),
                ],
            )
            .await?;
        match outcome {
            Ok(()) => Ok(ClaimOutcome::Claimed),
            Err(Some(item)) => Ok(ClaimOutcome::Exists(existing(&item)?)),
            // Gone between the condition and the answer: a retry of the claim will take it.
            Err(None) => Err(StoreError::Conflict),
        }
    }

    async fn complete(&self, completion: &Completion) -> Result<(), StoreError> {
        self.table
            .update_if(
                keys::idempotency_record(&completion.record.0),
                "SET record_state = :completed, answer = :answer REMOVE in_progress_until",
                "record_state = :in_progress AND claim = :claim",
                &[],
                vec![
                    (":completed", text(COMPLETED)),
                    (":answer", AttributeValue::B(completion.answer.0.clone().into())),
                    (":in_progress", text(IN_PROGRESS)),
                    (":claim", text(completion.claim.0.clone())),
                ],
            )
            .await?;
        Ok(())
    }

    async fn release(&self, record: &RecordKey, claim: &ClaimId) -> Result<bool, StoreError> {
        self.delete_claimed(record, "record_state = :in_progress AND claim = :claim", claim).await
    }

    async fn withdraw(&self, record: &RecordKey, claim: &ClaimId) -> Result<(), StoreError> {
        self.delete_claimed(record, "claim = :claim", claim).await.map(drop)
    }
}

impl DynamoIdempotencyRecords {
    /// Deletes the record if `condition` holds; `:claim` in it is `claim`, `:in_progress` the state.
    async fn delete_claimed(&self, record: &RecordKey, condition: &str, claim: &ClaimId) -> Result<bool, StoreError> {
        let mut values = vec![(":claim", text(claim.0.clone()))];
        if condition.contains(":in_progress") {
            // DynamoDB refuses a value the expression does not use.
            values.push((":in_progress", text(IN_PROGRESS)));
        }
        Ok(self.table.delete_if(keys::idempotency_record(&record.0), condition, &[], values).await?)
    }
}

/// The standing record as a claim met it.
fn existing(item: &Item) -> Result<ExistingRecord, RepositoryError> {
    let key = || item.get(keys::PARTITION_KEY).and_then(|value| value.as_s().ok()).cloned().unwrap_or_default();
    let corrupt = |field: &'static str| RepositoryError::CorruptItem {
        key: key(),
        source: format!("{field} is missing or malformed").into(),
    };
    let string = |field: &'static str| {
        item.get(field).and_then(|value| value.as_s().ok()).cloned().ok_or_else(|| corrupt(field))
    };
    let whole = |field: &'static str| {
        item.get(field)
            .and_then(|value| value.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| corrupt(field))
    };
    let state = match string("record_state")?.as_str() {
        COMPLETED => {
            let answer = item.get("answer").and_then(|value| value.as_b().ok()).ok_or_else(|| corrupt("answer"))?;
            RecordState::Completed { answer: SealedAnswer(answer.as_ref().to_vec()) }
        }
        _ => RecordState::InProgress { until: Timestamp::from_unix_millis(whole("in_progress_until")?) },
    };
    Ok(ExistingRecord {
        claim: ClaimId(string("claim")?),
        fingerprint: Fingerprint(string("fingerprint")?),
        state,
        expires_at: Timestamp::from_unix_millis(whole("purge_after")?.saturating_mul(1000)),
    })
}

// Beside the record it completes: the table itself knows nothing of idempotency.
impl Table {
    /// Runs one transaction that, for a keyed request, also completes its idempotency record with
    /// the answer (the last item, so the other items keep their positions in the cancellation
    /// codes). A record held by another attempt cancels it all, answered as the outer
    /// [`StoreError::KeyTaken`]; the inner result is the transaction's as [`Self::transact`] has it.
    pub(crate) async fn transact_completing(
        &self,
        mut items: Vec<TransactWriteItem>,
        completion: Option<&Completion>,
    ) -> Result<Result<(), TransactError>, StoreError> {
        let Some(completion) = completion else { return Ok(self.transact(items).await) };
        let index = items.len();
        items.push(self::completion(self, completion)?);
        match self.transact(items).await {
            Err(TransactError::Cancelled(codes)) if writes::condition_failed(&codes, index) => {
                Err(StoreError::KeyTaken)
            }
            other => Ok(other),
        }
    }
}
