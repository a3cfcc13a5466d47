//! Whether a mail that follows a change record went out, kept on one item per mail: `mail_state`
//! `sending` (and in `at` until when that claim holds) or `sent` (and in `at` when). Conditional
//! updates make the claim exclusive, so concurrent deliveries of one record send one mail.
//!
//! The item is the ledger's own for a welcome mail (`USER#<id> / WELCOME_MAIL`, made by the first
//! claim) and the notice's marker for an account notice (`USER#<id> / ACCOUNT_NOTICE#<version>`,
//! written with the change). Updates touch only the ledger's two attributes, so a marker keeps
//! what it says and its expiry.

use std::marker::PhantomData;

use conduit_domain::account_notice::AccountNotice;
use conduit_domain::ports::{MailLedger, StoreError};
use conduit_domain::values::{Timestamp, UserId};

use crate::keys::{self, Key};
use crate::table::Table;
use crate::writes::{number, text};

/// A ledger of one kind of mail `M`, each mail's state on the item [`MailKey::ledger_item`] names.
#[derive(Debug)]
pub struct DynamoMailLedger<M> {
    table: Table,
    mails: PhantomData<fn() -> M>,
}

impl<M> Clone for DynamoMailLedger<M> {
    fn clone(&self) -> Self {
        Self { table: self.table.clone(), mails: PhantomData }
    }
}

/// Whose welcome mail went out.
pub type DynamoWelcomeMails = DynamoMailLedger<UserId>;
/// Which account notices went out.
pub type DynamoAccountNotices = DynamoMailLedger<AccountNotice>;

impl<M> DynamoMailLedger<M> {
    pub fn new(table: Table) -> Self {
        Self { table, mails: PhantomData }
    }
}

/// The item a mail's state is kept on.
pub trait MailKey {
    fn ledger_item(&self) -> Key;
}

impl MailKey for UserId {
    fn ledger_item(&self) -> Key {
        keys::welcome_mail(&self.to_string())
    }
}

impl MailKey for AccountNotice {
    fn ledger_item(&self) -> Key {
        keys::account_notice(&self.user().to_string(), self.version())
    }
}

const SENDING: &str = "sending";
const SENT: &str = "sent";
/// `at` is a reserved word of DynamoDB's expressions.
const AT: [(&str, &str); 1] = [("#at", "at")];

impl<M: MailKey + Send + Sync> MailLedger for DynamoMailLedger<M> {
    type Mail = M;

    async fn claim(&self, mail: &M, now: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        let values = vec![
            (":sending", text(SENDING)),
            (":until", number(until.unix_seconds())),
            (":now", number(now.unix_seconds())),
        ];
        let claimed = self
            .table
            .update_if(
                mail.ledger_item(),
                "SET mail_state = :sending, #at = :until",
                "attribute_not_exists(mail_state) OR (mail_state = :sending AND #at < :now)",
                &AT,
                values,
            )
            .await?;
        Ok(claimed)
    }

    async fn record_sent(&self, mail: &M, at: Timestamp) -> Result<(), StoreError> {
        let values = vec![(":sent", text(SENT)), (":at", number(at.unix_seconds()))];
        // The claim made the item; should it be gone since (a marker past its expiry), there is
        // nothing to record on, and no item is made again.
        self.table
            .update_if(mail.ledger_item(), "SET mail_state = :sent, #at = :at", "attribute_exists(PK)", &AT, values)
            .await?;
        Ok(())
    }

    async fn release(&self, mail: &M) -> Result<(), StoreError> {
        // Only a claim is given back, never the record of a sent mail.
        let values = vec![(":sending", text(SENDING))];
        self.table
            .update_if(mail.ledger_item(), "REMOVE mail_state, #at", "mail_state = :sending", &AT, values)
            .await?;
        Ok(())
    }
}
