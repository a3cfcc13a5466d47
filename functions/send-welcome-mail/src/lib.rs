//! Consumer of the table's change stream: a welcome mail for every new account, after (and
//! outside) the registration that created it, so a slow mail service never slows or fails a
//! sign-up. Exactly one mail per account, however often its record is delivered.

use conduit_bootstrap::{Adapters, ConfiguredMailer, DynamoWelcomeMails, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{MailOutcome, NewAccount, SendWelcomeMail};
use conduit_domain::values::{Email, UserId, Username};
use conduit_streams::{Invocation, RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The event source's filter (Lambda event filtering): only the creation of an account item.
/// `template.yaml` declares the same pattern (a test holds them equal); the local gateway applies it.
pub const FILTER_PATTERNS: &[&str] = &[r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":["USER"]}}}}"#];

/// What the consumer reads of the new account item.
#[derive(Deserialize)]
struct AccountImage {
    #[serde(rename = "SK")]
    sort: String,
    id: String,
    username: String,
    email: String,
}

impl AccountImage {
    fn into_account(self) -> Result<NewAccount, RecordError> {
        let unreadable = |field: &str| RecordError::Unreadable(format!("the account's {field} is not valid"));
        Ok(NewAccount {
            id: UserId::parse(&self.id).map_err(|_| unreadable("id"))?,
            username: Username::parse(&self.username).map_err(|_| unreadable("username"))?,
            email: Email::parse(&self.email).map_err(|_| unreadable("email"))?,
        })
    }
}

pub struct WelcomeMailConsumer {
    send: SendWelcomeMail<DynamoWelcomeMails, SystemClock, ConfiguredMailer>,
}

impl WelcomeMailConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let send = SendWelcomeMail::new(
            adapters.welcome_mails(),
            adapters.clock(),
            adapters.mailer()?,
            adapters.app_base_url()?,
        );
        Ok(Self { send })
    }
}

impl StreamConsumer for WelcomeMailConsumer {
    const NAME: &'static str = "send-welcome-mail";

    async fn handle(&self, record: &StreamRecord, _invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        // The filter already keeps everything else away; a record that slips through is not ours.
        if record.event_name != "INSERT" {
            return Ok(RecordOutcome::Skipped);
        }
        let image: AccountImage = serde_dynamo::from_item(record.change.new_image.clone())
            .map_err(|error| RecordError::Unreadable(format!("not an account item: {error}")))?;
        if image.sort != "USER" {
            return Ok(RecordOutcome::Skipped);
        }
        match self.send.execute(&image.into_account()?).await {
            Ok(MailOutcome::Sent) => Ok(RecordOutcome::Handled),
            Ok(MailOutcome::AlreadyHandled) => Ok(RecordOutcome::Skipped),
            Err(DomainError::Infrastructure(cause)) => Err(RecordError::Infrastructure(cause)),
            Err(other) => Err(RecordError::Unreadable(other.to_string())),
        }
    }
}
