//! Use cases: one file per thing a client can ask for. Each takes raw input, parses it into value
//! objects (collecting every field error), decides, and talks to the outside only through ports.

mod articles;
mod comments;
mod get_current_user;
mod login;
mod personalize;
mod profiles;
mod register;
mod tags;
mod update_user;

pub use articles::{
    ArticleChanges, ArticleDraft, ArticleQuery, ChangeFavorite, CreateArticle, DeleteArticle, FeedArticles, GetArticle,
    ListArticles, UpdateArticle,
};
pub use comments::{AddComment, DeleteComment, ListComments};
pub use get_current_user::GetCurrentUser;
pub use login::{Login, LoginInput};
pub use profiles::{ChangeFollow, GetProfile};
pub use register::{RegisterUser, Registration};
pub use tags::ListTags;
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
