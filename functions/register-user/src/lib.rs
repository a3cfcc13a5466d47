//! `POST /api/users`: sign up. Takes an `Idempotency-Key`: a retried sign-up creates one account,
//! and the retry gets the first answer instead of finding its own e-mail taken.

use conduit_bootstrap::{Adapters, Argon2Hasher, DynamoThrottles, DynamoUsers, JwtService, Keyed, StartupError};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::{AuthenticatedUser, RegisterUser};
use conduit_http::dto::users::{RegistrationFields, UserEnvelope, UserResponse};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, BusinessEvent, Request, Response, request, response};

pub struct RegisterUserEndpoint {
    register: RegisterUser<DynamoUsers, Argon2Hasher, JwtService, DynamoThrottles, SystemClock>,
}

impl RegisterUserEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self {
            register: RegisterUser::new(
                adapters.users(),
                adapters.password_hasher(),
                adapters.jwt()?,
                adapters.account_guard(),
            ),
        })
    }
}

fn answer(registered: &AuthenticatedUser) -> Response<Body> {
    response::created(&UserResponse::new(&registered.user, registered.token.clone()))
}

impl KeyedEndpoint for RegisterUserEndpoint {
    // Its answer is the User envelope: a token and the account.
    const PRIVATE: bool = true;
    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::UserRegistered);
    // Anyone may sign up: a key is the connecting source's.
    const SCOPE: KeyScope = KeyScope::Source;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let fields = request::json_body::<UserEnvelope<RegistrationFields>>(&request)?.into_inner()?;
        let source = request::client_source(&request);
        let registered = self.register.execute_keyed(fields.into(), &source, &receipt.answer(answer)).await?;
        Ok(answer(&registered))
    }
}
