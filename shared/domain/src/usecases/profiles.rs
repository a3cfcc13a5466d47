use futures_util::future::try_join;

use super::personalize::profile;
use crate::DomainError;
use crate::ports::{FollowWriter, RelationsReader, UserReader};
use crate::validation::{InvalidValue, ValidationErrors};
use crate::values::{Timestamp, UserId, Username};
use crate::views::Profile;
use crate::write_quotas::{WriteAction, WriteQuotas};

/// Parses the username in the URL; one that cannot be a username names no profile.
fn username_of(raw_username: &str) -> Result<Username, DomainError> {
    Username::parse(raw_username).map_err(|_| DomainError::NotFound("profile"))
}

pub struct GetProfile<R> {
    relations: R,
}

impl<R: RelationsReader> GetProfile<R> {
    pub fn new(relations: R) -> Self {
        Self { relations }
    }

    /// Anonymous callers follow nobody; for a caller with a token, the account and their follow
    /// of it are read together.
    #[tracing::instrument(name = "GetProfile", skip_all)]
    pub async fn execute(&self, viewer: Option<UserId>, username: &str) -> Result<Profile, DomainError> {
        let username = username_of(username)?;
        let (user, relations) =
            self.relations.relations_by_username(viewer, &username).await?.ok_or(DomainError::NotFound("profile"))?;
        profile(&relations, user).ok_or(DomainError::NotFound("profile"))
    }
}

/// Follow (`follow = true`) or unfollow; both are idempotent and answer the followee's profile.
/// A new follow counts against the follower's quota.
pub struct ChangeFollow<U, F> {
    users: U,
    follows: F,
    quotas: WriteQuotas,
}

impl<U: UserReader, F: FollowWriter> ChangeFollow<U, F> {
    pub fn new(users: U, follows: F, quotas: WriteQuotas) -> Self {
        Self { users, follows, quotas }
    }

    #[tracing::instrument(name = "ChangeFollow", skip_all)]
    pub async fn execute(&self, caller: UserId, username: &str, follow: bool) -> Result<Profile, DomainError> {
        let username = username_of(username)?;
        // The caller's account is read beside the username: a validly signed token may still name
        // an account that does not exist, and nothing should be stored in its name. Accounts are
        // never deleted, so one that exists now still exists at the write.
        let (followee, caller_account) =
            try_join(self.users.id_by_username(&username), self.users.find_by_id(caller)).await?;
        let followee = followee.ok_or(DomainError::NotFound("profile"))?;
        if followee == caller {
            let problem = InvalidValue("cannot be yourself".into());
            return Err(ValidationErrors::single("username", problem).into());
        }
        caller_account.ok_or(DomainError::NotFound("user"))?;
        // The write needs only the followee's id, so their profile is read beside it.
        let write = async {
            if follow {
                let charge = self.quotas.charge(WriteAction::Follow, Timestamp::now());
                self.follows.follow(caller, followee, &charge).await
            } else {
                self.follows.unfollow(caller, followee).await
            }
        };
        let (user, ()) = try_join(self.users.find_by_id(followee), write).await?;
        let user = user.ok_or(DomainError::NotFound("profile"))?;
        Ok(Profile { user, following: follow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttling::{ThrottleScope, WindowQuota};
    use crate::usecases::fakes::{InMemoryRelations, InMemoryUsers};

    #[tokio::test]
    async fn following_is_idempotent_shows_in_the_profile_and_is_undone_by_unfollowing() {
        let users = InMemoryUsers::default();
        let jake = users.add("jake", "jake@example.com", "password");
        users.add("anne", "anne@example.com", "password");
        let relations = InMemoryRelations { users: users.clone(), ..Default::default() };
        let change = ChangeFollow::new(users.clone(), relations.clone(), WriteQuotas::default());
        let get = GetProfile::new(relations.clone());

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
        let change = ChangeFollow::new(users.clone(), relations.clone(), WriteQuotas::default());

        assert!(matches!(change.execute(jake, "jake", true).await, Err(DomainError::Validation(_))));
        assert!(matches!(change.execute(jake, "nobody", true).await, Err(DomainError::NotFound("profile"))));
        assert!(matches!(change.execute(jake, "not a name", true).await, Err(DomainError::NotFound("profile"))));
    }

    #[tokio::test]
    async fn a_token_naming_no_account_follows_nobody() {
        // Given a token whose account does not exist
        let users = InMemoryUsers::default();
        users.add("anne", "anne@example.com", "password");
        let relations = InMemoryRelations { users: users.clone(), ..Default::default() };
        let change = ChangeFollow::new(users.clone(), relations.clone(), WriteQuotas::default());

        // When it follows someone
        let refused = change.execute(UserId::generate(), "anne", true).await;

        // Then it is told its account is missing, and no follow is stored
        assert!(matches!(refused, Err(DomainError::NotFound("user"))), "{refused:?}");
        assert!(relations.follows.lock().expect("lock").is_empty());
    }

    #[tokio::test]
    async fn the_follow_past_the_followers_quota_is_refused_and_a_repeat_is_not_counted() {
        // Given a quota of one follow a day, and three accounts besides jake's
        let users = InMemoryUsers::default();
        let jake = users.add("jake", "jake@example.com", "password");
        for name in ["anne", "bob", "carl"] {
            users.add(name, &format!("{name}@example.com"), "password");
        }
        let relations = InMemoryRelations { users: users.clone(), ..Default::default() };
        let one = WindowQuota { max: 1, window: std::time::Duration::from_secs(24 * 60 * 60) };
        let quotas = WriteQuotas { follows: one, ..WriteQuotas::default() };
        let change = ChangeFollow::new(users.clone(), relations.clone(), quotas);

        // When jake follows anne twice, then bob
        change.execute(jake, "anne", true).await.expect("followed");
        change.execute(jake, "anne", true).await.expect("followed again: nothing counted");
        let refused = change.execute(jake, "bob", true).await;

        // Then bob's follow is refused and not stored
        let Err(DomainError::Throttled(refusal)) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert_eq!(refusal.scope, ThrottleScope::AccountWrites(WriteAction::Follow));
        assert_eq!(relations.follows.lock().expect("lock").len(), 1);
    }
}
