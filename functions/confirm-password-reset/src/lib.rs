//! `POST /api/users/password-reset/confirm`: set a new password with the token of a reset link.
//! Answers like a login, with a fresh token; every token issued before is revoked.

use conduit_bootstrap::{
    Adapters, Argon2Hasher, DynamoPasswordResets, DynamoThrottles, DynamoUsers, JwtService, RandomOneTimeTokens,
    StartupError,
};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::ConfirmPasswordReset;
use conduit_http::dto::users::{PasswordResetConfirmFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, request, response};

type Confirm = ConfirmPasswordReset<
    DynamoUsers,
    DynamoPasswordResets,
    RandomOneTimeTokens,
    SystemClock,
    Argon2Hasher,
    JwtService,
    DynamoThrottles,
>;

pub struct ConfirmPasswordResetEndpoint {
    confirm: Confirm,
}

impl ConfirmPasswordResetEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let confirm = ConfirmPasswordReset::new(
            adapters.users(),
            adapters.password_resets(),
            adapters.one_time_tokens(),
            adapters.clock(),
            adapters.password_hasher(),
            adapters.jwt()?,
            adapters.account_guard(),
        );
        Ok(Self { confirm })
    }
}

impl Endpoint for ConfirmPasswordResetEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<PasswordResetConfirmFields>>(&request)?.into_inner()?;
        let confirmed = self.confirm.execute(fields.into()).await?;
        Ok(response::ok(&UserResponse::new(&confirmed.user, confirmed.token)))
    }
}
