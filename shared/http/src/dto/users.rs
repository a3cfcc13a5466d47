use conduit_domain::User;
use conduit_domain::usecases::{FieldUpdate, LoginInput, PasswordResetConfirmation, Registration, UserChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_update;
use crate::ApiError;

/// `{"user": {...}}`: every user request wraps its fields this way.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserEnvelope<T> {
    #[schema(required = true, nullable = false)]
    user: Option<T>,
}

impl<T> UserEnvelope<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.user.ok_or_else(|| ApiError::invalid_field("user", "can't be blank"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegistrationFields {
    #[schema(required = true, nullable = false)]
    username: Option<String>,
    #[schema(required = true, nullable = false)]
    email: Option<String>,
    #[schema(required = true, nullable = false)]
    password: Option<String>,
}

impl From<RegistrationFields> for Registration {
    fn from(fields: RegistrationFields) -> Self {
        Registration { username: fields.username, email: fields.email, password: fields.password }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginFields {
    #[schema(required = true, nullable = false)]
    email: Option<String>,
    #[schema(required = true, nullable = false)]
    password: Option<String>,
}

impl From<LoginFields> for LoginInput {
    fn from(fields: LoginFields) -> Self {
        LoginInput { email: fields.email, password: fields.password }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateFields {
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    email: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    username: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    password: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    bio: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    image: FieldUpdate,
    /// The account's password as it is now: required with a new `email` or `password`.
    #[serde(default, rename = "currentPassword")]
    current_password: Option<String>,
}

impl From<UpdateFields> for UserChanges {
    fn from(fields: UpdateFields) -> Self {
        UserChanges {
            email: fields.email,
            username: fields.username,
            password: fields.password,
            bio: fields.bio,
            image: fields.image,
            current_password: fields.current_password,
        }
    }
}

/// `POST /api/users/password-reset`: the address to send a reset link to.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequestFields {
    #[schema(required = true, nullable = false)]
    pub email: Option<String>,
}

/// `POST /api/users/password-reset/confirm`: the token from the link, and the new password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetConfirmFields {
    #[schema(required = true, nullable = false)]
    token: Option<String>,
    #[schema(required = true, nullable = false)]
    password: Option<String>,
}

impl From<PasswordResetConfirmFields> for PasswordResetConfirmation {
    fn from(fields: PasswordResetConfirmFields) -> Self {
        PasswordResetConfirmation { token: fields.token, password: fields.password }
    }
}

/// `{}`: the answer to a reset request, the same whether or not the address has an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {}

/// `{"user":{"email","token","username","bio","image"}}`; `bio` and `image` are `null`, never absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    user: UserBody,
}

#[derive(Debug, Serialize, ToSchema)]
struct UserBody {
    email: String,
    token: String,
    username: String,
    #[schema(required = true)]
    bio: Option<String>,
    #[schema(required = true)]
    image: Option<String>,
}

impl UserResponse {
    pub fn new(user: &User, token: String) -> Self {
        Self {
            user: UserBody {
                email: user.email.as_str().to_owned(),
                token,
                username: user.username.as_str().to_owned(),
                bio: user.bio.as_ref().map(|bio| bio.as_str().to_owned()),
                image: user.image.as_ref().map(|image| image.as_str().to_owned()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_tells_absent_null_and_text_apart() {
        let parsed: UserEnvelope<UpdateFields> =
            serde_json::from_str(r#"{"user":{"bio":null,"image":"https://x.io/a.png"}}"#).expect("parsed");
        let changes = UserChanges::from(parsed.into_inner().expect("present"));

        assert_eq!(changes.email, FieldUpdate::Keep);
        assert_eq!(changes.bio, FieldUpdate::Clear);
        assert_eq!(changes.image, FieldUpdate::Set("https://x.io/a.png".into()));
    }

    #[test]
    fn a_missing_envelope_is_a_field_error() {
        let parsed: UserEnvelope<LoginFields> = serde_json::from_str("{}").expect("parsed");
        assert_eq!(parsed.into_inner().expect_err("refused").status().as_u16(), 422);
    }
}
