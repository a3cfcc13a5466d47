//! `POST /api/users/password-reset`: e-mail a one-time link to set a new password.
//!
//! The answer is 202 `{}` whether or not the address has an account, whether a mail went out or
//! the account's mails for the hour were used up, and it takes the same time: every answer waits
//! until [`RESPONSE_FLOOR`] has passed since the request began, which is longer than the work of
//! the slowest case (finding the account, storing the link, handing the mail to SES) normally
//! takes. So neither the body nor the timing tells which addresses have accounts.
//!
//! Takes an `Idempotency-Key`: a retried request sends no second mail, and gets the first answer.
//! The floor is kept around the whole keyed request: a request that stores no link has its answer
//! stored after it, one write that a request storing a link does not make, and that write must
//! not show in the timing either.

use std::time::{Duration, Instant};

use conduit_bootstrap::{
    Adapters, ConfiguredMailer, DynamoPasswordResets, DynamoThrottles, DynamoUsers, Keyed, RandomOneTimeTokens,
    StartupError,
};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{RequestPasswordReset, ResetRequestOutcome};
use conduit_http::dto::users::{Accepted, PasswordResetRequestFields, UserEnvelope};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
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

/// The endpoint: the keyed request, answered no sooner than its floor.
pub struct RequestPasswordResetEndpoint {
    keyed: Keyed<ResetRequestEndpoint>,
    response_floor: Duration,
}

/// The request itself, behind the `Idempotency-Key` protocol.
pub struct ResetRequestEndpoint {
    request_reset: RequestReset,
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
        Ok(Self { keyed: adapters.keyed(ResetRequestEndpoint { request_reset })?, response_floor: RESPONSE_FLOOR })
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
        let outcome = self.keyed.handle(request).await;
        tokio::time::sleep_until((started + self.response_floor).into()).await;
        outcome
    }
}

/// The same answer whatever became of the request.
fn answer(_outcome: &ResetRequestOutcome) -> Response<Body> {
    response::json(StatusCode::ACCEPTED, &Accepted {})
}

impl KeyedEndpoint for ResetRequestEndpoint {
    // Anyone may ask: a key is the connecting source's.
    const SCOPE: KeyScope = KeyScope::Source;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<PasswordResetRequestFields>>(&request)?.into_inner()?;
        let source = request::client_source(&request);
        let outcome = self.request_reset.execute_keyed(fields.email, &source, &receipt.answer(answer)).await?;
        match outcome {
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
        Ok(answer(&outcome))
    }
}
