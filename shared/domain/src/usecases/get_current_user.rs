use super::current_account;
use crate::ports::UserReader;
use crate::values::Session;
use crate::{DomainError, User};

pub struct GetCurrentUser<R> {
    users: R,
}

impl<R: UserReader> GetCurrentUser<R> {
    pub fn new(users: R) -> Self {
        Self { users }
    }

    /// The account is read anyway, so a revoked token is refused here at no extra cost, however
    /// long the authorizer keeps its cached answer.
    #[tracing::instrument(name = "GetCurrentUser", skip_all)]
    pub async fn execute(&self, caller: Session) -> Result<User, DomainError> {
        current_account(&self.users, caller).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::InMemoryUsers;
    use crate::values::Timestamp;

    #[tokio::test]
    async fn a_current_session_reads_the_account_and_a_revoked_one_is_refused() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let account = users.get(users.only_id()).expect("stored");
        let old_session = account.session();
        users.replace(account.revoking_sessions(Timestamp::now()));
        let get = GetCurrentUser::new(users.clone());

        let refused = get.execute(old_session).await.expect_err("revoked");
        let read = get.execute(users.get(account.id).expect("stored").session()).await.expect("current");

        assert!(matches!(refused, DomainError::SessionRevoked), "{refused:?}");
        assert_eq!(read.username.as_str(), "jake");
    }
}
