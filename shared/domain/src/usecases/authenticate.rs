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

    pub async fn execute(&self, token: &str) -> Result<Session, TokenRejection> {
        let session = self.tokens.verify(token).await?;
        self.ensure_current(session).await
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

    #[tokio::test]
    async fn a_token_of_the_current_generation_is_accepted_and_an_older_one_revoked() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let account = users.get(users.only_id()).expect("stored");
        let old_token = FakeTokens.issue(account.session()).await.expect("issued");
        let revoked = account.revoking_sessions(Timestamp::now());
        users.replace(revoked.clone());
        let new_token = FakeTokens.issue(revoked.session()).await.expect("issued");
        let authenticate = Authenticate::new(FakeTokens, users);

        let refused = authenticate.execute(&old_token).await;
        let accepted = authenticate.execute(&new_token).await.expect("current");

        assert!(matches!(refused, Err(TokenRejection::Revoked)), "{refused:?}");
        assert_eq!(accepted, revoked.session());
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
