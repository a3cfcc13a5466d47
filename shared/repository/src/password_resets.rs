//! Password-reset state: one item per account with the digest of its current link and its mail
//! window, and one small item per issued link that says whose it is. Both carry the table's TTL
//! attribute (`purge_after`, Unix seconds), so DynamoDB forgets them once they no longer matter.

use conduit_domain::User;
use conduit_domain::account_notice::AccountNotice;
use conduit_domain::idempotency::Completion;
use conduit_domain::password_reset::{MailWindow, PasswordReset, PendingReset};
use conduit_domain::ports::{PasswordResets, StoreError};
use conduit_domain::values::{Timestamp, TokenDigest, UserId};
use serde::{Deserialize, Serialize};

use crate::account_notices::notice_put;
use crate::error::RepositoryError;
use crate::items::corrupt;
use crate::keys;
use crate::table::{Table, TransactError};
use crate::users::user_update;
use crate::writes::{self, number};

#[derive(Clone, Debug)]
pub struct DynamoPasswordResets {
    table: Table,
}

/// The stored shape of an account's reset state.
#[derive(Serialize, Deserialize)]
struct ResetStateItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pending_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pending_expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pending_sent_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    window_opened_at: Option<String>,
    #[serde(default)]
    window_mails_sent: u32,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    purge_after: Option<i64>,
}

/// The stored shape of a link's owner record.
#[derive(Serialize, Deserialize)]
struct ResetLinkItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    user_id: String,
    purge_after: i64,
}

impl ResetStateItem {
    fn from_state(state: &PasswordReset) -> Self {
        let (partition, sort) = keys::password_reset(&state.user.to_string());
        Self {
            partition,
            sort,
            user_id: state.user.to_string(),
            pending_digest: state.pending.as_ref().map(|pending| pending.digest.as_str().to_owned()),
            pending_expires_at: state.pending.as_ref().map(|pending| pending.expires_at.to_iso8601()),
            pending_sent_to: state.pending.as_ref().map(|pending| pending.sent_to.clone()),
            window_opened_at: state.window.map(|window| window.opened_at.to_iso8601()),
            window_mails_sent: state.window.map_or(0, |window| window.mails_sent),
            version: state.version,
            purge_after: state.forgettable_after().map(|at| at.unix_seconds()),
        }
    }

    fn into_state(self) -> Result<PasswordReset, RepositoryError> {
        let key = self.partition.clone();
        let user = UserId::parse(&self.user_id).map_err(corrupt(&key, "user_id"))?;
        let pending = match (&self.pending_digest, &self.pending_expires_at) {
            (Some(digest), Some(expires_at)) => Some(PendingReset {
                digest: TokenDigest::from_hex(digest.clone()),
                expires_at: Timestamp::parse_iso8601(expires_at).map_err(corrupt(&key, "pending_expires_at"))?,
                // A link stored before links named their address matches no address: it is
                // refused, and a new request mails one that works.
                sent_to: self.pending_sent_to.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        let window = match &self.window_opened_at {
            Some(opened_at) => Some(MailWindow {
                opened_at: Timestamp::parse_iso8601(opened_at).map_err(corrupt(&key, "window_opened_at"))?,
                mails_sent: self.window_mails_sent,
            }),
            None => None,
        };
        Ok(PasswordReset { user, pending, window, version: self.version })
    }
}

impl DynamoPasswordResets {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Puts the state if the stored one is still the version it was derived from.
    fn state_put(&self, state: &PasswordReset) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, RepositoryError> {
        let item = serde_dynamo::to_item(ResetStateItem::from_state(state))?;
        let expected = state.version.saturating_sub(1);
        let condition = if expected == 0 { "attribute_not_exists(PK)" } else { "version = :expected" };
        let values = if expected == 0 { vec![] } else { vec![(":expected", number(expected))] };
        writes::put_if(&self.table, item, condition, values)
    }

    /// Runs the transaction, with a keyed request's completion as its last item.
    async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        match self.table.transact_completing(items, completion).await? {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(_)) => Err(StoreError::Conflict),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }
}

impl PasswordResets for DynamoPasswordResets {
    async fn find(&self, user: UserId) -> Result<Option<PasswordReset>, StoreError> {
        let item = self.table.get(keys::password_reset(&user.to_string()), true).await?;
        Ok(item.map(|item| crate::decode::<ResetStateItem>(item)?.into_state()).transpose()?)
    }

    async fn save_request(&self, next: &PasswordReset, completion: Option<&Completion>) -> Result<(), StoreError> {
        let mut items = vec![self.state_put(next)?];
        if let Some(pending) = &next.pending {
            let (partition, sort) = keys::reset_link(pending.digest.as_str());
            let link = ResetLinkItem {
                partition,
                sort,
                user_id: next.user.to_string(),
                purge_after: pending.expires_at.unix_seconds(),
            };
            items.push(writes::put(&self.table, link, true)?);
        }
        self.transact(items, completion).await
    }

    async fn holder_of(&self, digest: &TokenDigest) -> Result<Option<UserId>, StoreError> {
        let Some(item) = self.table.get(keys::reset_link(digest.as_str()), true).await? else {
            return Ok(None);
        };
        let link: ResetLinkItem = crate::decode(item)?;
        let user = UserId::parse(&link.user_id).map_err(corrupt(&link.partition, "user_id"))?;
        Ok(Some(user))
    }

    async fn complete(
        &self,
        completed: &PasswordReset,
        previous: &User,
        updated: &User,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        // The used link's owner record is left to expire: the state no longer names the link, so
        // it cannot be used again, and deleting it would cost a read to learn its key. The notice
        // of the reset is written with it.
        let notice = AccountNotice::for_reset(previous, updated);
        self.transact(
            vec![
                self.state_put(completed)?,
                user_update(&self.table, previous, updated)?,
                notice_put(&self.table, &notice)?,
            ],
            completion,
        )
        .await
    }
}
