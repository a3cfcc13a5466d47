use crate::ports::{FollowWriter, RelationsReader, UserReader};
use crate::validation::{InvalidValue, ValidationErrors};
use crate::values::{UserId, Username};
use crate::views::Profile;
use crate::{DomainError, User};

/// Looks a profile up by the username in the URL; one that cannot be a username cannot exist.
async fn user_of<U: UserReader>(users: &U, raw_username: &str) -> Result<User, DomainError> {
    let username = Username::parse(raw_username).map_err(|_| DomainError::NotFound("profile"))?;
    users.find_by_username(&username).await?.ok_or(DomainError::NotFound("profile"))
}

pub struct GetProfile<U, R> {
    users: U,
    relations: R,
}

impl<U: UserReader, R: RelationsReader> GetProfile<U, R> {
    pub fn new(users: U, relations: R) -> Self {
        Self { users, relations }
    }

    pub async fn execute(&self, viewer: Option<UserId>, username: &str) -> Result<Profile, DomainError> {
        let user = user_of(&self.users, username).await?;
        match viewer {
            // Anonymous: nothing personal to read, the account just read is the whole answer.
            None => Ok(Profile { user, following: false }),
            Some(_) => super::personalize::profile_view(&self.relations, viewer, user.id).await,
        }
    }
}

/// Follow (`follow = true`) or unfollow; both are idempotent and answer the followee's profile.
pub struct ChangeFollow<U, F, R> {
    users: U,
    follows: F,
    relations: R,
}

impl<U: UserReader, F: FollowWriter, R: RelationsReader> ChangeFollow<U, F, R> {
    pub fn new(users: U, follows: F, relations: R) -> Self {
        Self { users, follows, relations }
    }

    pub async fn execute(&self, caller: UserId, username: &str, follow: bool) -> Result<Profile, DomainError> {
        let followee = user_of(&self.users, username).await?;
        if followee.id == caller {
            let problem = InvalidValue("cannot be yourself".into());
            return Err(ValidationErrors::single("username", problem).into());
        }
        // Before writing: the caller's token may name no account.
        super::personalize::caller_profile(&self.relations, caller).await?;
        if follow {
            self.follows.follow(caller, followee.id).await?;
        } else {
            self.follows.unfollow(caller, followee.id).await?;
        }
        Ok(Profile { user: followee, following: follow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{InMemoryRelations, InMemoryUsers};

    #[tokio::test]
    async fn following_is_idempotent_shows_in_the_profile_and_is_undone_by_unfollowing() {
        let users = InMemoryUsers::default();
        let jake = users.add("jake", "jake@example.com", "password");
        users.add("anne", "anne@example.com", "password");
        let relations = InMemoryRelations { users: users.clone(), ..Default::default() };
        let change = ChangeFollow::new(users.clone(), relations.clone(), relations.clone());
        let get = GetProfile::new(users.clone(), relations.clone());

        change.execute(jake, "anne", true).await.expect("followed");
        let again = change.execute(jake, "Anne", true).await.expect("followed again");

        assert!(again.following);
        assert!(get.execute(Some(jake), "anne").await.expect("profile").following);
        assert!(!get.execute(None, "anne").await.expect("profile").following);
        assert!(!change.execute(jake, "anne", false).await.expect("unfollowed").following);
    }

    #[tokio::test]
    async fn following_oneself_is_refused_and_strangers_are_not_found() {
        let users = InMemoryUsers::default();
        let jake = users.add("jake", "jake@example.com", "password");
        let relations = InMemoryRelations { users: users.clone(), ..Default::default() };
        let change = ChangeFollow::new(users.clone(), relations.clone(), relations.clone());

        assert!(matches!(change.execute(jake, "jake", true).await, Err(DomainError::Validation(_))));
        assert!(matches!(change.execute(jake, "nobody", true).await, Err(DomainError::NotFound("profile"))));
        assert!(matches!(change.execute(jake, "not a name", true).await, Err(DomainError::NotFound("profile"))));
    }
}
