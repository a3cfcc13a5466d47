//! Use cases: one file per thing a client can ask for. Each takes raw input, parses it into value
//! objects (collecting every field error), decides, and talks to the outside only through ports.

mod abuse_guard;
mod account_notice;
mod articles;
mod authenticate;
mod comments;
mod feed;
mod get_current_user;
mod login;
mod password_reset;
mod personalize;
mod profiles;
mod purge_article;
mod register;
mod send_once;
mod sessions;
mod tags;
mod update_user;
mod welcome_mail;

pub use abuse_guard::{AbuseGuard, TakenQuota};
pub use account_notice::SendAccountNotice;
pub use articles::{
    ArticleChanges, ArticleDraft, ArticleQuery, ChangeFavorite, CreateArticle, DeleteArticle, GetArticle, ListArticles,
    UpdateArticle,
};
pub use authenticate::Authenticate;
pub use comments::{AddComment, DeleteComment, ListComments};
pub use feed::{ClearEndedFollow, FanOutArticle, FeedArticles};
pub use get_current_user::GetCurrentUser;
pub use login::{Login, LoginInput};
pub use password_reset::{ConfirmPasswordReset, PasswordResetConfirmation, RequestPasswordReset, ResetRequestOutcome};
pub use profiles::{ChangeFollow, GetProfile};
pub use purge_article::PurgeDeletedArticle;
pub use register::{RegisterUser, Registration};
pub use send_once::MailOutcome;
pub use sessions::RevokeSessions;
pub use tags::ListTags;
pub use update_user::{FieldUpdate, UpdateUser, UpdatedUser, UserChanges};
pub use welcome_mail::{NewAccount, SendWelcomeMail};

use crate::ports::UserReader;
use crate::validation::{InvalidValue, ValidationErrors};
use crate::values::Session;
use crate::{DomainError, User};

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

/// The caller's account, if the session the caller presents is still current.
async fn current_account<R: UserReader>(users: &R, session: Session) -> Result<User, DomainError> {
    let user = users.find_by_id(session.user).await?.ok_or(DomainError::NotFound("user"))?;
    if session.is_current(user.session_generation) { Ok(user) } else { Err(DomainError::SessionRevoked) }
}

#[cfg(test)]
pub(crate) mod fakes;
