use std::future::Future;

use crate::ports::{SessionReader, StoreError, TokenRejection, TokenVerifier};
use crate::values::Session;

/// Decides whether a bearer token may act for its account: the signature and expiry (the
/// verifier), then whether the account still accepts the token's session generation, at the cost
/// of one small read.
pub struct Authenticate<V, S> {
    tokens: V,
    sessions: S,
}

impl<V: TokenVerifier, S: SessionReader> Authenticate<V, S> {
    pub fn new(tokens: V, sessions: S) -> Self {
        Self { tokens, sessions }
    }

    #[tracing::instrument(name = "Authenticate", skip_all)]
    pub async fn execute(&self, token: &str) -> Result<Session, TokenRejection> {
        let session = self.tokens.verify(token).await?;
        self.ensure_current(session).await
    }

    /// Checks the token like [`Self::execute`] while `read` runs on behalf of the session it
    /// asserts: the signature and expiry first (no storage involved), then the session check and
    /// the read at the same time, so the read does not wait for the check. The read's outcome is
    /// handed back only if the session is current; for a revoked or unknown one it is dropped and
    /// the rejection returned, so nothing read on the strength of a stale token reaches anyone.
    /// Only for reads: a write would take effect whatever the check then said.
    pub async fn while_reading<T, F: Future<Output = T>>(
        &self,
        token: &str,
        read: impl FnOnce(Session) -> F,
    ) -> Result<(Session, T), TokenRejection> {
        let session = self.tokens.verify(token).await?;
        let (current, outcome) = futures_util::future::join(self.ensure_current(session), read(session)).await;
        Ok((current?, outcome))
    }

    /// The second half alone, for a caller that verified the token itself (the authorizer, which
    /// also needs the token's expiry).
    pub async fn ensure_current(&self, session: Session) -> Result<Session, TokenRejection> {
        let current = self.sessions.current_generation(session.user).await.map_err(|error| match error {
            StoreError::Infrastructure(cause) => TokenRejection::Unavailable(cause),
            other => TokenRejection::Unavailable(crate::error::InfrastructureError::new("reading a session", other)),
        })?;
        match current {
            // A well-signed token for an account that is gone is no better than a forged one.
            None => Err(TokenRejection::Invalid),
            Some(current) if session.is_current(current) => Ok(session),
            Some(_) => Err(TokenRejection::Revoked),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::TokenIssuer;
    use crate::usecases::fakes::{FakeTokens, InMemoryUsers};
    use crate::values::{Timestamp, UserId};

    /// An account that revoked its first session: a token of that one, a token of the current
    /// one, and the account.
    struct Revoked {
        authenticate: Authenticate<FakeTokens, InMemoryUsers>,
        old_token: String,
        new_token: String,
        account: crate::User,
    }

    async fn an_account_with_a_revoked_session() -> Revoked {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let account = users.get(users.only_id()).expect("stored");
        let old_token = FakeTokens.issue(account.session()).await.expect("issued");
        let revoked = account.revoking_sessions(Timestamp::now());
        users.replace(revoked.clone());
        let new_token = FakeTokens.issue(revoked.session()).await.expect("issued");
        Revoked { authenticate: Authenticate::new(FakeTokens, users), old_token, new_token, account: revoked }
    }

    #[tokio::test]
    async fn a_token_of_the_current_generation_is_accepted_and_an_older_one_revoked() {
        let Revoked { authenticate, old_token, new_token, account: revoked } =
            an_account_with_a_revoked_session().await;

        let refused = authenticate.execute(&old_token).await;
        let accepted = authenticate.execute(&new_token).await.expect("current");

        assert!(matches!(refused, Err(TokenRejection::Revoked)), "{refused:?}");
        assert_eq!(accepted, revoked.session());
    }

    #[tokio::test]
    async fn a_read_alongside_a_revoked_session_is_withheld_and_alongside_a_current_one_handed_back() {
        // Given an account whose first session was revoked
        let Revoked { authenticate, old_token, new_token, account: revoked } =
            an_account_with_a_revoked_session().await;

        // When a read runs for each token
        let refused = authenticate.while_reading(&old_token, |session| async move { session.user }).await;
        let accepted = authenticate.while_reading(&new_token, |session| async move { session.user }).await;

        // Then only the current session's read comes back
        assert!(matches!(refused, Err(TokenRejection::Revoked)), "{refused:?}");
        assert_eq!(accepted.expect("current"), (revoked.session(), revoked.id));
    }

    #[tokio::test]
    async fn a_token_for_an_unknown_account_or_a_bad_token_is_invalid() {
        let authenticate = Authenticate::new(FakeTokens, InMemoryUsers::default());
        let stranger = FakeTokens.issue(Session { user: UserId::generate(), generation: Default::default() });

        let unknown = authenticate.execute(&stranger.await.expect("issued")).await;
        let garbage = authenticate.execute("garbage").await;

        assert!(matches!(unknown, Err(TokenRejection::Invalid)), "{unknown:?}");
        assert!(matches!(garbage, Err(TokenRejection::Invalid)), "{garbage:?}");
    }
}
