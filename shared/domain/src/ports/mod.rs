//! Ports: what the use cases need from the outside world, split by capability so a function links and
//! builds only what it uses (a read-only function never constructs a writer).

mod articles;
mod credentials;
mod users;

pub use articles::{
    ArticleFilter, ArticleReader, ArticleWriter, CommentReader, CommentWriter, FavoriteWriter, FollowReader,
    FollowWriter, Relations, RelationsReader, SummaryPage, TagReader,
};
pub use credentials::{PasswordHasher, TokenIssuer, TokenRejection, TokenVerifier};
pub use users::{StoreError, UniqueField, UserReader, UserWriter};
