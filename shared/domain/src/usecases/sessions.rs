use super::current_account;
use crate::DomainError;
use crate::ports::{StoreError, UserReader, UserWriter};
use crate::values::{Session, Timestamp};

/// "Sign out everywhere": every token issued to the account so far stops working, the caller's too.
pub struct RevokeSessions<S> {
    users: S,
}

impl<S: UserReader + UserWriter> RevokeSessions<S> {
    /// How often a write that lost an optimistic-concurrency race is re-applied to a fresh read.
    const ATTEMPTS: usize = 3;

    pub fn new(users: S) -> Self {
        Self { users }
    }

    pub async fn execute(&self, caller: Session) -> Result<(), DomainError> {
        for _ in 0..Self::ATTEMPTS {
            let account = current_account(&self.users, caller).await?;
            match self.users.update(&account, &account.revoking_sessions(Timestamp::now())).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::InMemoryUsers;

    #[tokio::test]
    async fn signing_out_everywhere_revokes_the_callers_own_session_too() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let session = users.get(users.only_id()).expect("stored").session();
        let revoke = RevokeSessions::new(users.clone());

        revoke.execute(session).await.expect("revoked");
        let again = revoke.execute(session).await.expect_err("already revoked");

        assert!(session.generation < users.get(session.user).expect("stored").session_generation);
        assert!(matches!(again, DomainError::SessionRevoked), "{again:?}");
    }
}
