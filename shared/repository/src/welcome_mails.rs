//! Whose welcome mail went out: one item per account (`USER#<id> / WELCOME_MAIL`) with the state
//! `sending` (and until when that claim holds) or `sent`. Conditional writes make the claim
//! exclusive, so concurrent deliveries of one change record send one mail.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_domain::ports::{StoreError, WelcomeMailLedger};
use conduit_domain::values::{Timestamp, UserId};

use crate::keys;
use crate::table::{Item, Table};
use crate::writes::{number, text};

#[derive(Clone, Debug)]
pub struct DynamoWelcomeMails {
    table: Table,
}

const SENDING: &str = "sending";
const SENT: &str = "sent";

impl DynamoWelcomeMails {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    fn item(user: UserId, state: &str, at_seconds: i64) -> Item {
        let (partition, sort) = keys::welcome_mail(&user.to_string());
        let mut item = Table::key((partition, sort));
        item.insert("mail_state".to_owned(), text(state));
        // For `sending`, until when the claim holds; for `sent`, when the mail went out.
        item.insert("at".to_owned(), number(at_seconds));
        item
    }
}

impl WelcomeMailLedger for DynamoWelcomeMails {
    async fn claim(&self, user: UserId, now: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        let item = Self::item(user, SENDING, until.unix_seconds());
        let condition = "attribute_not_exists(PK) OR (mail_state = :sending AND #at < :now)";
        let values = vec![(":sending", text(SENDING)), (":now", number(now.unix_seconds()))];
        Ok(self.table.put_if(item, condition, &[("#at", "at")], values).await?)
    }

    async fn record_sent(&self, user: UserId, at: Timestamp) -> Result<(), StoreError> {
        Ok(self.table.put(Self::item(user, SENT, at.unix_seconds()), false).await?)
    }

    async fn release(&self, user: UserId) -> Result<(), StoreError> {
        let key = keys::welcome_mail(&user.to_string());
        // Only a claim is given back, never the record of a sent mail.
        let values: Vec<(&str, AttributeValue)> = vec![(":sending", text(SENDING))];
        self.table.delete_if(key, "mail_state = :sending", &[], values).await?;
        Ok(())
    }
}
