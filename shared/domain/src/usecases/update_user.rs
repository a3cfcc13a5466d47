use super::{AbuseGuard, current_account};
use crate::idempotency::AnswerOf;
use crate::ports::{Clock, LoginAttempts, PasswordHasher, SourceQuotas, TokenIssuer, UserReader, UserWriter};
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
    /// The account's password as it is now: required to change the e-mail or the password, so a
    /// stolen token alone cannot take the account over (ASVS V2.1.5, V3.7.1).
    pub current_password: Option<String>,
}

/// The changes once parsed: only valid values, `None` meaning "keep".
struct ParsedChanges {
    email: Option<Email>,
    username: Option<Username>,
    password: Option<Password>,
    bio: Option<Option<Bio>>,
    image: Option<Option<ImageUrl>>,
    current_password: Option<Password>,
}

/// The request field that carries the current password.
pub const CURRENT_PASSWORD_FIELD: &str = "currentPassword";

impl UserChanges {
    fn parse(self) -> Result<ParsedChanges, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = errors.check_optional("email", required_update(self.email, Email::parse));
        let username = errors.check_optional("username", required_update(self.username, Username::parse));
        let password = errors.check_optional("password", required_update(self.password, Password::parse));
        let bio = errors.check_optional("bio", clearable_update(self.bio, Bio::parse));
        let image = errors.check_optional("image", clearable_update(self.image, ImageUrl::parse));
        // Checked against the account, never against the rules for new passwords; blank is absent.
        let current_password = self.current_password.and_then(|raw| Password::for_login(&raw).ok());
        match (email, username, password, bio, image) {
            (Some(email), Some(username), Some(password), Some(bio), Some(image)) => {
                Ok(ParsedChanges { email, username, password, bio, image, current_password })
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
/// password or e-mail does), so the client that made the change stays signed in.
#[derive(Debug, Clone)]
pub struct UpdatedUser {
    pub user: User,
    pub fresh_token: Option<String>,
}

pub struct UpdateUser<U, H, T, S, C> {
    users: U,
    hasher: H,
    tokens: T,
    guard: AbuseGuard<S, C>,
}

impl<U, H, T, S, C> UpdateUser<U, H, T, S, C>
where
    U: UserReader + UserWriter,
    H: PasswordHasher,
    T: TokenIssuer,
    S: LoginAttempts + SourceQuotas,
    C: Clock,
{
    /// How often a write that lost an optimistic-concurrency race is re-applied to a fresh read.
    const ATTEMPTS: usize = 3;

    pub fn new(users: U, hasher: H, tokens: T, guard: AbuseGuard<S, C>) -> Self {
        Self { users, hasher, tokens, guard }
    }

    /// Applies the changes to the caller's account. Keeping one's own e-mail or username is not a
    /// clash; taking someone else's is a field error decided atomically by the store. A new e-mail
    /// or password needs the current password (a step-up: the token alone is not enough), and
    /// revokes every token issued before it.
    pub async fn execute(&self, caller: Session, changes: UserChanges) -> Result<UpdatedUser, DomainError> {
        self.execute_keyed(caller, changes, &AnswerOf::unkeyed()).await
    }

    /// Updates, committing `answer`'s completion with the change (a keyed request). An update
    /// that changes nothing writes nothing, and its answer is stored after it.
    #[tracing::instrument(name = "UpdateUser", skip_all)]
    pub async fn execute_keyed(
        &self,
        caller: Session,
        changes: UserChanges,
        answer: &AnswerOf<'_, UpdatedUser>,
    ) -> Result<UpdatedUser, DomainError> {
        let changes = changes.parse()?;
        let first_read = current_account(&self.users, caller).await?;
        let steps_up = changes.password.is_some() || changes_email(&changes, &first_read);
        if steps_up {
            self.check_current_password(&first_read, changes.current_password.as_ref()).await?;
        }
        // Hash once, outside the retry loop: it is the expensive part and does not depend on the read.
        let password_hash = changes.password.as_ref().map(|p| self.hasher.hash(p)).transpose()?;

        let mut first_read = Some(first_read);
        for _ in 0..Self::ATTEMPTS {
            let current = match first_read.take() {
                Some(account) => account,
                None => current_account(&self.users, caller).await?,
            };
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
            // Whoever could sign in before the change must not keep doing so: a new password, or a
            // new address (which password resets would go to), ends every other session.
            if password_hash.is_some() || changes_email(&changes, &current) {
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

            let result = UpdatedUser { user: updated, fresh_token };
            let completion = answer.completion(&result);
            let writing = async { self.users.update(&current, &result.user, completion.as_ref()).await };
            let written = if steps_up {
                // The right current password was a success: the account's failed logins are forgotten.
                let (written, ()) =
                    futures_util::future::join(writing, self.guard.forget_failures(&current.email)).await;
                written
            } else {
                writing.await
            };
            match written {
                Ok(()) => return Ok(result),
                Err(crate::ports::StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict)
    }

    /// The step-up: the current password must be sent and right. Each check counts against the
    /// account's failed logins first, as a login does, so a stolen token cannot be used to guess it.
    async fn check_current_password(&self, account: &User, given: Option<&Password>) -> Result<(), DomainError> {
        let Some(given) = given else {
            let required = InvalidValue("is required to change the e-mail or password".to_owned());
            return Err(ValidationErrors::single(CURRENT_PASSWORD_FIELD, required).into());
        };
        self.guard.begin_password_check(&account.email).await?;
        if self.hasher.verify(given, &account.password_hash)? {
            Ok(())
        } else {
            Err(ValidationErrors::single(CURRENT_PASSWORD_FIELD, InvalidValue("is incorrect".to_owned())).into())
        }
    }
}

/// A new address, not the same one in another case (the official collection sends the e-mail back).
fn changes_email(changes: &ParsedChanges, account: &User) -> bool {
    changes.email.as_ref().is_some_and(|email| email.canonical() != account.email.canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttling::{AbuseLimits, LoginBackoff, ThrottleScope};
    use crate::usecases::fakes::{FakeHasher, FakeTokens, FixedClock, InMemoryThrottles, InMemoryUsers, guard};
    use crate::values::UserId;

    fn open_guard() -> AbuseGuard<InMemoryThrottles, FixedClock> {
        guard(&InMemoryThrottles::default(), &FixedClock::at("2026-01-01T10:00:00Z"), AbuseLimits::default())
    }

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
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

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
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());
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
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

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
    async fn changes_without_a_new_password_keep_the_callers_token() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

        let updated =
            update.execute(caller, UserChanges { bio: set("hello"), ..Default::default() }).await.expect("updated");

        assert_eq!(updated.fresh_token, None);
        assert!(caller.is_current(updated.user.session_generation));
    }

    #[tokio::test]
    async fn a_keyed_new_password_makes_its_answer_with_the_fresh_token_before_the_write() {
        // Given jake, signed in, changing his password with a key; the answer notes the token it
        // is made with and the session generation stored by then
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());
        let answered = std::sync::Mutex::new(Vec::new());
        let answer = AnswerOf::keyed(|result: &UpdatedUser| {
            let stored = users.get(result.user.id).expect("stored").session_generation;
            answered.lock().expect("lock").push((result.fresh_token.clone(), stored));
            None
        });
        let change = UserChanges {
            password: set("a-fresh-password-2"),
            current_password: Some("jakejake".into()),
            ..Default::default()
        };

        // When the change is made
        let updated = update.execute_keyed(caller, change, &answer).await.expect("updated");

        // Then the answer was made once, before the write moved the generation, with the fresh
        // token the client gets
        assert_eq!(*answered.lock().expect("lock"), [(updated.fresh_token.clone(), caller.generation)]);
        assert_eq!(updated.fresh_token, Some(format!("token-for-{}@1", caller.user)));
        assert_eq!(users.get(caller.user).expect("stored").session_generation, updated.user.session_generation);
    }

    #[tokio::test]
    async fn a_keyed_update_that_changes_nothing_writes_nothing_and_asks_for_no_completion() {
        // Given jake, whose bio is already "hello"
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());
        update.execute(caller, UserChanges { bio: set("hello"), ..Default::default() }).await.expect("bio set");
        let before = users.get(caller.user).expect("stored");
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let answer = AnswerOf::keyed(|_: &UpdatedUser| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            None
        });

        // When a keyed update sets the same bio
        let same = UserChanges { bio: set("hello"), ..Default::default() };
        let unchanged = update.execute_keyed(caller, same, &answer).await.expect("answered");

        // Then nothing is written and no write carries the answer: it is stored after the request
        assert_eq!(unchanged.user, before);
        assert_eq!(users.get(caller.user).expect("stored"), before);
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_new_email_or_password_without_the_current_password_is_refused_and_nothing_changes() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let before = users.get(caller.user).expect("stored");
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

        let new_email =
            update.execute(caller, UserChanges { email: set("thief@evil.example"), ..Default::default() }).await;
        let new_password =
            update.execute(caller, UserChanges { password: set("a-fresh-password-2"), ..Default::default() }).await;

        for refused in [new_email, new_password] {
            let Err(DomainError::Validation(errors)) = refused else { panic!("expected validation, got {refused:?}") };
            assert_eq!(errors.fields()["currentPassword"], ["is required to change the e-mail or password"]);
        }
        assert_eq!(users.get(caller.user).expect("stored"), before);
    }

    #[tokio::test]
    async fn a_wrong_current_password_is_refused_counted_and_throttled_like_a_failed_login() {
        // Given an account allowed one free attempt, then 60 s of waiting
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let caller = session_of(&users, users.only_id());
        let limits = AbuseLimits {
            login_backoff: LoginBackoff {
                free_attempts: 1,
                first_delay: std::time::Duration::from_secs(60),
                max_delay: std::time::Duration::from_secs(60),
            },
            ..AbuseLimits::default()
        };
        let throttles = InMemoryThrottles::default();
        let clock = FixedClock::at("2026-01-01T10:00:00Z");
        let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, guard(&throttles, &clock, limits));
        let steal = |current: &str| UserChanges {
            email: set("thief@evil.example"),
            current_password: Some(current.into()),
            ..Default::default()
        };

        // When a wrong current password is sent, then the right one at once
        let wrong = update.execute(caller, steal("guess-number-1")).await;
        let right_too_soon = update.execute(caller, steal("jakejake")).await;

        // Then the first is refused as incorrect and counted, the second throttled unchecked
        let Err(DomainError::Validation(errors)) = wrong else { panic!("expected validation, got {wrong:?}") };
        assert_eq!(errors.fields()["currentPassword"], ["is incorrect"]);
        assert_eq!(throttles.failures_of("jake@jake.jake"), 1);
        assert!(
            matches!(right_too_soon, Err(DomainError::Throttled(t)) if t.scope == ThrottleScope::Account),
            "{right_too_soon:?}"
        );
        assert_eq!(users.get(caller.user).expect("stored").email.as_str(), "jake@jake.jake");
    }

    #[tokio::test]
    async fn a_new_password_or_email_with_the_current_password_revokes_older_tokens_and_comes_with_a_fresh_one() {
        let changes = [
            UserChanges { password: set("a-fresh-password-2"), ..Default::default() },
            UserChanges { email: set("jake@new.example"), ..Default::default() },
        ];
        for change in changes {
            // Given jake, signed in
            let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
            let caller = session_of(&users, users.only_id());
            let update = UpdateUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

            // When he changes his password or his e-mail, sending the current password
            let change = UserChanges { current_password: Some("jakejake".into()), ..change };
            let updated = update.execute(caller, change.clone()).await.expect("updated");
            let with_old_token =
                update.execute(caller, UserChanges { bio: set("still me?"), ..Default::default() }).await;

            // Then the change is stored, the old token revoked, and the answer carries a fresh one
            let stored = users.get(caller.user).expect("stored");
            if change.password != FieldUpdate::Keep {
                assert_eq!(stored.password_hash.as_phc(), "hashed:a-fresh-password-2");
            } else {
                assert_eq!(stored.email.as_str(), "jake@new.example");
            }
            assert_eq!(updated.fresh_token, Some(format!("token-for-{}@1", caller.user)));
            assert!(matches!(with_old_token, Err(DomainError::SessionRevoked)), "{with_old_token:?}");
        }
    }
}
