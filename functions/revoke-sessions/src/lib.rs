//! `DELETE /api/user/sessions`: sign out everywhere. Every token issued to the account so far stops
//! working, the one that made this request included.

use conduit_bootstrap::{Adapters, DynamoUsers, StartupError};
use conduit_domain::usecases::RevokeSessions;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, response};

pub struct RevokeSessionsEndpoint {
    revoke_sessions: RevokeSessions<DynamoUsers>,
}

impl RevokeSessionsEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { revoke_sessions: RevokeSessions::new(adapters.users()) })
    }
}

impl Endpoint for RevokeSessionsEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        self.revoke_sessions.execute(caller.session).await?;
        Ok(response::no_content())
    }
}
