use super::{AuthenticatedUser, required};
use crate::ports::{PasswordHasher, TokenIssuer, UserReader};
use crate::values::{Email, Password};
use crate::{DomainError, ValidationErrors};

#[derive(Debug, Default, Clone)]
pub struct LoginInput {
    pub email: Option<String>,
    pub password: Option<String>,
}

pub struct Login<R, H, T> {
    users: R,
    hasher: H,
    tokens: T,
}

impl<R: UserReader, H: PasswordHasher, T: TokenIssuer> Login<R, H, T> {
    pub fn new(users: R, hasher: H, tokens: T) -> Self {
        Self { users, hasher, tokens }
    }

    /// An unknown e-mail and a wrong password are the same answer, in the same time, so the endpoint
    /// does not reveal which addresses have accounts.
    pub async fn execute(&self, input: LoginInput) -> Result<AuthenticatedUser, DomainError> {
        let mut errors = ValidationErrors::default();
        let email = required(&mut errors, "email", input.email.as_deref(), |raw| {
            // A malformed address cannot match an account; say so the way a mismatch would.
            Ok(Email::parse(raw).ok())
        });
        let password = required(&mut errors, "password", input.password.as_deref(), Password::for_login);
        let (Some(email), Some(password)) = (email, password) else {
            return Err(errors.into());
        };

        let user = match email {
            Some(email) => self.users.find_by_email(&email).await?,
            None => None,
        };
        let Some(user) = user else {
            self.hasher.verify_against_nothing(&password);
            return Err(DomainError::InvalidCredentials);
        };
        if !self.hasher.verify(&password, &user.password_hash)? {
            return Err(DomainError::InvalidCredentials);
        }
        let token = self.tokens.issue(user.session()).await?;
        Ok(AuthenticatedUser { user, token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usecases::fakes::{FakeHasher, FakeTokens, InMemoryUsers};

    fn login_input(email: &str, password: &str) -> LoginInput {
        LoginInput { email: Some(email.into()), password: Some(password.into()) }
    }

    #[tokio::test]
    async fn the_right_password_logs_in_whatever_the_email_case() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let login = Login::new(users, FakeHasher, FakeTokens);

        let logged_in = login.execute(login_input("JAKE@jake.jake", "jakejake")).await.expect("logged in");

        assert_eq!(logged_in.user.username.as_str(), "jake");
        assert!(logged_in.token.starts_with("token-for-"));
    }

    #[tokio::test]
    async fn a_wrong_password_and_an_unknown_email_are_indistinguishable() {
        let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
        let login = Login::new(users, FakeHasher, FakeTokens);

        for (email, password) in
            [("jake@jake.jake", "wrong-password"), ("nobody@jake.jake", "jakejake"), ("not-an-email", "x")]
        {
            let error = login.execute(login_input(email, password)).await.expect_err("refused");
            assert!(matches!(error, DomainError::InvalidCredentials), "{email}: {error:?}");
        }
    }

    #[tokio::test]
    async fn missing_fields_are_validation_errors() {
        let login = Login::new(InMemoryUsers::default(), FakeHasher, FakeTokens);

        let error = login.execute(LoginInput::default()).await.expect_err("refused");

        let DomainError::Validation(errors) = error else { panic!("expected validation, got {error:?}") };
        assert_eq!(errors.fields()["email"], ["can't be blank"]);
        assert_eq!(errors.fields()["password"], ["can't be blank"]);
    }
}
