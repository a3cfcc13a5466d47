//! The table and the DynamoDB mechanics every repository shares: batching at the API's item caps
//! with retries of unprocessed items, paginated queries, and transactions retried when they lose
//! a conflict with a concurrent transaction.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure,
    Select, TransactWriteItem, WriteRequest,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use conduit_telemetry::traces::attributes::AwsCall;
use futures::future::try_join_all;

use crate::boxed_send::SendBoxed;
use crate::error::RepositoryError;
use crate::keys::{self, PARTITION_KEY, SORT_KEY};

pub(crate) type Item = HashMap<String, AttributeValue>;
pub(crate) use crate::keys::Key;

/// DynamoDB's caps: 100 keys per BatchGetItem, 25 requests per BatchWriteItem, 100 items per
/// TransactGetItems.
const BATCH_GET_LIMIT: usize = 100;
const SNAPSHOT_LIMIT: usize = 100;
const BATCH_WRITE_LIMIT: usize = 25;
/// Unprocessed items and transaction conflicts are retried with exponential backoff this often.
const RETRIES: u32 = 8;
/// Cancellation reasons of a transaction that lost to other writers or to throughput limits: worth
/// another try, and when the tries run out, a passing condition (503), not a defect.
const CONTENTION_CODES: &[&str] = &["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"];

/// The table every repository works on: a client (cheap to clone, built once per container) and
/// the table's name.
#[derive(Clone, Debug)]
pub struct Table {
    pub(crate) client: Client,
    pub(crate) name: Arc<str>,
}

/// Why a transaction was refused: one cancellation code per item, in order
/// (`"None"`, `"ConditionalCheckFailed"`, ...).
#[derive(Debug)]
pub(crate) enum TransactError {
    Cancelled(Vec<String>),
    Failed(RepositoryError),
}

impl From<RepositoryError> for TransactError {
    fn from(error: RepositoryError) -> Self {
        Self::Failed(error)
    }
}

/// A Query of one partition of the table or of an index: oldest first, every item, eventually
/// consistent, unless told otherwise.
pub(crate) struct KeyQuery<'a> {
    index: Option<&'static str>,
    partition: String,
    sort_condition: Option<SortCondition<'a>>,
    newest_first: bool,
    /// Stop after this many items (all of them when `None`).
    limit: Option<usize>,
    consistent: bool,
}

impl<'a> KeyQuery<'a> {
    pub fn partition(partition: String) -> Self {
        Self { index: None, partition, sort_condition: None, newest_first: false, limit: None, consistent: false }
    }

    /// A partition of an index (always eventually consistent).
    pub fn index_partition(index: &'static str, partition: String) -> Self {
        Self { index: Some(index), ..Self::partition(partition) }
    }

    /// Only the items whose sort key starts with `prefix`.
    pub fn sort_prefix(mut self, prefix: &'a str) -> Self {
        self.sort_condition = (!prefix.is_empty()).then_some(SortCondition::BeginsWith(prefix));
        self
    }

    /// Only the items whose sort key sorts before `bound`: with [`Self::newest_first`], where an
    /// earlier query of the same partition stopped at `bound`.
    pub fn sort_below(mut self, bound: &'a str) -> Self {
        self.sort_condition = Some(SortCondition::Below(bound));
        self
    }

    /// Only the items whose sort key, a number, is above `bound`.
    pub fn sort_above_number(mut self, bound: i64) -> Self {
        self.sort_condition = Some(SortCondition::AboveNumber(bound));
        self
    }

    /// Only the items whose sort key lies from `first` to `last`, both included.
    pub fn sort_between(mut self, first: &'a str, last: &'a str) -> Self {
        self.sort_condition = Some(SortCondition::Between(first, last));
        self
    }

    pub fn newest_first(mut self) -> Self {
        self.newest_first = true;
        self
    }

    pub fn limit(mut self, limit: Option<usize>) -> Self {
        self.limit = limit;
        self
    }

    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    fn condition(&self) -> String {
        let (partition_key, _) = keys::key_attributes(self.index);
        match self.sort_condition {
            // The sort key goes by a placeholder: an index's may be a reserved word (`count`).
            Some(SortCondition::BeginsWith(_)) => format!("{partition_key} = :pk AND begins_with(#sort, :sort)"),
            Some(SortCondition::Below(_)) => format!("{partition_key} = :pk AND #sort < :sort"),
            Some(SortCondition::AboveNumber(_)) => format!("{partition_key} = :pk AND #sort > :sort"),
            Some(SortCondition::Between(..)) => format!("{partition_key} = :pk AND #sort BETWEEN :sort AND :sort_end"),
            None => format!("{partition_key} = :pk"),
        }
    }
}

/// What a query asks of the sort key (a key condition has room for one such test).
#[derive(Clone, Copy)]
enum SortCondition<'a> {
    BeginsWith(&'a str),
    Below(&'a str),
    Between(&'a str, &'a str),
    AboveNumber(i64),
}

impl SortCondition<'_> {
    fn operand(self) -> AttributeValue {
        match self {
            Self::BeginsWith(operand) | Self::Below(operand) | Self::Between(operand, _) => {
                AttributeValue::S(operand.to_owned())
            }
            Self::AboveNumber(bound) => AttributeValue::N(bound.to_string()),
        }
    }

    /// The second operand, for the conditions that take two.
    fn end_operand(self) -> Option<String> {
        match self {
            Self::Between(_, last) => Some(last.to_owned()),
            Self::BeginsWith(_) | Self::Below(_) | Self::AboveNumber(_) => None,
        }
    }
}

impl Table {
    pub fn new(client: Client, name: impl Into<Arc<str>>) -> Self {
        Self { client, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn key((partition, sort): Key) -> Item {
        HashMap::from([
            (PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
            (SORT_KEY.to_owned(), AttributeValue::S(sort)),
        ])
    }

    pub(crate) async fn get(&self, key: Key, consistent: bool) -> Result<Option<Item>, RepositoryError> {
        self.get_projected(key, None, consistent).await
    }

    /// Like [`Self::get`], reading only the attributes `projection` names (a ProjectionExpression):
    /// for hot paths that need one small attribute of a larger item.
    pub(crate) async fn get_projected(
        &self,
        key: Key,
        projection: Option<&str>,
        consistent: bool,
    ) -> Result<Option<Item>, RepositoryError> {
        let output = self
            .client
            .get_item()
            .table_name(self.name())
            .set_key(Some(Self::key(key)))
            .set_projection_expression(projection.map(str::to_owned))
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send_boxed()
            .traced(self, "GetItem")
            .await
            .map_err(|error| RepositoryError::sdk("GetItem", error))?;
        crate::capacity::record("GetItem", output.consumed_capacity());
        Ok(output.item)
    }

    /// Updates one item (creating it when absent, as UpdateItem does) if `condition` holds;
    /// `Ok(false)` when it does not, and then nothing was written.
    pub(crate) async fn update_if(
        &self,
        key: Key,
        expression: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool, RepositoryError> {
        let sent = self
            .update_request(key, expression, condition, names, values)
            .send_boxed()
            .traced(self, "UpdateItem")
            .await;
        conditional_write(
            "UpdateItem",
            sent.map(|output| crate::capacity::record("UpdateItem", output.consumed_capacity())),
        )
    }

    /// Like [`Self::update_if`], but when `condition` does not hold it answers the item as it is
    /// (`Err(None)` when there is none), from the same call: deciding what to write next needs no
    /// second read.
    pub(crate) async fn update_if_else_current(
        &self,
        key: Key,
        expression: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<Result<(), Option<Item>>, RepositoryError> {
        let sent = self
            .update_request(key, expression, condition, names, values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send_boxed()
            .traced(self, "UpdateItem")
            .await;
        match sent {
            Ok(output) => {
                crate::capacity::record("UpdateItem", output.consumed_capacity());
                Ok(Ok(()))
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Ok(Err(failed.item.clone())),
                _ => Err(RepositoryError::sdk("UpdateItem", error)),
            },
        }
    }

    fn update_request(
        &self,
        key: Key,
        expression: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let mut request = self
            .client
            .update_item()
            .table_name(self.name())
            .set_key(Some(Self::key(key)))
            .update_expression(expression)
            .condition_expression(condition)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let (names, values) = expression_maps(names, values);
        request = request.set_expression_attribute_names(names).set_expression_attribute_values(values);
        request
    }

    /// Deletes one item if `condition` holds; `Ok(false)` when it does not.
    pub(crate) async fn delete_if(
        &self,
        key: Key,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool, RepositoryError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(self.name())
            .set_key(Some(Self::key(key)))
            .condition_expression(condition)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        let (names, values) = expression_maps(names, values);
        request = request.set_expression_attribute_names(names).set_expression_attribute_values(values);
        let sent = request.send_boxed().traced(self, "DeleteItem").await;
        conditional_write(
            "DeleteItem",
            sent.map(|output| crate::capacity::record("DeleteItem", output.consumed_capacity())),
        )
    }

    /// Deletes one item (deleting what is not there is not an error).
    pub(crate) async fn delete(&self, key: Key) -> Result<(), RepositoryError> {
        let output = self
            .client
            .delete_item()
            .table_name(self.name())
            .set_key(Some(Self::key(key)))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send_boxed()
            .traced(self, "DeleteItem")
            .await
            .map_err(|error| RepositoryError::sdk("DeleteItem", error))?;
        crate::capacity::record("DeleteItem", output.consumed_capacity());
        Ok(())
    }

    /// Reads any number of items, 100 keys per call, the calls in parallel. Missing items are
    /// simply absent from the result.
    pub(crate) async fn batch_get(&self, keys: Vec<Key>, consistent: bool) -> Result<Vec<Item>, RepositoryError> {
        let mut unique = keys;
        unique.sort();
        unique.dedup();
        let chunks = unique.chunks(BATCH_GET_LIMIT).map(|chunk| self.batch_get_chunk(chunk.to_vec(), consistent));
        Ok(try_join_all(chunks).await?.into_iter().flatten().collect())
    }

    /// The items at `keys` (at most 100) as they all were at one instant: TransactGetItems reads
    /// them as one serialisable snapshot, which a BatchGetItem does not.
    pub(crate) async fn snapshot(&self, keys: Vec<Key>) -> Result<Vec<Item>, RepositoryError> {
        let gets = keys
            .into_iter()
            .map(|key| {
                let get = aws_sdk_dynamodb::types::Get::builder()
                    .table_name(self.name())
                    .set_key(Some(Self::key(key)))
                    .build()
                    .map_err(|error| RepositoryError::request("TransactGetItems", error))?;
                Ok(aws_sdk_dynamodb::types::TransactGetItem::builder().get(get).build())
            })
            .collect::<Result<Vec<_>, RepositoryError>>()?;
        let output = self
            .client
            .transact_get_items()
            .set_transact_items(Some(gets))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send_boxed()
            .traced(self, "TransactGetItems")
            .await
            .map_err(|error| RepositoryError::sdk("TransactGetItems", error))?;
        crate::capacity::record("TransactGetItems", output.consumed_capacity());
        Ok(output.responses.unwrap_or_default().into_iter().filter_map(|response| response.item).collect())
    }

    /// [`Self::snapshot`] of `keys` when one snapshot holds them all; past that, a consistent
    /// batch read, whose items may straddle a concurrent write.
    pub(crate) async fn snapshot_when_possible(&self, keys: Vec<Key>) -> Result<Vec<Item>, RepositoryError> {
        if keys.len() <= SNAPSHOT_LIMIT { self.snapshot(keys).await } else { self.batch_get(keys, true).await }
    }

    async fn batch_get_chunk(&self, keys: Vec<Key>, consistent: bool) -> Result<Vec<Item>, RepositoryError> {
        let mut pending: Vec<Item> = keys.into_iter().map(Self::key).collect();
        let mut found = Vec::new();
        for attempt in 0..=RETRIES {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                backoff(attempt).await;
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(consistent)
                .build()
                .map_err(|error| RepositoryError::request("BatchGetItem", error))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(self.name(), request)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send_boxed()
                .traced(self, "BatchGetItem")
                .await
                .map_err(|error| RepositoryError::sdk("BatchGetItem", error))?;
            crate::capacity::record("BatchGetItem", output.consumed_capacity());
            if let Some(mut responses) = output.responses {
                found.extend(responses.remove(self.name()).unwrap_or_default());
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut unprocessed| unprocessed.remove(self.name()))
                .map(|keys| keys.keys)
                .unwrap_or_default();
        }
        if pending.is_empty() {
            Ok(found)
        } else {
            Err(RepositoryError::Throttled { operation: "BatchGetItem", unprocessed: pending.len() })
        }
    }

    /// Deletes any number of items, 25 per call, retrying what DynamoDB leaves unprocessed.
    pub(crate) async fn batch_delete(&self, keys: Vec<Key>) -> Result<(), RepositoryError> {
        for chunk in keys.chunks(BATCH_WRITE_LIMIT) {
            let mut pending: Vec<WriteRequest> = chunk
                .iter()
                .map(|key| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(Self::key(key.clone())))
                        .build()
                        .map_err(|error| RepositoryError::request("BatchWriteItem", error))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<_, RepositoryError>>()?;
            for attempt in 0..=RETRIES {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    backoff(attempt).await;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(self.name(), std::mem::take(&mut pending))
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send_boxed()
                    .traced(self, "BatchWriteItem")
                    .await
                    .map_err(|error| RepositoryError::sdk("BatchWriteItem", error))?;
                crate::capacity::record("BatchWriteItem", output.consumed_capacity());
                pending = output
                    .unprocessed_items
                    .and_then(|mut unprocessed| unprocessed.remove(self.name()))
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(RepositoryError::Throttled { operation: "BatchWriteItem", unprocessed: pending.len() });
            }
        }
        Ok(())
    }

    /// One page of `query`: at most `wanted` items (any number when `None`), from `start_key`;
    /// what a table or index gives by default unless `select` says otherwise (`Count`).
    async fn query_page(
        &self,
        query: &KeyQuery<'_>,
        select: Option<Select>,
        wanted: Option<usize>,
        start_key: Option<Item>,
    ) -> Result<QueryOutput, RepositoryError> {
        let mut request = self
            .client
            .query()
            .table_name(self.name())
            .set_index_name(query.index.map(str::to_owned))
            .key_condition_expression(query.condition())
            .set_select(select)
            .scan_index_forward(!query.newest_first)
            .consistent_read(query.consistent && query.index.is_none())
            .set_exclusive_start_key(start_key)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .expression_attribute_values(":pk", AttributeValue::S(query.partition.clone()));
        if let Some(wanted) = wanted {
            request = request.limit(i32::try_from(wanted).unwrap_or(i32::MAX));
        }
        if let Some(sort_condition) = query.sort_condition {
            let (_, sort_key) = keys::key_attributes(query.index);
            request = request
                .expression_attribute_names("#sort", sort_key)
                .expression_attribute_values(":sort", sort_condition.operand());
            if let Some(end) = sort_condition.end_operand() {
                request = request.expression_attribute_values(":sort_end", AttributeValue::S(end));
            }
        }
        let output =
            request.send_boxed().traced(self, "Query").await.map_err(|error| RepositoryError::sdk("Query", error))?;
        crate::capacity::record("Query", output.consumed_capacity());
        Ok(output)
    }

    /// The sort keys of a keys-only index partition, newest first: those below `below` (all, when
    /// `None`), at most `limit` of them (all, when `None`). What lists read ids from, and what the
    /// purge and the fan-out walk with a cursor.
    pub(crate) async fn index_sort_keys(
        &self,
        index: &'static str,
        partition: String,
        below: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, RepositoryError> {
        let (_, sort_name) = keys::key_attributes(Some(index));
        let mut query = KeyQuery::index_partition(index, partition).newest_first().limit(limit);
        if let Some(below) = below {
            query = query.sort_below(below);
        }
        let items = self.query(query).await?;
        Ok(items.iter().filter_map(|item| string_attribute(item, sort_name)).map(str::to_owned).collect())
    }

    /// Runs a query, following pages until `limit` items are read or the result ends.
    pub(crate) async fn query(&self, query: KeyQuery<'_>) -> Result<Vec<Item>, RepositoryError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let wanted = query.limit.map(|limit| limit - items.len());
            let output = self.query_page(&query, None, wanted, start_key.take()).await?;
            items.extend(output.items.unwrap_or_default());
            start_key = output.last_evaluated_key;
            let satisfied = query.limit.is_some_and(|limit| items.len() >= limit);
            if satisfied || start_key.is_none() {
                return Ok(items);
            }
        }
    }

    /// One call of `query`: at most its limit of items, and fewer when DynamoDB stopped at the 1 MB
    /// it reads per call; `true` beside them when items may follow (the call stopped early).
    pub(crate) async fn query_once(&self, query: KeyQuery<'_>) -> Result<(Vec<Item>, bool), RepositoryError> {
        let output = self.query_page(&query, None, query.limit, None).await?;
        Ok((output.items.unwrap_or_default(), output.last_evaluated_key.is_some()))
    }

    /// How many items the query matches, counting no further than its limit: the items are
    /// read (and paid for) but not sent back.
    pub(crate) async fn count(&self, query: KeyQuery<'_>) -> Result<usize, RepositoryError> {
        let mut counted = 0;
        let mut start_key = None;
        loop {
            let wanted = query.limit.map(|limit| limit - counted);
            let output = self.query_page(&query, Some(Select::Count), wanted, start_key.take()).await?;
            counted += usize::try_from(output.count).unwrap_or_default();
            start_key = output.last_evaluated_key;
            if query.limit.is_some_and(|limit| counted >= limit) || start_key.is_none() {
                return Ok(counted);
            }
        }
    }

    /// Runs one transaction. A transaction that lost to a concurrent one on the same items
    /// (`TransactionConflict`) is retried with backoff; a failed condition is returned with the
    /// per-item cancellation codes for the caller to interpret.
    pub(crate) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                backoff(attempt).await;
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send_boxed()
                .traced(self, "TransactWriteItems")
                .await;
            let error = match result {
                Ok(output) => {
                    crate::capacity::record("TransactWriteItems", output.consumed_capacity());
                    return Ok(());
                }
                Err(error) => error,
            };
            let contended = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    let codes: Vec<String> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|reason| reason.code().unwrap_or("None").to_owned())
                        .collect();
                    if codes.iter().any(|code| code == "ConditionalCheckFailed") {
                        return Err(TransactError::Cancelled(codes));
                    }
                    codes.iter().any(|code| CONTENTION_CODES.contains(&code.as_str()))
                }
                Some(
                    TransactWriteItemsError::TransactionInProgressException(_)
                    | TransactWriteItemsError::ProvisionedThroughputExceededException(_)
                    | TransactWriteItemsError::ThrottlingException(_),
                ) => true,
                _ => false,
            };
            if !contended {
                return Err(RepositoryError::sdk("TransactWriteItems", error).into());
            }
        }
        Err(RepositoryError::Throttled { operation: "TransactWriteItems", unprocessed: items.len() }.into())
    }
}

/// The outcome of a conditional single-item write: `Ok(false)` when its condition did not hold.
/// An expression's attribute-name placeholders, as the SDK takes them.
type ExpressionNames = Option<HashMap<String, String>>;
/// An expression's value placeholders, as the SDK takes them.
type ExpressionValues = Option<Item>;

/// A conditional write's placeholders as the SDK takes them; `None` for none, since DynamoDB
/// refuses an empty map.
fn expression_maps(names: &[(&str, &str)], values: Vec<(&str, AttributeValue)>) -> (ExpressionNames, ExpressionValues) {
    let names: HashMap<String, String> =
        names.iter().map(|(placeholder, name)| ((*placeholder).to_owned(), (*name).to_owned())).collect();
    let values: HashMap<String, AttributeValue> =
        values.into_iter().map(|(placeholder, value)| (placeholder.to_owned(), value)).collect();
    ((!names.is_empty()).then_some(names), (!values.is_empty()).then_some(values))
}

fn conditional_write<E>(
    operation: &'static str,
    sent: Result<(), SdkError<E, HttpResponse>>,
) -> Result<bool, RepositoryError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match sent {
        Ok(()) => Ok(true),
        Err(error) if error.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(error) => Err(RepositoryError::sdk(operation, error)),
    }
}

/// Runs a DynamoDB call in its span of the trace (`DynamoDB.GetItem`, on the table, with AWS's
/// request id), and counts it among the request's round trips.
pub(crate) trait Traced<T: RequestId, E: RequestId>: Future<Output = Result<T, E>> + Sized {
    fn traced(self, table: &Table, operation: &'static str) -> impl Future<Output = Result<T, E>> {
        let call = AwsCall::start("DynamoDB", operation).on_table(table.name());
        let counted = async move {
            let depth = conduit_telemetry::capacity::call_started();
            // Calls joined with this one get to start before any of them is sent: on a busy
            // machine, a call whose first poll happens to find its answer already there would
            // otherwise end before its siblings start, and send them one round trip later.
            tokio::task::yield_now().await;
            let result = self.await;
            conduit_telemetry::capacity::call_ended(depth);
            result
        };
        conduit_aws::traced::traced(call, counted, |_| false)
    }
}

impl<F: Future<Output = Result<T, E>>, T: RequestId, E: RequestId> Traced<T, E> for F {}

/// 10 ms, 20 ms, 40 ms ... capped at 1 s, with jitter so racing writers spread out.
async fn backoff(attempt: u32) {
    let base = 10u64.saturating_mul(1 << attempt.min(7)).min(1_000);
    let jitter = u64::from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
    ) % base.max(1);
    tokio::time::sleep(Duration::from_millis(base / 2 + jitter / 2)).await;
}

pub(crate) fn string_attribute<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|value| value.as_s().ok()).map(String::as_str)
}
