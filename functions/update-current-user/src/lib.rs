//! `PUT /api/user`: change any of e-mail, username, password, bio, image.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoUsers, StartupError};
use conduit_domain::usecases::UpdateUser;
use conduit_http::dto::users::{UpdateFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct UpdateCurrentUserEndpoint {
    update_user: UpdateUser<DynamoUsers, Argon2Hasher>,
}

impl UpdateCurrentUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { update_user: UpdateUser::new(adapters.users(), adapters.password_hasher()) })
    }
}

impl Endpoint for UpdateCurrentUserEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let fields = request::json_body::<UserEnvelope<UpdateFields>>(&request)?.into_inner()?;
        let user = self.update_user.execute(caller.user_id, fields.into()).await?;
        Ok(response::ok(&UserResponse::new(&user, caller.token)))
    }
}
