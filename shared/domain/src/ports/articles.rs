use crate::idempotency::Completion;
use std::collections::{HashMap, HashSet};
use std::future::Future;

use super::StoreError;
use crate::User;
use crate::article::{Article, ArticleSummary, Comment};
use crate::values::{ArticleId, CommentId, CommentPageRequest, Page, Slug, Tag, UserId, Username};
use crate::work_chunks::{Chunk, WorkBudget};
use crate::write_quotas::WriteCharge;

/// Which articles a list asks for; every filter present must match. A username that names nobody
/// matches no article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    pub tag: Option<Tag>,
    pub author: Option<Username>,
    pub favorited_by: Option<Username>,
}

/// One page of summaries, most recent first, how many match in total, and what the viewer the
/// page was read for needs to render it (the authors, and the viewer's follows and favorites
/// among them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryPage {
    pub summaries: Vec<ArticleSummary>,
    pub total: u64,
    pub relations: Relations,
}

/// What a slug names: an article and its author, who never changes. Enough to favorite the article
/// or comment on it without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleRef {
    pub id: ArticleId,
    pub author_id: UserId,
}

impl From<&ArticleSummary> for ArticleRef {
    fn from(summary: &ArticleSummary) -> Self {
        Self { id: summary.id, author_id: summary.author_id }
    }
}

/// An article with what the viewer it was read for needs to render it: its author, and whether
/// the viewer follows them and has favorited it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewedArticle {
    pub article: Article,
    pub relations: Relations,
}

pub trait ArticleReader: Send + Sync {
    /// Which article `slug` names, and its author.
    fn resolve_slug(&self, slug: &Slug) -> impl Future<Output = Result<Option<ArticleRef>, StoreError>> + Send;
    /// The article `slug` names, read together with what `viewer` needs to render it.
    fn find_by_slug(
        &self,
        slug: &Slug,
        viewer: Option<UserId>,
    ) -> impl Future<Output = Result<Option<ViewedArticle>, StoreError>> + Send;
    /// Like [`Self::find_by_slug`], for an article already resolved.
    fn find_by_ref(
        &self,
        article: ArticleRef,
        viewer: Option<UserId>,
    ) -> impl Future<Output = Result<Option<ViewedArticle>, StoreError>> + Send;
    /// Without the body: for operations that only need to know the article and its author.
    fn find_summary_by_slug(
        &self,
        slug: &Slug,
    ) -> impl Future<Output = Result<Option<ArticleSummary>, StoreError>> + Send;
    fn list(
        &self,
        filter: &ArticleFilter,
        page: Page,
        viewer: Option<UserId>,
    ) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;
}

pub trait ArticleWriter: Send + Sync {
    /// Stores a new article, counted by `charge` in the same atomic write. `AlreadyTaken([Slug])`
    /// when its slug is in use, `OverQuota` when the author's quota is used up; nothing is written
    /// (or counted) then. A keyed request's `completion` commits with it (see
    /// [`Completion`]): `KeyTaken` when another attempt holds the key, and nothing is written.
    fn insert(
        &self,
        article: &Article,
        charge: &WriteCharge,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the title, description and body (moving the slug when it changed), provided the
    /// stored version is still `previous`'s. A keyed request's `completion` commits with it.
    fn update(
        &self,
        previous: &Article,
        updated: &Article,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes the article and what makes it visible (summary, body, slug, tag entries and
    /// counters) in one atomic write, at a cost that does not depend on its favorites or comments.
    /// Those stay until [`ArticlePurger::purge_deleted`] removes them, hidden meanwhile: no list or
    /// count shows the article, and no new favorite or comment can attach to it.
    fn delete(&self, article: &ArticleSummary) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Removes what a deleted article leaves behind, after its deletion.
pub trait ArticlePurger: Send + Sync {
    /// Removes the next chunk of what the deleted article left, within `budget`: its favorites
    /// (each with its fan's count), its comments and its entries in its author's followers' feeds
    /// (each with the feed's count). When more is left, where the purge stands is recorded so that
    /// the next chunk follows; the last chunk ends the purge. Idempotent: a chunk delivered twice,
    /// or after the purge ended, removes nothing twice.
    fn purge_deleted(
        &self,
        article: ArticleRef,
        budget: WorkBudget,
    ) -> impl Future<Output = Result<Chunk<PurgedArticle>, StoreError>> + Send;
}

/// What a chunk of a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgedArticle {
    pub favorites: usize,
    pub comments: usize,
    pub feed_entries: usize,
}

pub trait FavoriteWriter: Send + Sync {
    /// Idempotent: a new favorite is counted by `charge` in the same atomic write, a repeated one
    /// changes and counts nothing. `Missing` when the article or the fan's account no longer
    /// exists, `OverQuota` when the fan's quota is used up; nothing is written then.
    fn favorite(
        &self,
        user: UserId,
        article: ArticleRef,
        charge: &WriteCharge,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Idempotent.
    fn unfavorite(&self, user: UserId, article: ArticleRef) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait FollowWriter: Send + Sync {
    /// Idempotent: a new follow is counted by `charge` in the same atomic write, a repeated one
    /// changes and counts nothing; `OverQuota` when the follower's quota is used up, and nothing
    /// is written then. The followee's earlier articles (the most recent ones, up to a bound the
    /// adapter states) are in the follower's feed from the next read on.
    fn follow(
        &self,
        follower: UserId,
        followee: UserId,
        charge: &WriteCharge,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Idempotent. The followee's articles are out of the follower's feed from the next read on.
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
    /// Exactly as stored: a profile, an article, an account that must exist.
    fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> impl Future<Output = Result<Relations, StoreError>> + Send;
    /// For a page naming many authors (comments): the viewer's follows and favorites exactly as
    /// stored, the other authors' profiles possibly a moment old (as lists' summaries are), which
    /// is what makes a page cheap to read.
    fn page_relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> impl Future<Output = Result<Relations, StoreError>> + Send;
    /// The account `username` names (case-insensitive) and what it is to `viewer`, read together;
    /// `None` when the username names nobody.
    fn relations_by_username(
        &self,
        viewer: Option<UserId>,
        username: &Username,
    ) -> impl Future<Output = Result<Option<(UserId, Relations)>, StoreError>> + Send;
}

/// One page of an article's comments, oldest first; `more` when comments may follow it.
#[derive(Debug, Clone, Default)]
pub struct CommentPage {
    pub comments: Vec<Comment>,
    pub more: bool,
}

pub trait CommentReader: Send + Sync {
    /// The comments `request` asks for, read in one bounded step: the page may hold fewer than
    /// its limit (with `more` set) when their size alone fills what one read returns.
    fn comments_page(
        &self,
        article: ArticleId,
        request: CommentPageRequest,
    ) -> impl Future<Output = Result<CommentPage, StoreError>> + Send;
    fn find_comment(
        &self,
        article: ArticleId,
        id: CommentId,
    ) -> impl Future<Output = Result<Option<Comment>, StoreError>> + Send;
}

pub trait CommentWriter: Send + Sync {
    /// Takes the article's next comment number: unique within the article, never handed out
    /// again (a number taken for a comment that is then not stored is a harmless gap).
    /// `Missing` when the article no longer exists.
    fn next_comment_id(&self, article: ArticleId) -> impl Future<Output = Result<CommentId, StoreError>> + Send;
    /// Stores a comment numbered by [`Self::next_comment_id`], counted by `charge` in the same
    /// atomic write; `OverQuota` when the author's quota is used up, and nothing is written then
    /// (the number taken stays a gap). A keyed request's `completion` commits with it.
    fn insert_comment(
        &self,
        comment: &Comment,
        charge: &WriteCharge,
        completion: Option<&Completion>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletes the comment if `author` wrote it, in one conditional write; `false` when no such
    /// comment by `author` exists, and then nothing was deleted.
    fn delete_comment_by(
        &self,
        author: UserId,
        article: ArticleId,
        id: CommentId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

pub trait TagReader: Send + Sync {
    /// The `limit` tags used by the most articles, most used first (ties in tag order); a tag no
    /// article uses any more is not among them.
    fn most_used_tags(&self, limit: usize) -> impl Future<Output = Result<Vec<Tag>, StoreError>> + Send;
}
