//! Value objects: each can only hold a valid value, so the rest of the code never re-checks them.

mod article_id;
mod article_text;
mod bio;
mod client_source;
mod comment_id;
mod comment_page;
mod common_passwords;
mod email;
mod idempotency_key;
mod image_url;
mod paging;
mod password;
mod reset_token;
mod session;
mod slug;
mod tags;
mod timestamp;
mod user_id;
mod username;

pub use article_id::ArticleId;
pub use article_text::{ArticleBody, CommentBody, Description, Title};
pub use bio::Bio;
pub use client_source::ClientSource;
pub use comment_id::CommentId;
pub use comment_page::CommentPageRequest;
pub use email::Email;
pub use idempotency_key::IdempotencyKey;
pub use image_url::ImageUrl;
pub use paging::Page;
pub use password::{Password, PasswordHash};
pub use reset_token::{ResetToken, TokenDigest, reset_token_refused};
pub use session::{Session, SessionGeneration};
pub use slug::Slug;
pub use tags::{Tag, TagList};
pub use timestamp::Timestamp;
pub use user_id::UserId;
pub use username::Username;

use crate::validation::InvalidValue;

/// Trims `raw` and refuses it when nothing is left, the first rule of every text field.
fn non_blank(raw: &str) -> Result<&str, InvalidValue> {
    let trimmed = raw.trim();
    if trimmed.is_empty() { Err(InvalidValue::blank()) } else { Ok(trimmed) }
}

/// Refuses text longer than `maximum` characters (not bytes: limits are stated to users in characters).
fn at_most(text: &str, maximum: usize) -> Result<&str, InvalidValue> {
    if text.chars().count() > maximum { Err(InvalidValue::too_long(maximum)) } else { Ok(text) }
}
