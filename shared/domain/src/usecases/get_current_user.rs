use crate::ports::UserReader;
use crate::values::UserId;
use crate::{DomainError, User};

pub struct GetCurrentUser<R> {
    users: R,
}

impl<R: UserReader> GetCurrentUser<R> {
    pub fn new(users: R) -> Self {
        Self { users }
    }

    pub async fn execute(&self, caller: UserId) -> Result<User, DomainError> {
        self.users.find_by_id(caller).await?.ok_or(DomainError::NotFound("user"))
    }
}
