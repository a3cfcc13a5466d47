//! The counters behind the abuse limits: one item per address tried at login
//! (`LOGIN_ATTEMPTS#<email>`) and one per source, action and window (`SOURCE_QUOTA#...`). Every
//! count is a single conditional write, so concurrent attempts cannot pass a limit; each item
//! carries the table's TTL attribute (`purge_after`), and the code never relies on when DynamoDB
//! removes it.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::ports::{Admission, LoginAttempts, SourceQuotas, StoreError};
use conduit_domain::throttling::{FailedAttempts, LoginBackoff, QuotaAction, WindowQuota};
use conduit_domain::values::{ClientSource, Email, Timestamp};

use conduit_telemetry::process::ErrorChain;

use crate::error::RepositoryError;
use crate::keys;
use crate::table::{Item, Table};
use crate::writes::number;

#[derive(Clone, Debug)]
pub struct DynamoThrottles {
    table: Table,
}

/// Conditional writes that lost a race to another attempt on the same address are tried again
/// this often before the attempt is refused as one too many at once.
const RACES: usize = 3;

/// A refusal always asks for at least a second: `Retry-After` counts whole seconds.
const MINIMUM_WAIT: Duration = Duration::from_secs(1);

/// Source counters outlive their window by this much before DynamoDB may remove them, so a late
/// give-back never meets a missing counter.
const QUOTA_RETENTION: Duration = Duration::from_secs(60 * 60);

impl DynamoThrottles {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

fn read_attempts(item: &Item) -> Result<FailedAttempts, RepositoryError> {
    let whole = |name: &str| -> Result<i64, RepositoryError> {
        let text = item.get(name).and_then(|value| value.as_n().ok());
        text.and_then(|text| text.parse().ok()).ok_or_else(|| RepositoryError::CorruptItem {
            key: format!("LOGIN_ATTEMPTS ({name})"),
            source: format!("{name} is not a whole number").into(),
        })
    };
    Ok(FailedAttempts {
        count: u32::try_from(whole("failures")?).unwrap_or(u32::MAX),
        last_attempt: Timestamp::from_unix_millis(whole("last_attempt_ms")?),
    })
}

impl LoginAttempts for DynamoThrottles {
    async fn begin(&self, account: &Email, backoff: &LoginBackoff, now: Timestamp) -> Result<Admission, StoreError> {
        let key = keys::login_attempts(&account.canonical());
        let forget_at = now.plus(LoginBackoff::FORGET_AFTER).unix_seconds();
        for _ in 0..RACES {
            // The common case in one write: an attempt within the free ones of a record still
            // remembered (or of no record) is counted at once, atomically.
            let free = self
                .table
                .update_if_else_current(
                    key.clone(),
                    "SET failures = if_not_exists(failures, :zero) + :one, last_attempt_ms = :now, purge_after = :forget",
                    "attribute_not_exists(failures) OR (failures < :free AND purge_after > :now_seconds)",
                    &[],
                    vec![
                        (":zero", number(0)),
                        (":one", number(1)),
                        (":now", number(now.unix_millis())),
                        (":forget", number(forget_at)),
                        (":free", number(backoff.free_attempts)),
                        (":now_seconds", number(now.unix_seconds())),
                    ],
                )
                .await?;
            let Err(current) = free else { return Ok(Admission::Admitted) };
            // Past the free attempts (or forgotten): the backoff decides, and the write is
            // conditional on the record being exactly as read, so one attempt per delay gets through.
            let Some(current) = current else { continue };
            let stored = read_attempts(&current)?;
            let next = match backoff.admit(Some(stored), now) {
                Ok(next) => next,
                Err(wait) => return Ok(Admission::Refused { retry_after: wait.max(MINIMUM_WAIT) }),
            };
            let counted = self
                .table
                .update_if(
                    key.clone(),
                    "SET failures = :next, last_attempt_ms = :now, purge_after = :forget",
                    "failures = :count AND last_attempt_ms = :last",
                    &[],
                    vec![
                        (":next", number(next.count)),
                        (":now", number(now.unix_millis())),
                        (":forget", number(forget_at)),
                        (":count", number(stored.count)),
                        (":last", number(stored.last_attempt.unix_millis())),
                    ],
                )
                .await?;
            if counted {
                return Ok(Admission::Admitted);
            }
        }
        Ok(Admission::Refused { retry_after: MINIMUM_WAIT })
    }

    async fn clear(&self, account: &Email) {
        if let Err(error) = self.table.delete(keys::login_attempts(&account.canonical())).await {
            let error = ErrorChain(&error);
            tracing::warn!(%error, "an address's failed logins could not be forgotten; they lapse a day after the last");
        }
    }
}

impl SourceQuotas for DynamoThrottles {
    async fn take(
        &self,
        action: QuotaAction,
        source: &ClientSource,
        quota: &WindowQuota,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        let window = quota.window_at(now);
        let key = keys::source_quota(action.name(), source.as_str(), window.start_seconds);
        let taken = self
            .table
            .update_if(
                key,
                "ADD #count :one SET purge_after = :purge",
                "attribute_not_exists(#count) OR #count < :max",
                &[("#count", "count")],
                vec![
                    (":one", number(1)),
                    (":purge", number(window.ends_at.plus(QUOTA_RETENTION).unix_seconds())),
                    (":max", number(quota.max)),
                ],
            )
            .await?;
        Ok(if taken {
            Admission::Admitted
        } else {
            Admission::Refused { retry_after: window.ends_at.since(now).max(MINIMUM_WAIT) }
        })
    }

    async fn give_back(&self, action: QuotaAction, source: &ClientSource, quota: &WindowQuota, taken_at: Timestamp) {
        let window = quota.window_at(taken_at);
        let key = keys::source_quota(action.name(), source.as_str(), window.start_seconds);
        let values: Vec<(&str, AttributeValue)> = vec![(":minus", number(-1)), (":zero", number(0))];
        // Nothing to give back when the counter is gone or empty: never below zero.
        let given_back =
            self.table.update_if(key, "ADD #count :minus", "#count > :zero", &[("#count", "count")], values);
        if let Err(error) = given_back.await {
            let error = ErrorChain(&error);
            tracing::warn!(%error, "a source's count could not be given back; it lapses with its window");
        }
    }
}
