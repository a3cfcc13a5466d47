//! Building blocks of transactions, so each repository states *what* it writes in a few lines.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use serde::Serialize;

use crate::error::RepositoryError;
use crate::table::{Key, Table};
use crate::trace_context;

fn built<T, E: std::error::Error + Send + Sync + 'static>(result: Result<T, E>) -> Result<T, RepositoryError> {
    result.map_err(|error| RepositoryError::request("TransactWriteItems", error))
}

/// Puts `item`; with `only_if_new`, the write fails (ConditionalCheckFailed) when the key exists.
pub(crate) fn put(
    table: &Table,
    item: impl Serialize,
    only_if_new: bool,
) -> Result<TransactWriteItem, RepositoryError> {
    put_encoded(table, serde_dynamo::to_item(item)?, only_if_new)
}

/// Like [`put`], with the writer's trace context on the item (`trace_context.rs`): for the items
/// whose creation a stream consumer acts on.
pub(crate) fn put_traced(
    table: &Table,
    item: impl Serialize,
    only_if_new: bool,
) -> Result<TransactWriteItem, RepositoryError> {
    put_encoded(table, trace_context::stamped(serde_dynamo::to_item(item)?), only_if_new)
}

fn put_encoded(
    table: &Table,
    item: crate::table::Item,
    only_if_new: bool,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut put = Put::builder().table_name(table.name()).set_item(Some(item));
    if only_if_new {
        put = put.condition_expression("attribute_not_exists(PK)");
    }
    Ok(TransactWriteItem::builder().put(built(put.build())?).build())
}

/// Puts an already encoded item if `condition` (with its values) holds.
pub(crate) fn put_if(
    table: &Table,
    item: crate::table::Item,
    condition: &str,
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut put = Put::builder().table_name(table.name()).set_item(Some(item)).condition_expression(condition);
    for (name, value) in values {
        put = put.expression_attribute_values(name, value);
    }
    Ok(TransactWriteItem::builder().put(built(put.build())?).build())
}

/// Deletes `key`; `condition` (with its values) must hold, e.g. `attribute_exists(PK)`.
pub(crate) fn delete(
    table: &Table,
    key: Key,
    condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut delete = Delete::builder().table_name(table.name()).set_key(Some(Table::key(key)));
    if let Some((expression, values)) = condition {
        delete = delete.condition_expression(expression);
        for (name, value) in values {
            delete = delete.expression_attribute_values(name, value);
        }
    }
    Ok(TransactWriteItem::builder().delete(built(delete.build())?).build())
}

/// Adds `delta` to a numeric attribute (created at 0 when absent). With `only_if_exists`, the item
/// must already exist, so a counter never conjures up an item that was deleted.
pub(crate) fn add(
    table: &Table,
    key: Key,
    attribute: &str,
    delta: i64,
    only_if_exists: bool,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut update = Update::builder()
        .table_name(table.name())
        .set_key(Some(Table::key(key)))
        .update_expression("ADD #counter :delta")
        .expression_attribute_names("#counter", attribute)
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()));
    if only_if_exists {
        update = update.condition_expression("attribute_exists(PK)");
    }
    Ok(TransactWriteItem::builder().update(built(update.build())?).build())
}

/// Like [`add`], also setting `index_attribute` to `index_value`: a counter that an index sorts
/// by its count (the item enters the index with its first change).
pub(crate) fn add_indexed(
    table: &Table,
    key: Key,
    attribute: &str,
    delta: i64,
    (index_attribute, index_value): (&str, &str),
) -> Result<TransactWriteItem, RepositoryError> {
    let update = Update::builder()
        .table_name(table.name())
        .set_key(Some(Table::key(key)))
        .update_expression("ADD #counter :delta SET #index = :index")
        .expression_attribute_names("#counter", attribute)
        .expression_attribute_names("#index", index_attribute)
        .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
        .expression_attribute_values(":index", AttributeValue::S(index_value.to_owned()));
    Ok(TransactWriteItem::builder().update(built(update.build())?).build())
}

/// A free-form update, for the few writes that are neither puts nor counters.
pub(crate) fn update(
    table: &Table,
    key: Key,
    expression: &str,
    condition: &str,
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut update = Update::builder()
        .table_name(table.name())
        .set_key(Some(Table::key(key)))
        .update_expression(expression)
        .condition_expression(condition);
    for (name, value) in values {
        update = update.expression_attribute_values(name, value);
    }
    Ok(TransactWriteItem::builder().update(built(update.build())?).build())
}

/// Writes nothing, but the transaction fails unless `condition` holds on `key`.
pub(crate) fn check(table: &Table, key: Key, condition: &str) -> Result<TransactWriteItem, RepositoryError> {
    let check = ConditionCheck::builder()
        .table_name(table.name())
        .set_key(Some(Table::key(key)))
        .condition_expression(condition);
    Ok(TransactWriteItem::builder().condition_check(built(check.build())?).build())
}

pub(crate) fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Whether the cancellation code at `index` is a failed condition.
pub(crate) fn condition_failed(codes: &[String], index: usize) -> bool {
    codes.get(index).is_some_and(|code| code == "ConditionalCheckFailed")
}
