//! Account notices: the marker item a change of an account's e-mail address or password writes in
//! its own transaction (`USER#<id> / ACCOUNT_NOTICE#<version>`), holding what the notice says. Its
//! creation in the table's stream is what the send-account-notices consumer reads; the mail ledger
//! then keeps the notice's state on it (see `mail_ledger.rs`), and `purge_after` (the table's TTL
//! attribute) lets DynamoDB forget it.

use aws_sdk_dynamodb::types::TransactWriteItem;
use conduit_domain::account_notice::{AccountNotice, PasswordChange};
use conduit_domain::values::{Email, Timestamp, UserId, Username};
use serde::{Deserialize, Serialize};

use crate::error::RepositoryError;
use crate::items::corrupt;
use crate::keys;
use crate::table::Table;
use crate::writes;

/// The stored shape of a notice's marker, as written and as its stream record shows it.
#[derive(Serialize, Deserialize)]
pub struct AccountNoticeItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    user_id: String,
    version: u64,
    username: String,
    /// The address the account had before the change: where the notice goes.
    recipient: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    new_email: Option<String>,
    /// `changed` or `reset`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    password: Option<String>,
    changed_at: String,
    purge_after: i64,
}

const PASSWORD_CHANGED: &str = "changed";
const PASSWORD_RESET: &str = "reset";

impl AccountNoticeItem {
    fn from_notice(notice: &AccountNotice) -> Self {
        let (partition, sort) = keys::account_notice(&notice.user().to_string(), notice.version());
        Self {
            partition,
            sort,
            user_id: notice.user().to_string(),
            version: notice.version(),
            username: notice.username().as_str().to_owned(),
            recipient: notice.recipient().as_str().to_owned(),
            new_email: notice.new_email().map(|email| email.as_str().to_owned()),
            password: notice.password().map(|change| match change {
                PasswordChange::Changed => PASSWORD_CHANGED.to_owned(),
                PasswordChange::Reset => PASSWORD_RESET.to_owned(),
            }),
            changed_at: notice.changed_at().to_iso8601(),
            purge_after: notice.forgettable_after().unix_seconds(),
        }
    }

    /// The notice the marker holds.
    pub fn into_notice(self) -> Result<AccountNotice, RepositoryError> {
        let key = format!("{} / {}", self.partition, self.sort);
        let password = match self.password.as_deref() {
            None => None,
            Some(PASSWORD_CHANGED) => Some(PasswordChange::Changed),
            Some(PASSWORD_RESET) => Some(PasswordChange::Reset),
            Some(other) => {
                return Err(RepositoryError::CorruptItem {
                    key,
                    source: format!("password is neither {PASSWORD_CHANGED} nor {PASSWORD_RESET}: {other}").into(),
                });
            }
        };
        let new_email = self.new_email.as_deref().map(Email::parse).transpose().map_err(corrupt(&key, "new_email"))?;
        AccountNotice::restore(
            UserId::parse(&self.user_id).map_err(corrupt(&key, "user_id"))?,
            self.version,
            Username::parse(&self.username).map_err(corrupt(&key, "username"))?,
            Email::parse(&self.recipient).map_err(corrupt(&key, "recipient"))?,
            new_email,
            password,
            Timestamp::parse_iso8601(&self.changed_at).map_err(corrupt(&key, "changed_at"))?,
        )
        .ok_or_else(|| RepositoryError::CorruptItem { key, source: "the notice tells of no change".into() })
    }
}

/// The marker's write, for the transaction that makes the change: only if new, since a version
/// is stored once (the account's own write is conditional on the version before it).
pub(crate) fn notice_put(table: &Table, notice: &AccountNotice) -> Result<TransactWriteItem, RepositoryError> {
    // Its creation brings the notice's mail, which continues this request's trace.
    writes::put_traced(table, AccountNoticeItem::from_notice(notice), true)
}
