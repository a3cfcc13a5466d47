//! The home feed: written when articles are published (fan-out), read with one bounded query.

use std::future::Future;

use super::StoreError;
use super::articles::{ArticleRef, SummaryPage};
use crate::values::{Page, UserId};
use crate::work_chunks::{Chunk, WorkBudget};

pub trait FeedReader: Send + Sync {
    /// The articles by the authors `reader` follows, most recent first, their exact number, and
    /// what the reader needs to render them. A follow or unfollow made by the previous request
    /// shows.
    fn feed(&self, reader: UserId, page: Page) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;
}

/// One follow that has ended (an unfollow), named by its period: the feed entries written for it
/// are what the reader's feed must no longer show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedFollow {
    pub reader: UserId,
    pub author: UserId,
    /// Which follow of `author` by `reader` it was: opaque, unique per follow.
    pub period: String,
}

/// The work that follows a write, off the request path (the table's change stream).
pub trait FeedFanOut: Send + Sync {
    /// Writes `article` into the feed of every reader its author's articles are pushed to.
    /// Idempotent: a reader who has it already is skipped. Answers how many feeds got it now.
    fn fan_out(&self, article: ArticleRef) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Removes the next chunk of the entries `follow` left in its reader's feed, within `budget`
    /// (reads leave them out meanwhile). When more is left, where the clearing stands is recorded
    /// so that the next chunk follows; the last chunk ends it. Idempotent. Answers how many
    /// entries were removed now.
    fn clear_ended_follow(
        &self,
        follow: &EndedFollow,
        budget: WorkBudget,
    ) -> impl Future<Output = Result<Chunk<usize>, StoreError>> + Send;
}
