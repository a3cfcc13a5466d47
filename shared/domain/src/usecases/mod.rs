//! Use cases: one file per thing a client can ask for. Each takes raw input, parses it into value
//! objects (collecting every field error), decides, and talks to the outside only through ports.

mod get_current_user;
mod login;
mod register;
mod update_user;

pub use get_current_user::GetCurrentUser;
pub use login::{Login, LoginInput};
pub use register::{RegisterUser, Registration};
pub use update_user::{FieldUpdate, UpdateUser, UserChanges};

use crate::User;
use crate::validation::{InvalidValue, ValidationErrors};

/// A user together with a fresh token for them: what registering and logging in hand back.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub user: User,
    pub token: String,
}

/// Parses a field the client must send: absent or blank is "can't be blank".
fn required<T>(
    errors: &mut ValidationErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
) -> Option<T> {
    let parsed = raw.ok_or_else(InvalidValue::blank).and_then(parse);
    errors.check(field, parsed)
}

#[cfg(test)]
pub(crate) mod fakes;
