use super::current_account;
use crate::DomainError;
use crate::idempotency::AnswerOf;
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
        self.execute_keyed(caller, &AnswerOf::unkeyed()).await
    }

    /// Revokes, committing `answer`'s completion with the new generation (a keyed request).
    #[tracing::instrument(name = "RevokeSessions", skip_all)]
    pub async fn execute_keyed(&self, caller: Session, answer: &AnswerOf<'_, ()>) -> Result<(), DomainError> {
        for _ in 0..Self::ATTEMPTS {
            let account = current_account(&self.users, caller).await?;
            let revoked = account.revoking_sessions(Timestamp::now());
            match self.users.update(&account, &revoked, answer.completion(&()).as_ref()).await {
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

    #[tokio::test]
    async fn a_keyed_sign_out_everywhere_asks_for_its_answer_before_the_generation_moves_and_a_retry_is_refused() {
        // Given jake, signed in, signing out everywhere with a key; the answer notes the session
        // generation stored when it is made
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let session = users.get(users.only_id()).expect("stored").session();
        let revoke = RevokeSessions::new(users.clone());
        let answered = std::sync::Mutex::new(Vec::new());
        let answer = AnswerOf::keyed(|_: &()| {
            answered.lock().expect("lock").push(users.get(session.user).expect("stored").session_generation);
            None
        });

        // When the request is made, then retried with the same token
        revoke.execute_keyed(session, &answer).await.expect("revoked");
        let retry = revoke.execute_keyed(session, &answer).await;

        // Then the answer was made once, before the write; the retry is refused for its revoked
        // token and asks for no answer
        assert_eq!(*answered.lock().expect("lock"), [session.generation]);
        assert!(matches!(retry, Err(DomainError::SessionRevoked)), "{retry:?}");
    }
}
