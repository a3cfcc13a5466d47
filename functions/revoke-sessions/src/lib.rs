//! `DELETE /api/user/sessions`: sign out everywhere. Every token issued to the account so far stops
//! working, the one that made this request included.
//!
//! Takes an `Idempotency-Key`: a retry comes with the token the first request revoked, and is
//! refused for it (401) like any other request with that token; it never moves the generation
//! again.

use conduit_bootstrap::{Adapters, DynamoUsers, Keyed, StartupError};
use conduit_domain::usecases::RevokeSessions;
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, Request, Response, auth, response};

pub struct RevokeSessionsEndpoint {
    revoke_sessions: RevokeSessions<DynamoUsers>,
}

impl RevokeSessionsEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self { revoke_sessions: RevokeSessions::new(adapters.users()) })
    }
}

fn answer(_revoked: &()) -> Response<Body> {
    response::no_content()
}

impl KeyedEndpoint for RevokeSessionsEndpoint {
    const SCOPE: KeyScope = KeyScope::Caller;
    const REVOKES_OWN_TOKEN: bool = true;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        self.revoke_sessions.execute_keyed(caller.session, &receipt.answer(answer)).await?;
        Ok(answer(&()))
    }
}
