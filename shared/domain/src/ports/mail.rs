use std::future::Future;

use crate::error::InfrastructureError;
use crate::values::Email;

/// An e-mail ready to hand to a mail service: both parts already rendered, user-supplied text in
/// the HTML part already escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends e-mail: a mail service when deployed, a captured outbox when run locally.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &MailMessage) -> impl Future<Output = Result<(), InfrastructureError>> + Send;
}
