use super::{AbuseGuard, AuthenticatedUser, required};
use crate::ports::{Clock, LoginAttempts, PasswordHasher, SourceQuotas, TokenIssuer, UserReader};
use crate::throttling::QuotaAction;
use crate::values::{ClientSource, Email, Password};
use crate::{DomainError, ValidationErrors};

#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

pub struct Login<R, H, T, S, C> {
    users: R,
    hasher: H,
    tokens: T,
    guard: AbuseGuard<S, C>,
}

impl<R, H, T, S, C> Login<R, H, T, S, C>
where
    R: UserReader,
    H: PasswordHasher,
    T: TokenIssuer,
    S: LoginAttempts + SourceQuotas,
    C: Clock,
{
    pub fn new(users: R, hasher: H, tokens: T, guard: AbuseGuard<S, C>) -> Self {
        Self { users, hasher, tokens, guard }
    }

    /// An unknown e-mail and a wrong password are the same answer, in the same time, so the endpoint
    /// does not reveal which addresses have accounts. Before any password is checked, the attempt
    /// is counted against the source's failed logins, then against the address's: a refusal (429)
    /// checks nothing, and concurrent attempts cannot check more passwords than the limits allow.
    #[tracing::instrument(name = "Login", skip_all)]
    pub async fn execute(&self, input: LoginInput, source: &ClientSource) -> Result<AuthenticatedUser, DomainError> {
        let mut errors = ValidationErrors::default();
        let email = required(&mut errors, "email", input.email.as_deref(), |raw| {
            // A malformed address cannot match an account; say so the way a mismatch would.
            Ok(Email::parse(raw).ok())
        });
        let password = required(&mut errors, "password", input.password.as_deref(), Password::for_login);
        let (Some(email), Some(password)) = (email, password) else {
            return Err(errors.into());
        };

        // The source's count and the address lookup at once: neither depends on the other.
        let holder = async {
            match &email {
                Some(email) => self.users.id_by_email(email).await.map_err(DomainError::from),
                None => Ok(None),
            }
        };
        let (taken, holder) =
            futures_util::future::try_join(self.guard.take(QuotaAction::FailedLogin, source), holder).await?;
        let Some(email) = email else {
            self.hasher.verify_against_nothing(&password);
            return Err(DomainError::InvalidCredentials);
        };
        // The address's count and the account at once; the count is taken whether or not the
        // address has an account, so a 429 tells nothing about which ones do.
        let account = async {
            match holder {
                Some(id) => self.users.find_by_id(id).await.map_err(DomainError::from),
                None => Ok(None),
            }
        };
        let ((), user) = futures_util::future::try_join(self.guard.begin_password_check(&email), account).await?;
        let Some(user) = user else {
            self.hasher.verify_against_nothing(&password);
            return Err(DomainError::InvalidCredentials);
        };
        if !self.hasher.verify(&password, &user.password_hash)? {
            return Err(DomainError::InvalidCredentials);
        }
        // A success is not a failure: the address's count is forgotten and the source's returned.
        let (token, (), ()) = futures_util::future::join3(
            self.tokens.issue(user.session()),
            self.guard.forget_failures(&email),
            self.guard.give_back(&taken),
        )
        .await;
        Ok(AuthenticatedUser { user, token: token? })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::throttling::{AbuseLimits, LoginBackoff, ThrottleScope, Throttled, WindowQuota};
    use crate::usecases::fakes::{FakeHasher, FakeTokens, FixedClock, InMemoryThrottles, InMemoryUsers, guard};

    fn login_input(email: &str, password: &str) -> LoginInput {
        LoginInput { email: Some(email.into()), password: Some(password.into()) }
    }

    fn office() -> ClientSource {
        ClientSource::parse("203.0.113.7")
    }

    struct World {
        login: Login<InMemoryUsers, FakeHasher, FakeTokens, InMemoryThrottles, FixedClock>,
        throttles: InMemoryThrottles,
        clock: FixedClock,
    }

    /// Jake's account, and limits small enough to reach: 2 free attempts then 10 s doubling to
    /// 40 s per account; 6 failed logins per source in 15 minutes.
    fn world() -> World {
        let limits = AbuseLimits {
            login_backoff: LoginBackoff {
                free_attempts: 2,
                first_delay: Duration::from_secs(10),
                max_delay: Duration::from_secs(40),
            },
            failed_logins_per_source: WindowQuota { max: 6, window: Duration::from_secs(900) },
            ..AbuseLimits::default()
        };
        let throttles = InMemoryThrottles::default();
        let clock = FixedClock::at("2026-01-01T10:00:00Z");
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let login = Login::new(users, FakeHasher, FakeTokens, guard(&throttles, &clock, limits));
        World { login, throttles, clock }
    }

    fn throttled(result: Result<AuthenticatedUser, DomainError>) -> Option<Throttled> {
        match result {
            Err(DomainError::Throttled(throttled)) => Some(throttled),
            _ => None,
        }
    }

    #[tokio::test]
    async fn the_right_password_logs_in_whatever_the_email_case() {
        let world = world();

        let logged_in = world.login.execute(login_input("JAKE@jake.jake", "jakejake"), &office()).await.expect("in");

        assert_eq!(logged_in.user.username.as_str(), "jake");
        assert!(logged_in.token.starts_with("token-for-"));
    }

    #[tokio::test]
    async fn a_wrong_password_and_an_unknown_email_are_indistinguishable() {
        let world = world();

        for (email, password) in
            [("jake@jake.jake", "wrong-password"), ("nobody@jake.jake", "jakejake"), ("not-an-email", "x")]
        {
            let error = world.login.execute(login_input(email, password), &office()).await.expect_err("refused");
            assert!(matches!(error, DomainError::InvalidCredentials), "{email}: {error:?}");
        }
    }

    #[tokio::test]
    async fn missing_fields_are_validation_errors() {
        let world = world();

        let error = world.login.execute(LoginInput::default(), &office()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert_eq!(errors.fields()["email"], ["can't be blank"]);
        assert_eq!(errors.fields()["password"], ["can't be blank"]);
    }

    #[tokio::test]
    async fn past_the_free_attempts_an_account_waits_longer_after_each_failure_even_with_the_right_password() {
        let world = world();
        let wrong = || login_input("jake@jake.jake", "wrong-password");
        // Given the two free attempts spent on wrong passwords
        for _ in 0..2 {
            assert!(matches!(world.login.execute(wrong(), &office()).await, Err(DomainError::InvalidCredentials)));
        }

        // When the right password comes at once, then a wrong one 10 s later, then one 19 s after that
        let at_once = world.login.execute(login_input("jake@jake.jake", "jakejake"), &office()).await;
        world.clock.advance(Duration::from_secs(10));
        let after_the_first_delay = world.login.execute(wrong(), &office()).await;
        world.clock.advance(Duration::from_secs(19));
        let before_the_doubled_delay = world.login.execute(wrong(), &office()).await;

        // Then the right password is refused unchecked, and the next wait is twice the first
        assert_eq!(
            throttled(at_once),
            Some(Throttled { scope: ThrottleScope::Account, retry_after: Duration::from_secs(10) })
        );
        assert!(matches!(after_the_first_delay, Err(DomainError::InvalidCredentials)));
        assert_eq!(
            throttled(before_the_doubled_delay),
            Some(Throttled { scope: ThrottleScope::Account, retry_after: Duration::from_secs(1) })
        );
    }

    #[tokio::test]
    async fn a_success_forgets_the_accounts_failures_and_returns_the_sources_count() {
        let world = world();
        world.login.execute(login_input("jake@jake.jake", "wrong-password"), &office()).await.expect_err("wrong");

        world.login.execute(login_input("jake@jake.jake", "jakejake"), &office()).await.expect("logged in");

        assert_eq!(world.throttles.failures_of("jake@jake.jake"), 0);
        // Five more failures fit in the source's six: the success was given back.
        for n in 0..5 {
            let other = login_input(&format!("user{n}@jake.jake"), "wrong-password");
            assert!(matches!(world.login.execute(other, &office()).await, Err(DomainError::InvalidCredentials)));
        }
    }

    #[tokio::test]
    async fn one_source_guessing_across_many_accounts_is_throttled_whatever_the_accounts() {
        let world = world();
        for n in 0..6 {
            let guess = login_input(&format!("user{n}@jake.jake"), "wrong-password");
            assert!(matches!(world.login.execute(guess, &office()).await, Err(DomainError::InvalidCredentials)));
        }

        let seventh = world.login.execute(login_input("user6@jake.jake", "wrong-password"), &office()).await;
        let elsewhere =
            world.login.execute(login_input("jake@jake.jake", "jakejake"), &ClientSource::parse("198.51.100.1")).await;

        assert_eq!(throttled(seventh).map(|refusal| refusal.scope), Some(ThrottleScope::Source));
        assert!(elsewhere.is_ok(), "another source is not limited: {elsewhere:?}");
        assert_eq!(world.throttles.failures_of("user6@jake.jake"), 0, "a refused source counts on no account");
    }
}
