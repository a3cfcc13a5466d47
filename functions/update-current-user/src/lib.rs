//! `PUT /api/user`: change any of e-mail, username, password, bio, image. A new password revokes
//! every token issued before it; the answer then carries a fresh one.
//!
//! Takes an `Idempotency-Key`. A retry of a change that revoked the token it was made with (a new
//! password or e-mail) is refused for that token, never answered with the stored answer and its
//! fresh token: the change took effect once, and its client signs in with what it sent. A retry
//! of any other change gets the first answer.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoThrottles, DynamoUsers, JwtService, Keyed, StartupError};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{UpdateUser, UpdatedUser};
use conduit_http::dto::users::{UpdateFields, UserEnvelope, UserResponse};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, Request, Response, auth, request, response};

pub struct UpdateCurrentUserEndpoint {
    update_user: UpdateUser<DynamoUsers, Argon2Hasher, JwtService, DynamoThrottles, SystemClock>,
}

impl UpdateCurrentUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self {
            update_user: UpdateUser::new(
                adapters.users(),
                adapters.password_hasher(),
                adapters.jwt()?,
                adapters.account_guard(),
            ),
        })
    }
}

/// The account with the fresh token when the update revoked the caller's, else the caller's own.
fn answer(updated: &UpdatedUser, caller_token: &str) -> Response<Body> {
    let token = updated.fresh_token.clone().unwrap_or_else(|| caller_token.to_owned());
    response::ok(&UserResponse::new(&updated.user, token))
}

impl KeyedEndpoint for UpdateCurrentUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;
    const SCOPE: KeyScope = KeyScope::Caller;
    const REVOKES_OWN_TOKEN: bool = true;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let fields = request::json_body::<UserEnvelope<UpdateFields>>(&request)?.into_inner()?;
        let answer = |updated: &UpdatedUser| answer(updated, &caller.token);
        let updated = self.update_user.execute_keyed(caller.session, fields.into(), &receipt.answer(answer)).await?;
        Ok(answer(&updated))
    }
}
