//! The lease: at most one run works on a table at a time. It is a conditional write with an
//! expiry, so a run that crashed (or a Lambda that timed out) blocks the next one only until the
//! lease expires. A run renews it with every checkpoint, in the same transaction, so a run that
//! lost it cannot record progress; its rewrites meanwhile are harmless, being conditional and
//! idempotent.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};

use crate::error::{MigrationError, dynamodb};
use crate::records::{self, LEASE_SORT_KEY};

/// The lease this run holds.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    pub holder: String,
    pub duration: Duration,
}

pub(crate) fn now_ms() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn rfc3339(unix_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .ok()
        .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix_ms.to_string())
}

impl Lease {
    fn expires_at_ms(&self) -> i64 {
        now_ms().saturating_add(i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX))
    }

    /// Takes the lease if no one holds it or its holder's time has passed.
    pub async fn acquire(client: &Client, table: &str, duration: Duration) -> Result<Self, MigrationError> {
        let lease = Self { holder: format!("run-{}", ulid::Ulid::new()), duration };
        let mut item = records::key(LEASE_SORT_KEY.to_owned());
        let expires_at_ms = lease.expires_at_ms();
        item.insert("holder".into(), AttributeValue::S(lease.holder.clone()));
        item.insert("expires_at_ms".into(), records::numeric(expires_at_ms));
        item.insert("expires_at".into(), AttributeValue::S(rfc3339(expires_at_ms)));
        let taken = client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR expires_at_ms < :now")
            .expression_attribute_values(":now", records::numeric(now_ms()))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(lease),
            Err(error)
                if error.as_service_error().is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                let holder = records::read(client, table).await?.lease;
                Err(MigrationError::LeaseHeld {
                    holder: holder.as_ref().map(|lease| lease.holder.clone()).unwrap_or_default(),
                    until: holder.map(|lease| rfc3339(lease.expires_at_ms)).unwrap_or_default(),
                })
            }
            Err(error) => Err(dynamodb("PutItem (lease)")(error)),
        }
    }

    /// A transaction item that extends the lease, and fails the transaction if another run holds it.
    pub fn renewal(&self, table: &str) -> Result<TransactWriteItem, MigrationError> {
        let update = Update::builder()
            .table_name(table)
            .set_key(Some(records::key(LEASE_SORT_KEY.to_owned())))
            .update_expression("SET expires_at_ms = :until, expires_at = :until_text")
            .condition_expression("holder = :me")
            .expression_attribute_values(":until", records::numeric(self.expires_at_ms()))
            .expression_attribute_values(":until_text", AttributeValue::S(rfc3339(self.expires_at_ms())))
            .expression_attribute_values(":me", AttributeValue::S(self.holder.clone()))
            .build()
            .map_err(dynamodb("a lease renewal"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A transaction item that only checks this run still holds the lease.
    pub fn held(&self, table: &str) -> Result<TransactWriteItem, MigrationError> {
        let check = ConditionCheck::builder()
            .table_name(table)
            .set_key(Some(records::key(LEASE_SORT_KEY.to_owned())))
            .condition_expression("holder = :me")
            .expression_attribute_values(":me", AttributeValue::S(self.holder.clone()))
            .build()
            .map_err(dynamodb("a lease check"))?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Gives the lease back, so the next run need not wait for it to expire. Best effort: if it
    /// fails, the lease simply expires.
    pub async fn release(&self, client: &Client, table: &str) {
        let released = client
            .delete_item()
            .table_name(table)
            .set_key(Some(records::key(LEASE_SORT_KEY.to_owned())))
            .condition_expression("holder = :me")
            .expression_attribute_values(":me", AttributeValue::S(self.holder.clone()))
            .send()
            .await;
        if let Err(error) = released {
            tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "migration lease not released; it expires by itself");
        }
    }
}
