//! `POST /api/users/password-reset`: e-mail a one-time link to set a new password.
//!
//! The answer is 202 `{}` whether or not the address has an account, whether a mail went out or
//! the account's mails for the hour were used up, and it takes the same time: every answer waits
//! until [`RESPONSE_FLOOR`] has passed since the request began, which is longer than the work of
//! the slowest case (finding the account, storing the link, handing the mail to SES) normally
//! takes. So neither the body nor the timing tells which addresses have accounts.

use std::time::{Duration, Instant};

use conduit_bootstrap::{
    Adapters, ConfiguredMailer, DynamoPasswordResets, DynamoThrottles, DynamoUsers, RandomOneTimeTokens, StartupError,
};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{RequestPasswordReset, ResetRequestOutcome};
use conduit_http::dto::users::{Accepted, PasswordResetRequestFields, UserEnvelope};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, request, response};
use lambda_http::http::StatusCode;

/// The least time any answer takes; see the module documentation.
pub const RESPONSE_FLOOR: Duration = Duration::from_millis(500);

type RequestReset = RequestPasswordReset<
    DynamoUsers,
    DynamoPasswordResets,
    RandomOneTimeTokens,
    SystemClock,
    ConfiguredMailer,
    DynamoThrottles,
>;

pub struct RequestPasswordResetEndpoint {
    request_reset: RequestReset,
    response_floor: Duration,
}

impl RequestPasswordResetEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let request_reset = RequestPasswordReset::new(
            adapters.users(),
            adapters.password_resets(),
            adapters.one_time_tokens(),
            adapters.clock(),
            adapters.mailer()?,
            adapters.app_base_url()?,
            adapters.account_guard(),
        );
        Ok(Self { request_reset, response_floor: RESPONSE_FLOOR })
    }

    /// The same endpoint with another floor (tests that are not about timing use a short one).
    pub fn with_response_floor(mut self, floor: Duration) -> Self {
        self.response_floor = floor;
        self
    }
}

impl Endpoint for RequestPasswordResetEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let started = Instant::now();
        let fields = request::json_body::<UserEnvelope<PasswordResetRequestFields>>(&request)?.into_inner()?;
        let outcome = self.request_reset.execute(fields.email, &request::client_source(&request)).await;
        tokio::time::sleep_until((started + self.response_floor).into()).await;
        match outcome? {
            ResetRequestOutcome::MailSent => {
                tracing::info!("password reset mail sent");
                conduit_telemetry::metrics::emit_count("PasswordResetMailsSent");
            }
            ResetRequestOutcome::NoAccount => tracing::info!("password reset for an address without an account"),
            ResetRequestOutcome::RateLimited => {
                tracing::warn!("password reset refused: the account's mails for the hour are used up");
                conduit_telemetry::metrics::emit_count("PasswordResetMailsRefused");
            }
        }
        Ok(response::json(StatusCode::ACCEPTED, &Accepted {}))
    }
}
