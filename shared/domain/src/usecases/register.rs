use super::{AbuseGuard, AuthenticatedUser, required};
use crate::idempotency::AnswerOf;
use crate::ports::{Clock, LoginAttempts, PasswordHasher, SourceQuotas, TokenIssuer, UserWriter};
use crate::throttling::QuotaAction;
use crate::values::{ClientSource, Email, Password, Username};
use crate::{DomainError, User, ValidationErrors};

/// What a client sends to sign up, before any of it is trusted.
#[derive(Debug, Default, Clone)]
pub struct Registration {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

pub struct RegisterUser<W, H, T, S, C> {
    users: W,
    hasher: H,
    tokens: T,
    guard: AbuseGuard<S, C>,
}

impl<W, H, T, S, C> RegisterUser<W, H, T, S, C>
where
    W: UserWriter,
    H: PasswordHasher,
    T: TokenIssuer,
    S: LoginAttempts + SourceQuotas,
    C: Clock,
{
    pub fn new(users: W, hasher: H, tokens: T, guard: AbuseGuard<S, C>) -> Self {
        Self { users, hasher, tokens, guard }
    }

    /// Creates the account; an e-mail or username already in use is a field error, decided by the
    /// store's atomic claim (so two simultaneous sign-ups cannot both win). The token is issued
    /// before the account is stored: when the signing keys are unavailable nothing is written, and
    /// a retry can still register instead of finding its own e-mail taken. A valid sign-up counts
    /// against its source's allowance before the password is hashed (a taken address included: the
    /// allowance also bounds how many addresses one source can probe this way).
    pub async fn execute(&self, input: Registration, source: &ClientSource) -> Result<AuthenticatedUser, DomainError> {
        self.execute_keyed(input, source, &AnswerOf::unkeyed()).await
    }

    /// Registers, committing `answer`'s completion with the account (a keyed request): the answer
    /// (the account and its token) is complete before the account is stored.
    #[tracing::instrument(name = "RegisterUser", skip_all)]
    pub async fn execute_keyed(
        &self,
        input: Registration,
        source: &ClientSource,
        answer: &AnswerOf<'_, AuthenticatedUser>,
    ) -> Result<AuthenticatedUser, DomainError> {
        let mut errors = ValidationErrors::default();
        let username = required(&mut errors, "username", input.username.as_deref(), Username::parse);
        let email = required(&mut errors, "email", input.email.as_deref(), Email::parse);
        let password = required(&mut errors, "password", input.password.as_deref(), Password::parse);
        let (Some(username), Some(email), Some(password)) = (username, email, password) else {
            return Err(errors.into());
        };

        self.guard.take(QuotaAction::Registration, source).await?;
        let user = User::register(username, email, self.hasher.hash(&password)?);
        let token = self.tokens.issue(user.session()).await?;
        let registered = AuthenticatedUser { user, token };
        self.users.insert(&registered.user, answer.completion(&registered).as_ref()).await?;
        Ok(registered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InfrastructureError;
    use crate::throttling::{AbuseLimits, ThrottleScope, WindowQuota};
    use crate::usecases::fakes::{FakeHasher, FakeTokens, FixedClock, InMemoryThrottles, InMemoryUsers, guard};

    fn source() -> ClientSource {
        ClientSource::parse("203.0.113.7")
    }

    fn open_guard() -> AbuseGuard<InMemoryThrottles, FixedClock> {
        guard(&InMemoryThrottles::default(), &FixedClock::at("2026-01-01T10:00:00Z"), AbuseLimits::default())
    }

    #[tokio::test]
    async fn one_source_signing_up_past_its_allowance_is_throttled_before_anything_is_hashed_or_stored() {
        // Given a source allowed two sign-ups an hour
        let limits = AbuseLimits {
            registrations_per_source: WindowQuota { max: 2, window: std::time::Duration::from_secs(3600) },
            ..AbuseLimits::default()
        };
        let users = InMemoryUsers::default();
        let clock = FixedClock::at("2026-01-01T10:00:00Z");
        let register = RegisterUser::new(
            users.clone(),
            FakeHasher,
            FakeTokens,
            guard(&InMemoryThrottles::default(), &clock, limits),
        );
        for name in ["anne", "bert"] {
            register
                .execute(registration(name, &format!("{name}@jake.jake"), &format!("password-of-{name}")), &source())
                .await
                .expect("registered");
        }

        // When it signs up a third account, and another source signs up too
        let third = register.execute(registration("carl", "carl@jake.jake", "password-of-carl"), &source()).await;
        let elsewhere = register
            .execute(registration("dora", "dora@jake.jake", "password-of-dora"), &ClientSource::parse("198.51.100.1"))
            .await;

        // Then the third is refused until the hour is over, and nothing of it was stored
        let Err(DomainError::Throttled(refusal)) = third else { panic!("expected a refusal, got {third:?}") };
        assert_eq!((refusal.scope, refusal.retry_after.as_secs()), (ThrottleScope::Source, 3600));
        let carl = Email::parse("carl@jake.jake").expect("valid");
        assert!(crate::ports::UserReader::find_by_email(&users, &carl).await.expect("read").is_none());
        assert!(elsewhere.is_ok(), "{elsewhere:?}");
    }

    fn registration(username: &str, email: &str, password: &str) -> Registration {
        Registration { username: Some(username.into()), email: Some(email.into()), password: Some(password.into()) }
    }

    #[tokio::test]
    async fn registering_stores_a_hashed_password_and_returns_a_token() {
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

        let registered = register
            .execute(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source())
            .await
            .expect("registered");

        assert_eq!(registered.user.username.as_str(), "jake");
        assert_eq!(registered.token, format!("token-for-{}@0", registered.user.id));
        let stored = users.get(registered.user.id).expect("stored");
        assert_eq!(stored.password_hash.as_phc(), "hashed:jake-skateboard-42");
    }

    #[tokio::test]
    async fn a_keyed_registration_makes_its_answer_from_the_account_and_token_before_storing_them() {
        // Given a keyed sign-up, whose answer notes the token it is made with and whether the
        // account was stored by then
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());
        let answered = std::sync::Mutex::new(Vec::new());
        let answer = AnswerOf::keyed(|registered: &AuthenticatedUser| {
            let stored_already = users.get(registered.user.id).is_some();
            answered.lock().expect("lock").push((registered.token.clone(), stored_already));
            None
        });

        // When it registers
        let registered = register
            .execute_keyed(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source(), &answer)
            .await
            .expect("registered");

        // Then the answer was made once, before the write (which commits it), with the token the
        // client gets, and the account is stored
        assert_eq!(*answered.lock().expect("lock"), [(registered.token.clone(), false)]);
        assert!(users.get(registered.user.id).is_some());
    }

    #[tokio::test]
    async fn when_no_token_can_be_issued_nothing_is_stored() {
        struct KeysUnavailable;
        impl TokenIssuer for KeysUnavailable {
            async fn issue(&self, _: crate::values::Session) -> Result<String, InfrastructureError> {
                Err(InfrastructureError::unavailable("issuing a token", "Secrets Manager", "timed out"))
            }
        }
        let users = InMemoryUsers::default();

        let error = RegisterUser::new(users.clone(), FakeHasher, KeysUnavailable, open_guard())
            .execute(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source())
            .await
            .expect_err("refused");

        assert!(matches!(error, DomainError::Infrastructure(InfrastructureError { unavailable: Some(_), .. })));
        let retried = RegisterUser::new(users, FakeHasher, FakeTokens, open_guard())
            .execute(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source())
            .await;
        assert!(retried.is_ok(), "the e-mail and username are still free: {retried:?}");
    }

    #[tokio::test]
    async fn every_missing_field_is_reported_at_once() {
        let register = RegisterUser::new(InMemoryUsers::default(), FakeHasher, FakeTokens, open_guard());

        let error = register.execute(Registration::default(), &source()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        let fields: Vec<_> = errors.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["email", "password", "username"]);
    }

    #[tokio::test]
    async fn a_taken_email_in_another_case_is_a_field_error() {
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());
        register.execute(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source()).await.expect("first");

        let error = register
            .execute(registration("other", "JAKE@jake.jake", "jake-skateboard-42"), &source())
            .await
            .expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert_eq!(errors.fields()["email"], ["has already been taken"]);
        assert!(!errors.fields().contains_key("username"));
    }

    #[tokio::test]
    async fn a_common_password_is_a_field_error_and_nothing_is_stored() {
        // Given no account yet
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens, open_guard());

        // When someone registers with one of the most common passwords
        let error = register
            .execute(registration("jake", "jake@jake.jake", "Password1"), &source())
            .await
            .expect_err("refused");

        // Then the password field says why, and the name and address stay free
        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert_eq!(errors.fields()["password"], ["is too common (found in a list of breached passwords)"]);
        let retried = register.execute(registration("jake", "jake@jake.jake", "jake-skateboard-42"), &source()).await;
        assert!(retried.is_ok(), "{retried:?}");
    }
}
