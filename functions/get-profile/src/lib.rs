//! `GET /api/profiles/{username}`: a profile; `following` is personal when a token is sent.

use conduit_bootstrap::{Adapters, DynamoRelations, DynamoUsers, JwtService, StartupError};
use conduit_domain::usecases::{Authenticate, GetProfile};
use conduit_http::dto::profiles::ProfileResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct GetProfileEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    get_profile: GetProfile<DynamoRelations>,
}

impl GetProfileEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { authenticate: adapters.authenticate()?, get_profile: GetProfile::new(adapters.relations()) })
    }
}

impl Endpoint for GetProfileEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let username = request::path_parameter(&request, "username")?;
        let profile = auth::read_as_optional_caller(&request, &self.authenticate, |viewer| async move {
            Ok(self.get_profile.execute(viewer, &username).await?)
        })
        .await?;
        Ok(response::ok(&ProfileResponse::from(&profile)))
    }
}
