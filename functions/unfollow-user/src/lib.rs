//! `DELETE /api/profiles/{username}/follow`: stop following a user (idempotent).

use conduit_bootstrap::{Adapters, DynamoFollows, DynamoUsers, StartupError};
use conduit_domain::usecases::ChangeFollow;
use conduit_http::dto::profiles::ProfileResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct UnfollowUserEndpoint {
    change_follow: ChangeFollow<DynamoUsers, DynamoFollows>,
}

impl UnfollowUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            change_follow: ChangeFollow::new(
                adapters.users(),
                adapters.follows(),
                adapters.abuse_limits().account_writes,
            ),
        })
    }
}

impl Endpoint for UnfollowUserEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let username = request::path_parameter(&request, "username")?;
        let profile = self.change_follow.execute(caller.user_id, &username, false).await?;
        Ok(response::ok(&ProfileResponse::from(&profile)))
    }
}
