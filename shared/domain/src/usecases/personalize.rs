//! Turning stored articles and comments into what one viewer sees: authors as profiles with
//! `following`, articles with `favorited`. One relations read per response, whatever its size.

use std::collections::HashSet;

use crate::DomainError;
use crate::article::{Article, Comment};
use crate::ports::{Relations, RelationsReader, SummaryPage};
use crate::values::UserId;
use crate::views::{ArticleListView, ArticleSummaryView, ArticleView, CommentView, Profile};

fn distinct<T: Copy + Eq + std::hash::Hash>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

pub(crate) fn profile(relations: &Relations, user: UserId) -> Option<Profile> {
    let user = relations.users.get(&user)?.clone();
    let following = relations.following.contains(&user.id);
    Some(Profile { user, following })
}

/// Authors are never deleted, so a missing one means the store is inconsistent.
fn missing_author() -> DomainError {
    DomainError::Infrastructure(crate::error::InfrastructureError::new(
        "loading an author",
        "an author referenced by an article or comment does not exist",
    ))
}

/// A page as its viewer sees it, from the relations read with it.
pub(crate) fn list_view(page: SummaryPage) -> Result<ArticleListView, DomainError> {
    let SummaryPage { summaries, total, relations } = page;
    let articles = summaries
        .into_iter()
        .map(|summary| {
            let author = profile(&relations, summary.author_id).ok_or_else(missing_author)?;
            let favorited = relations.favorited.contains(&summary.id);
            Ok(ArticleSummaryView { summary, author, favorited })
        })
        .collect::<Result<_, DomainError>>()?;
    Ok(ArticleListView { articles, total })
}

/// An article as its viewer sees it, from the relations read with it.
pub(crate) fn viewed(article: Article, relations: &Relations) -> Result<ArticleView, DomainError> {
    let author = profile(relations, article.summary.author_id).ok_or_else(missing_author)?;
    let favorited = relations.favorited.contains(&article.summary.id);
    Ok(ArticleView { article, author, favorited })
}

pub(crate) async fn comment_views<R: RelationsReader>(
    reader: &R,
    viewer: Option<UserId>,
    comments: Vec<Comment>,
) -> Result<Vec<CommentView>, DomainError> {
    let authors = distinct(comments.iter().map(|comment| comment.author_id));
    let relations = reader.page_relations(viewer, &authors, &[]).await?;
    comments
        .into_iter()
        .map(|comment| {
            let author = profile(&relations, comment.author_id).ok_or_else(missing_author)?;
            Ok(CommentView { comment, author })
        })
        .collect()
}

/// The caller's own profile, read before acting on their behalf: a validly signed token may still
/// name an account that does not exist, and nothing should be stored in its name.
pub(crate) async fn caller_profile<R: RelationsReader>(reader: &R, caller: UserId) -> Result<Profile, DomainError> {
    let relations = reader.relations(None, &[caller], &[]).await?;
    profile(&relations, caller).ok_or(DomainError::NotFound("user"))
}
