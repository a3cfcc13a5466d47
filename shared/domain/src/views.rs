//! What use cases hand back to the interface: entities together with what they mean to the caller
//! (whether the caller follows the author, has favorited the article).

use crate::User;
use crate::article::{Article, ArticleSummary, Comment};

/// A user as others see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user: User,
    /// Whether the caller follows this user; always false for anonymous callers.
    pub following: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleView {
    pub article: Article,
    pub author: Profile,
    pub favorited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSummaryView {
    pub summary: ArticleSummary,
    pub author: Profile,
    pub favorited: bool,
}

/// One page of a list, with the number of matching articles in total (for paging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleListView {
    pub articles: Vec<ArticleSummaryView>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    pub comment: Comment,
    pub author: Profile,
}

/// One page of an article's comments, oldest first; `more` when comments may follow the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentPageView {
    pub comments: Vec<CommentView>,
    pub more: bool,
}
