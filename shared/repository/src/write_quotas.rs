//! The counters of the accounts' write quotas: one item per kind of write, account and window
//! (`WRITE_QUOTA#<action>#<user>` / `<window start>`). The counter's update rides in the
//! transaction of the write it counts, so the two happen together or not at all: concurrent
//! writes never pass the allowance, a refused write stores nothing, and a write refused for
//! another reason (a taken slug, a repeated favorite) is not counted.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use conduit_domain::values::UserId;
use conduit_domain::write_quotas::WriteCharge;

use crate::error::RepositoryError;
use crate::keys;
use crate::table::Table;
use crate::writes::number;

/// The transaction item that counts one write of `account`: `ADD count 1`, conditioned on the
/// window's allowance not being used up. The counter is never read after its window (the window
/// names its key), so DynamoDB may remove it as soon as the window ends.
pub(crate) fn counted(
    table: &Table,
    account: UserId,
    charge: &WriteCharge,
) -> Result<TransactWriteItem, RepositoryError> {
    let window = charge.window();
    let key = keys::write_quota(charge.action.name(), &account.to_string(), window.start_seconds);
    let update = Update::builder()
        .table_name(table.name())
        .set_key(Some(Table::key(key)))
        .update_expression("ADD #count :one SET purge_after = :purge")
        .condition_expression("attribute_not_exists(#count) OR #count < :max")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", number(1))
        .expression_attribute_values(":purge", number(window.ends_at.unix_seconds()))
        .expression_attribute_values(":max", number(charge.quota.max))
        .build()
        .map_err(|error| RepositoryError::request("TransactWriteItems", error))?;
    Ok(TransactWriteItem::builder().update(update).build())
}
