//! `send_boxed()`: each DynamoDB operation's `send()` compiled once, in this crate, rather than in
//! every function binary that awaits it (see `conduit_aws::sending`).

use aws_sdk_dynamodb::operation::{
    batch_get_item, batch_write_item, delete_item, get_item, query, transact_get_items, transact_write_items,
    update_item,
};
use conduit_aws::sending::Sending;

/// A request builder whose `send()` is compiled in this crate.
pub(crate) trait SendBoxed {
    type Output;
    type Error;
    fn send_boxed(self) -> Sending<Self::Output, Self::Error>;
}

macro_rules! send_boxed {
    ($($operation:ident :: $builder:ident => $output:ident, $error:ident;)*) => {$(
        impl SendBoxed for $operation::builders::$builder {
            type Output = $operation::$output;
            type Error = $operation::$error;
            fn send_boxed(self) -> Sending<Self::Output, Self::Error> {
                Box::pin(self.send())
            }
        }
    )*};
}

send_boxed! {
    get_item::GetItemFluentBuilder => GetItemOutput, GetItemError;
    update_item::UpdateItemFluentBuilder => UpdateItemOutput, UpdateItemError;
    delete_item::DeleteItemFluentBuilder => DeleteItemOutput, DeleteItemError;
    query::QueryFluentBuilder => QueryOutput, QueryError;
    batch_get_item::BatchGetItemFluentBuilder => BatchGetItemOutput, BatchGetItemError;
    batch_write_item::BatchWriteItemFluentBuilder => BatchWriteItemOutput, BatchWriteItemError;
    transact_get_items::TransactGetItemsFluentBuilder => TransactGetItemsOutput, TransactGetItemsError;
    transact_write_items::TransactWriteItemsFluentBuilder => TransactWriteItemsOutput, TransactWriteItemsError;
}
