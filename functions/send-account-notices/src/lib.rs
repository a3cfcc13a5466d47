//! Consumer of the table's change stream: the security notice of a change to an account's e-mail
//! address or password, mailed to the address the account had before, after (and outside) the
//! request that made the change. Exactly one mail per change, however often its record is
//! delivered.

use conduit_bootstrap::{AccountNoticeItem, Adapters, ConfiguredMailer, DynamoAccountNotices, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{MailOutcome, SendAccountNotice};
use conduit_streams::{Invocation, RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The sort keys of notice markers (`conduit_repository::keys::ACCOUNT_NOTICE_PREFIX`).
const NOTICE_PREFIX: &str = "ACCOUNT_NOTICE#";

/// The event source's filter (Lambda event filtering): only the creation of a notice marker, so
/// the frequent updates of the account item (its counters) never invoke the function.
/// `template.yaml` declares the same pattern (a test holds them equal); the local gateway applies it.
pub const FILTER_PATTERNS: &[&str] =
    &[r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"ACCOUNT_NOTICE#"}]}}}}"#];

pub struct AccountNoticeConsumer {
    send: SendAccountNotice<DynamoAccountNotices, SystemClock, ConfiguredMailer>,
}

impl AccountNoticeConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let send = SendAccountNotice::new(
            adapters.account_notices(),
            adapters.clock(),
            adapters.mailer()?,
            &adapters.app_base_url()?,
        );
        Ok(Self { send })
    }
}

/// The record's key, which says whether the item is a notice marker.
#[derive(Deserialize)]
struct RecordKey {
    #[serde(rename = "SK")]
    sort: String,
}

fn is_notice(record: &StreamRecord) -> bool {
    serde_dynamo::from_item::<_, RecordKey>(record.change.keys.clone())
        .is_ok_and(|key| key.sort.starts_with(NOTICE_PREFIX))
}

impl StreamConsumer for AccountNoticeConsumer {
    const NAME: &'static str = "send-account-notices";

    async fn handle(&self, record: &StreamRecord, _invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        // The filter already keeps everything else away; a record that slips through is not ours.
        if record.event_name != "INSERT" || !is_notice(record) {
            return Ok(RecordOutcome::Skipped);
        }
        let marker: AccountNoticeItem = serde_dynamo::from_item(record.change.new_image.clone())
            .map_err(|error| RecordError::Unreadable(format!("not a notice marker: {error}")))?;
        let notice = marker.into_notice().map_err(|error| RecordError::Unreadable(error.to_string()))?;
        match self.send.execute(&notice).await {
            Ok(MailOutcome::Sent) => Ok(RecordOutcome::Handled),
            Ok(MailOutcome::AlreadyHandled) => Ok(RecordOutcome::Skipped),
            Err(DomainError::Infrastructure(cause)) => Err(RecordError::Infrastructure(cause)),
            Err(other) => Err(RecordError::Unreadable(other.to_string())),
        }
    }
}
