use super::{AuthenticatedUser, required};
use crate::ports::{PasswordHasher, TokenIssuer, UserWriter};
use crate::values::{Email, Password, Username};
use crate::{DomainError, User, ValidationErrors};

/// What a client sends to sign up, before any of it is trusted.
#[derive(Debug, Default, Clone)]
pub struct Registration {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

pub struct RegisterUser<W, H, T> {
    users: W,
    hasher: H,
    tokens: T,
}

impl<W: UserWriter, H: PasswordHasher, T: TokenIssuer> RegisterUser<W, H, T> {
    pub fn new(users: W, hasher: H, tokens: T) -> Self {
        Self { users, hasher, tokens }
    }

    /// Creates the account; an e-mail or username already in use is a field error, decided by the
    /// store's atomic claim (so two simultaneous sign-ups cannot both win). The token is issued
    /// before the account is stored: when the signing keys are unavailable nothing is written, and
    /// a retry can still register instead of finding its own e-mail taken.
    pub async fn execute(&self, input: Registration) -> Result<AuthenticatedUser, DomainError> {
        let mut errors = ValidationErrors::default();
        let username = required(&mut errors, "username", input.username.as_deref(), Username::parse);
        let email = required(&mut errors, "email", input.email.as_deref(), Email::parse);
        let password = required(&mut errors, "password", input.password.as_deref(), Password::parse);
        let (Some(username), Some(email), Some(password)) = (username, email, password) else {
            return Err(errors.into());
        };

        let user = User::register(username, email, self.hasher.hash(&password)?);
        let token = self.tokens.issue(user.session()).await?;
        self.users.insert(&user).await?;
        Ok(AuthenticatedUser { user, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InfrastructureError;
    use crate::usecases::fakes::{FakeHasher, FakeTokens, InMemoryUsers};

    fn registration(username: &str, email: &str, password: &str) -> Registration {
        Registration { username: Some(username.into()), email: Some(email.into()), password: Some(password.into()) }
    }

    #[tokio::test]
    async fn registering_stores_a_hashed_password_and_returns_a_token() {
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens);

        let registered =
            register.execute(registration("jake", "jake@jake.jake", "jakejake")).await.expect("registered");

        assert_eq!(registered.user.username.as_str(), "jake");
        assert_eq!(registered.token, format!("token-for-{}@0", registered.user.id));
        let stored = users.get(registered.user.id).expect("stored");
        assert_eq!(stored.password_hash.as_phc(), "hashed:jakejake");
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

        let error = RegisterUser::new(users.clone(), FakeHasher, KeysUnavailable)
            .execute(registration("jake", "jake@jake.jake", "jakejake"))
            .await
            .expect_err("refused");

        assert!(matches!(error, DomainError::Infrastructure(InfrastructureError { unavailable: Some(_), .. })));
        let retried = RegisterUser::new(users, FakeHasher, FakeTokens)
            .execute(registration("jake", "jake@jake.jake", "jakejake"))
            .await;
        assert!(retried.is_ok(), "the e-mail and username are still free: {retried:?}");
    }

    #[tokio::test]
    async fn every_missing_field_is_reported_at_once() {
        let register = RegisterUser::new(InMemoryUsers::default(), FakeHasher, FakeTokens);

        let error = register.execute(Registration::default()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        let fields: Vec<_> = errors.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["email", "password", "username"]);
    }

    #[tokio::test]
    async fn a_taken_email_in_another_case_is_a_field_error() {
        let users = InMemoryUsers::default();
        let register = RegisterUser::new(users.clone(), FakeHasher, FakeTokens);
        register.execute(registration("jake", "jake@jake.jake", "jakejake")).await.expect("first");

        let error = register.execute(registration("other", "JAKE@jake.jake", "jakejake")).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert_eq!(errors.fields()["email"], ["has already been taken"]);
        assert!(!errors.fields().contains_key("username"));
    }
}
