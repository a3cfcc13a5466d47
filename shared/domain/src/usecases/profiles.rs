use crate::DomainError;
use crate::ports::{FollowWriter, RelationsReader, UserReader};
use crate::validation::{InvalidValue, ValidationErrors};
use crate::values::{UserId, Username};
use crate::views::Profile;

/// Looks a profile up by the username in the URL; one that cannot be a username cannot exist.
async fn user_id_of<U: UserReader>(users: &U, raw_username: &str) -> Result<UserId, DomainError> {
    let username = Username::parse(raw_username).map_err(|_| DomainError::NotFound("profile"))?;
    let user = users.find_by_username(&username).await?.ok_or(DomainError::NotFound("profile"))?;
    Ok(user.id)
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
        let user = user_id_of(&self.users, username).await?;
        super::personalize::profile_view(&self.relations, viewer, user).await
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
        let followee = user_id_of(&self.users, username).await?;
        if followee == caller {
            let problem = InvalidValue("cannot be yourself".into());
            return Err(ValidationErrors::single("username", problem).into());
        }
        if follow {
            self.follows.follow(caller, followee).await?;
        } else {
            self.follows.unfollow(caller, followee).await?;
        }
        super::personalize::profile_view(&self.relations, Some(caller), followee).await
    }
}
