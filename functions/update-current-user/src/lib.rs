//! `PUT /api/user`: change any of e-mail, username, password, bio, image. A new password revokes
//! every token issued before it; the answer then carries a fresh one.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoThrottles, DynamoUsers, JwtService, StartupError};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::UpdateUser;
use conduit_http::dto::users::{UpdateFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct UpdateCurrentUserEndpoint {
    update_user: UpdateUser<DynamoUsers, Argon2Hasher, JwtService, DynamoThrottles, SystemClock>,
}

impl UpdateCurrentUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            update_user: UpdateUser::new(
                adapters.users(),
                adapters.password_hasher(),
                adapters.jwt()?,
                adapters.account_guard(),
            ),
        })
    }
}

impl Endpoint for UpdateCurrentUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let fields = request::json_body::<UserEnvelope<UpdateFields>>(&request)?.into_inner()?;
        let updated = self.update_user.execute(caller.session, fields.into()).await?;
        Ok(response::ok(&UserResponse::new(&updated.user, updated.fresh_token.unwrap_or(caller.token))))
    }
}
