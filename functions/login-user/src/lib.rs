//! `POST /api/users/login`: exchange e-mail and password for a token.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoUsers, JwtService, StartupError};
use conduit_domain::usecases::Login;
use conduit_http::dto::users::{LoginFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, request, response};

pub struct LoginUserEndpoint {
    login: Login<DynamoUsers, Argon2Hasher, JwtService>,
}

impl LoginUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { login: Login::new(adapters.users(), adapters.password_hasher(), adapters.jwt()?) })
    }
}

impl Endpoint for LoginUserEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<LoginFields>>(&request)?.into_inner()?;
        let logged_in = self.login.execute(fields.into()).await?;
        Ok(response::ok(&UserResponse::new(&logged_in.user, logged_in.token)))
    }
}
