//! Ports: what the use cases need from the outside world, split by capability so a function links and
//! builds only what it uses (a read-only function never constructs a writer).

mod articles;
mod credentials;
mod feeds;
mod idempotency;
mod mail;
mod mail_ledger;
mod password_resets;
mod throttles;
mod users;

pub use articles::{
    ArticleFilter, ArticlePurger, ArticleReader, ArticleRef, ArticleWriter, CommentPage, CommentReader, CommentWriter,
    FavoriteWriter, FollowWriter, PurgedArticle, Relations, RelationsReader, SummaryPage, TagReader, ViewedArticle,
};
pub use credentials::{PasswordHasher, TokenIssuer, TokenRejection, TokenVerifier};
pub use feeds::{EndedFollow, FeedFanOut, FeedReader};
pub use idempotency::{IdempotencyKeys, IdempotencyRecords, IdempotencySecrets};
pub use mail::{MailMessage, Mailer};
pub use mail_ledger::MailLedger;
pub use password_resets::{Clock, OneTimeTokens, PasswordResets, SystemClock};
pub use throttles::{Admission, LoginAttempts, SourceQuotas};
pub use users::{SessionReader, StoreError, UniqueField, UserReader, UserWriter};
