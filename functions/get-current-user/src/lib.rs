//! `GET /api/user`: the caller's own account, with the token it presented.

use conduit_bootstrap::{Adapters, DynamoUsers, StartupError};
use conduit_domain::usecases::GetCurrentUser;
use conduit_http::dto::users::UserResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, response};

pub struct GetCurrentUserEndpoint {
    get_current_user: GetCurrentUser<DynamoUsers>,
}

impl GetCurrentUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { get_current_user: GetCurrentUser::new(adapters.users()) })
    }
}

impl Endpoint for GetCurrentUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let user = self.get_current_user.execute(caller.session).await?;
        Ok(response::ok(&UserResponse::new(&user, caller.token)))
    }
}
