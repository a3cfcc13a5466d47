//! `POST /api/users`: sign up.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoThrottles, DynamoUsers, JwtService, StartupError};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::RegisterUser;
use conduit_http::dto::users::{RegistrationFields, UserEnvelope, UserResponse};
use conduit_http::{ApiError, Body, BusinessEvent, Endpoint, Request, Response, request, response};

pub struct RegisterUserEndpoint {
    register: RegisterUser<DynamoUsers, Argon2Hasher, JwtService, DynamoThrottles, SystemClock>,
}

impl RegisterUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            register: RegisterUser::new(
                adapters.users(),
                adapters.password_hasher(),
                adapters.jwt()?,
                adapters.account_guard(),
            ),
        })
    }
}

impl Endpoint for RegisterUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;

    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::UserRegistered);

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<RegistrationFields>>(&request)?.into_inner()?;
        let registered = self.register.execute(fields.into(), &request::client_source(&request)).await?;
        Ok(response::created(&UserResponse::new(&registered.user, registered.token)))
    }
}
