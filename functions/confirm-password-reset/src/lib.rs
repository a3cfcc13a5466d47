//! `POST /api/users/password-reset/confirm`: set a new password with the token of a reset link.
//! Answers like a login, with a fresh token; every token issued before is revoked. Takes an
//! `Idempotency-Key`: a retry gets the first answer rather than finding the link used.

use conduit_bootstrap::{
    Adapters, Argon2Hasher, DynamoPasswordResets, DynamoThrottles, DynamoUsers, JwtService, Keyed, RandomOneTimeTokens,
    StartupError,
};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{AuthenticatedUser, ConfirmPasswordReset};
use conduit_http::dto::users::{PasswordResetConfirmFields, UserEnvelope, UserResponse};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, Request, Response, request, response};

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
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        let confirm = ConfirmPasswordReset::new(
            adapters.users(),
            adapters.password_resets(),
            adapters.one_time_tokens(),
            adapters.clock(),
            adapters.password_hasher(),
            adapters.jwt()?,
            adapters.account_guard(),
        );
        adapters.keyed(Self { confirm })
    }
}

fn answer(confirmed: &AuthenticatedUser) -> Response<Body> {
    response::ok(&UserResponse::new(&confirmed.user, confirmed.token.clone()))
}

impl KeyedEndpoint for ConfirmPasswordResetEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;
    // Anyone holding a link may use it: a key is the connecting source's.
    const SCOPE: KeyScope = KeyScope::Source;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<PasswordResetConfirmFields>>(&request)?.into_inner()?;
        let confirmed = self.confirm.execute_keyed(fields.into(), &receipt.answer(answer)).await?;
        Ok(answer(&confirmed))
    }
}
