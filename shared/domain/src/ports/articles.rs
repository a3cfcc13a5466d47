use std::collections::{HashMap, HashSet};
use std::future::Future;

use super::StoreError;
use crate::User;
use crate::article::{Article, ArticleSummary, Comment, NewComment};
use crate::values::{ArticleId, CommentId, Page, Slug, Tag, UserId};

/// Which articles a list asks for; every filter present must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    pub tag: Option<Tag>,
    pub author: Option<UserId>,
    pub favorited_by: Option<UserId>,
}

/// One page of summaries, most recent first, and how many match in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryPage {
    pub summaries: Vec<ArticleSummary>,
    pub total: u64,
}

pub trait ArticleReader: Send + Sync {
    fn find_by_slug(&self, slug: &Slug) -> impl Future<Output = Result<Option<Article>, StoreError>> + Send;
    /// Without the body: for operations that only need to know the article and its author.
    fn find_summary_by_slug(
        &self,
        slug: &Slug,
    ) -> impl Future<Output = Result<Option<ArticleSummary>, StoreError>> + Send;
    fn find_by_id(&self, id: ArticleId) -> impl Future<Output = Result<Option<Article>, StoreError>> + Send;
    fn list(&self, filter: &ArticleFilter, page: Page) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;
    /// Articles by any of `authors`, most recent first.
    fn by_authors(
        &self,
        authors: &[UserId],
        page: Page,
    ) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;
}

pub trait ArticleWriter: Send + Sync {
    /// Stores a new article. `AlreadyTaken([Slug])` when its slug is in use; nothing is written then.
    fn insert(&self, article: &Article) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the title, description and body (moving the slug when it changed), provided the
    /// stored version is still `previous`'s.
    fn update(&self, previous: &Article, updated: &Article) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes the article and what makes it visible (summary, body, slug, tag entries and
    /// counters) in one atomic write, at a cost that does not depend on its favorites or comments.
    /// Those stay until [`ArticlePurger::purge_deleted`] removes them, hidden meanwhile: no list or
    /// count shows the article, and no new favorite or comment can attach to it.
    fn delete(&self, article: &ArticleSummary) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Removes what a deleted article leaves behind, after its deletion.
pub trait ArticlePurger: Send + Sync {
    /// Removes the article's favorites (each with its fan's count) and comments, in bounded
    /// batches. Idempotent: purging again, or an article that was already purged, changes nothing.
    fn purge_deleted(&self, article: ArticleId) -> impl Future<Output = Result<PurgedArticle, StoreError>> + Send;
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgedArticle {
    pub favorites: usize,
    pub comments: usize,
}

pub trait FavoriteWriter: Send + Sync {
    /// Idempotent. `Missing` when the article no longer exists.
    fn favorite(&self, user: UserId, article: &ArticleSummary) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Idempotent.
    fn unfavorite(&self, user: UserId, article: &ArticleSummary)
    -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait FollowReader: Send + Sync {
    /// Everyone `follower` follows.
    fn followees(&self, follower: UserId) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
}

pub trait FollowWriter: Send + Sync {
    /// Idempotent.
    fn follow(&self, follower: UserId, followee: UserId) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Idempotent.
    fn unfollow(&self, follower: UserId, followee: UserId) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What a set of authors and articles mean to one viewer, fetched in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    pub users: HashMap<UserId, User>,
    /// The authors (of those asked about) the viewer follows.
    pub following: HashSet<UserId>,
    /// The articles (of those asked about) the viewer has favorited.
    pub favorited: HashSet<ArticleId>,
}

pub trait RelationsReader: Send + Sync {
    fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> impl Future<Output = Result<Relations, StoreError>> + Send;
}

pub trait CommentReader: Send + Sync {
    /// Oldest first.
    fn comments_of(&self, article: ArticleId) -> impl Future<Output = Result<Vec<Comment>, StoreError>> + Send;
    fn find_comment(
        &self,
        article: ArticleId,
        id: CommentId,
    ) -> impl Future<Output = Result<Option<Comment>, StoreError>> + Send;
}

pub trait CommentWriter: Send + Sync {
    /// Numbers the comment (unique within its article) and stores it. `Missing` when the article
    /// no longer exists.
    fn add_comment(&self, comment: NewComment) -> impl Future<Output = Result<Comment, StoreError>> + Send;
    fn delete_comment(&self, comment: &Comment) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait TagReader: Send + Sync {
    /// Every tag used by at least one article, most used first.
    fn tags_in_use(&self) -> impl Future<Output = Result<Vec<Tag>, StoreError>> + Send;
}
