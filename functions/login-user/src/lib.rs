//! `POST /api/users/login`: exchange e-mail and password for a token. Failed and throttled logins
//! are counted (`LoginFailures`, `LoginThrottled`): the alarm on credential guessing reads them.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoThrottles, DynamoUsers, JwtService, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::Login;
use conduit_http::dto::users::{LoginFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, request, response};
use conduit_telemetry::metrics::emit_count;

pub struct LoginUserEndpoint {
    login: Login<DynamoUsers, Argon2Hasher, JwtService, DynamoThrottles, SystemClock>,
}

impl LoginUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            login: Login::new(adapters.users(), adapters.password_hasher(), adapters.jwt()?, adapters.account_guard()),
        })
    }
}

impl Endpoint for LoginUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<LoginFields>>(&request)?.into_inner()?;
        let logged_in = self.login.execute(fields.into(), &request::client_source(&request)).await;
        match &logged_in {
            Err(DomainError::InvalidCredentials) => emit_count("LoginFailures"),
            Err(DomainError::Throttled(_)) => emit_count("LoginThrottled"),
            _ => {}
        }
        let logged_in = logged_in?;
        Ok(response::ok(&UserResponse::new(&logged_in.user, logged_in.token)))
    }
}
