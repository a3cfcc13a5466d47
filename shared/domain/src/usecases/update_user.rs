use crate::ports::{PasswordHasher, UserReader, UserWriter};
use crate::validation::InvalidValue;
use crate::values::{Bio, Email, ImageUrl, Password, Timestamp, UserId, Username};
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

pub struct UpdateUser<S, H> {
    users: S,
    hasher: H,
}

impl<S: UserReader + UserWriter, H: PasswordHasher> UpdateUser<S, H> {
    /// How often a write that lost an optimistic-concurrency race is re-applied to a fresh read.
    const ATTEMPTS: usize = 3;

    pub fn new(users: S, hasher: H) -> Self {
        Self { users, hasher }
    }

    /// Applies the changes to the caller's account. Keeping one's own e-mail or username is not a
    /// clash; taking someone else's is a field error decided atomically by the store.
    pub async fn execute(&self, caller: UserId, changes: UserChanges) -> Result<User, DomainError> {
        let changes = changes.parse()?;
        // Hash once, outside the retry loop: it is the expensive part and does not depend on the read.
        let password_hash = changes.password.as_ref().map(|p| self.hasher.hash(p)).transpose()?;

        for _ in 0..Self::ATTEMPTS {
            let current = self.users.find_by_id(caller).await?.ok_or(DomainError::NotFound("user"))?;
            let mut updated = current.clone();
            if let Some(email) = &changes.email {
                updated.email = email.clone();
            }
            if let Some(username) = &changes.username {
                updated.username = username.clone();
            }
            if let Some(hash) = &password_hash {
                updated.password_hash = hash.clone();
            }
            if let Some(bio) = &changes.bio {
                updated.bio = bio.clone();
            }
            if let Some(image) = &changes.image {
                updated.image = image.clone();
            }
            if updated == current {
                return Ok(current);
            }
            updated.updated_at = Timestamp::now().max(current.updated_at);
            updated.version = current.version + 1;

            match self.users.update(&current, &updated).await {
                Ok(()) => return Ok(updated),
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
    use crate::usecases::fakes::{FakeHasher, InMemoryUsers};

    fn set(value: &str) -> FieldUpdate {
        FieldUpdate::Set(value.into())
    }

    #[tokio::test]
    async fn changes_only_the_fields_sent_and_bumps_the_version() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = users.only_id();
        let update = UpdateUser::new(users.clone(), FakeHasher);

        let updated = update
            .execute(caller, UserChanges { bio: set("I like to skateboard"), ..Default::default() })
            .await
            .expect("updated");

        assert_eq!(updated.bio.as_ref().map(Bio::as_str), Some("I like to skateboard"));
        assert_eq!(updated.email.as_str(), "jake@jake.jake");
        assert_eq!(updated.version, 2);
        assert_eq!(users.get(caller).expect("stored"), updated);
    }

    #[tokio::test]
    async fn null_clears_optional_fields_but_is_refused_for_required_ones() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = users.only_id();
        let update = UpdateUser::new(users.clone(), FakeHasher);
        update
            .execute(caller, UserChanges { image: set("https://example.com/me.png"), ..Default::default() })
            .await
            .expect("image set");

        let cleared = update
            .execute(caller, UserChanges { image: FieldUpdate::Clear, ..Default::default() })
            .await
            .expect("image cleared");
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
        let caller = users.only_id();
        users.add("anne", "anne@anne.anne", "anneanne");
        let update = UpdateUser::new(users.clone(), FakeHasher);

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
    async fn a_new_password_is_hashed_before_it_is_stored() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = users.only_id();
        let update = UpdateUser::new(users.clone(), FakeHasher);

        update
            .execute(caller, UserChanges { password: set("new-password"), ..Default::default() })
            .await
            .expect("updated");

        assert_eq!(users.get(caller).expect("stored").password_hash.as_phc(), "hashed:new-password");
    }
}
