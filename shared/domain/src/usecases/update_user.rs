use super::current_account;
use crate::ports::{PasswordHasher, TokenIssuer, UserReader, UserWriter};
use crate::validation::InvalidValue;
use crate::values::{Bio, Email, ImageUrl, Password, Session, Timestamp, Username};
use crate::{DomainError, User, ValidationErrors};

/// One field of a partial update: a JSON key that is absent keeps the value, `null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FieldUpdate {
    #[default]
    Keep,
    Clear,
    Set(String),
}

#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: FieldUpdate,
    pub username: FieldUpdate,
    pub password: FieldUpdate,
    pub bio: FieldUpdate,
    pub image: FieldUpdate,
}

/// The changes once parsed: only valid values, `None` meaning "keep".
struct ParsedChanges {
    email: Option<Email>,
    username: Option<Username>,
    password: Option<Password>,
    bio: Option<Option<Bio>>,
    image: Option<Option<ImageUrl>>,
}

impl UserChanges {
    fn parse(self) -> Result<ParsedChanges, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = errors.check_optional("email", required_update(self.email, Email::parse));
        let username = errors.check_optional("username", required_update(self.username, Username::parse));
        let password = errors.check_optional("password", required_update(self.password, Password::parse));
        let bio = errors.check_optional("bio", clearable_update(self.bio, Bio::parse));
        let image = errors.check_optional("image", clearable_update(self.image, ImageUrl::parse));
        match (email, username, password, bio, image) {
            (Some(email), Some(username), Some(password), Some(bio), Some(image)) => {
                Ok(ParsedChanges { email, username, password, bio, image })
            }
            _ => Err(errors),
        }
    }
}

/// For fields every account must have: `null` is refused like a blank value.
fn required_update<T>(
    update: FieldUpdate,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Option<Result<T, InvalidValue>> {
    match update {
        FieldUpdate::Keep => None,
        FieldUpdate::Clear => Some(Err(InvalidValue::blank())),
        FieldUpdate::Set(raw) => Some(parse(&raw)),
    }
}

/// For optional fields: `null` (or blank text) removes the value.
fn clearable_update<T>(
    update: FieldUpdate,
    parse: impl FnOnce(&str) -> Result<Option<T>, InvalidValue>,
) -> Option<Result<Option<T>, InvalidValue>> {
    match update {
        FieldUpdate::Keep => None,
        FieldUpdate::Clear => Some(Ok(None)),
        FieldUpdate::Set(raw) => Some(parse(&raw)),
    }
}

/// The account after an update, and a fresh token when the update revoked the caller's (a new
/// password does), so the client that made the change stays signed in.
#[derive(Debug, Clone)]
pub struct UpdatedUser {
    pub user: User,
    pub fresh_token: Option<String>,
}

pub struct UpdateUser<S, H, T> {
    users: S,
    hasher: H,
    tokens: T,
}

impl<S: UserReader + UserWriter, H: PasswordHasher, T: TokenIssuer> UpdateUser<S, H, T> {
    /// How often a write that lost an optimistic-concurrency race is re-applied to a fresh read.
    const ATTEMPTS: usize = 3;

    pub fn new(users: S, hasher: H, tokens: T) -> Self {
        Self { users, hasher, tokens }
    }

    /// Applies the changes to the caller's account. Keeping one's own e-mail or username is not a
    /// clash; taking someone else's is a field error decided atomically by the store. A new
    /// password revokes every token issued before it.
    pub async fn execute(&self, caller: Session, changes: UserChanges) -> Result<UpdatedUser, DomainError> {
        let changes = changes.parse()?;
        // Hash once, outside the retry loop: it is the expensive part and does not depend on the read.
        let password_hash = changes.password.as_ref().map(|p| self.hasher.hash(p)).transpose()?;

        for _ in 0..Self::ATTEMPTS {
            let current = current_account(&self.users, caller).await?;
            let mut updated = current.clone();
            if let Some(email) = &changes.email {
                updated.email = email.clone();
            }
            if let Some(username) = &changes.username {
                updated.username = username.clone();
            }
            if let Some(hash) = &password_hash {
                updated.password_hash = hash.clone();
                updated.session_generation = current.session_generation.next();
            }
            if let Some(bio) = &changes.bio {
                updated.bio = bio.clone();
            }
            if let Some(image) = &changes.image {
                updated.image = image.clone();
            }
            if updated == current {
                return Ok(UpdatedUser { user: current, fresh_token: None });
            }
            updated.updated_at = Timestamp::now().max(current.updated_at);
            updated.version = current.version + 1;
            // Issued before the write, as registering does: if no token can be issued, the password
            // is not changed, and the client is not left signed out.
            let fresh_token = if updated.session_generation == current.session_generation {
                None
            } else {
                Some(self.tokens.issue(updated.session()).await?)
            };

            match self.users.update(&current, &updated).await {
                Ok(()) => return Ok(UpdatedUser { user: updated, fresh_token }),
                Err(crate::ports::StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{FakeHasher, FakeTokens, InMemoryUsers};
    use crate::values::UserId;

    fn session_of(users: &InMemoryUsers, id: UserId) -> Session {
        users.get(id).expect("stored").session()
    }

    fn set(value: &str) -> FieldUpdate {
        FieldUpdate::Set(value.into())
    }

    #[tokio::test]
    async fn changes_only_the_fields_sent_and_bumps_the_version() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens);

        let updated = update
            .execute(caller, UserChanges { bio: set("I like to skateboard"), ..Default::default() })
            .await
            .expect("updated")
            .user;

        assert_eq!(updated.bio.as_ref().map(Bio::as_str), Some("I like to skateboard"));
        assert_eq!(updated.email.as_str(), "jake@jake.jake");
        assert_eq!(updated.version, 2);
        assert_eq!(users.get(caller.user).expect("stored"), updated);
    }

    #[tokio::test]
    async fn null_clears_optional_fields_but_is_refused_for_required_ones() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens);
        update
            .execute(caller, UserChanges { image: set("https://example.com/me.png"), ..Default::default() })
            .await
            .expect("image set");

        let cleared = update
            .execute(caller, UserChanges { image: FieldUpdate::Clear, ..Default::default() })
            .await
            .expect("image cleared")
            .user;
        let refused = update
            .execute(caller, UserChanges { email: FieldUpdate::Clear, ..Default::default() })
            .await
            .expect_err("email refused");

        assert_eq!(cleared.image, None);
        let DomainError::Validation(errors) = refused else { panic!("expected validation, got {refused:?}") };
        assert_eq!(errors.fields()["email"], ["can't be blank"]);
    }

    #[tokio::test]
    async fn keeping_ones_own_email_is_not_a_clash_but_taking_anothers_is() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        users.add("anne", "anne@anne.anne", "anneanne");
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens);

        let kept = update
            .execute(caller, UserChanges { email: set("JAKE@jake.jake"), username: set("jake"), ..Default::default() })
            .await;
        let taken = update
            .execute(caller, UserChanges { username: set("Anne"), ..Default::default() })
            .await
            .expect_err("taken");

        assert!(kept.is_ok(), "{kept:?}");
        let DomainError::Validation(errors) = taken else { panic!("expected validation, got {taken:?}") };
        assert_eq!(errors.fields()["username"], ["has already been taken"]);
    }

    #[tokio::test]
    async fn a_new_password_is_hashed_revokes_older_tokens_and_comes_with_a_fresh_one() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens);

        let updated = update
            .execute(caller, UserChanges { password: set("new-password"), ..Default::default() })
            .await
            .expect("updated");
        let with_old_token = update.execute(caller, UserChanges { bio: set("still me?"), ..Default::default() }).await;

        let stored = users.get(caller.user).expect("stored");
        assert_eq!(stored.password_hash.as_phc(), "hashed:new-password");
        assert_eq!(updated.fresh_token, Some(format!("token-for-{}@1", caller.user)));
        assert!(matches!(with_old_token, Err(DomainError::SessionRevoked)), "{with_old_token:?}");
    }

    #[tokio::test]
    async fn changes_without_a_new_password_keep_the_callers_token() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens);

        let updated =
            update.execute(caller, UserChanges { bio: set("hello"), ..Default::default() }).await.expect("updated");

        assert_eq!(updated.fresh_token, None);
        assert!(caller.is_current(updated.user.session_generation));
    }
}
