use super::personalize::{caller_profile, comment_views};
use super::required;
use crate::article::NewComment;
use crate::ports::{ArticleReader, CommentReader, CommentWriter, RelationsReader};
use crate::values::{ArticleId, CommentBody, CommentId, Slug, Timestamp, UserId};
use crate::views::{CommentView, Profile};
use crate::{DomainError, ValidationErrors};

async fn article_id_of<A: ArticleReader>(articles: &A, raw_slug: &str) -> Result<ArticleId, DomainError> {
    let slug = Slug::parse(raw_slug).map_err(|_| DomainError::NotFound("article"))?;
    let summary = articles.find_summary_by_slug(&slug).await?.ok_or(DomainError::NotFound("article"))?;
    Ok(summary.id)
}

pub struct AddComment<A, C, R> {
    articles: A,
    comments: C,
    relations: R,
}

impl<A: ArticleReader, C: CommentWriter, R: RelationsReader> AddComment<A, C, R> {
    pub fn new(articles: A, comments: C, relations: R) -> Self {
        Self { articles, comments, relations }
    }

    pub async fn execute(&self, caller: UserId, slug: &str, body: Option<String>) -> Result<CommentView, DomainError> {
        let article_id = article_id_of(&self.articles, slug).await?;
        let mut errors = ValidationErrors::default();
        let Some(body) = required(&mut errors, "body", body.as_deref(), CommentBody::parse) else {
            return Err(errors.into());
        };
        let author: Profile = caller_profile(&self.relations, caller).await?;
        let comment = NewComment { article_id, author_id: caller, body, created_at: Timestamp::now() };
        let stored = self.comments.add_comment(comment).await?;
        Ok(CommentView { comment: stored, author })
    }
}

pub struct ListComments<A, C, R> {
    articles: A,
    comments: C,
    relations: R,
}

impl<A: ArticleReader, C: CommentReader, R: RelationsReader> ListComments<A, C, R> {
    pub fn new(articles: A, comments: C, relations: R) -> Self {
        Self { articles, comments, relations }
    }

    pub async fn execute(&self, viewer: Option<UserId>, slug: &str) -> Result<Vec<CommentView>, DomainError> {
        let article_id = article_id_of(&self.articles, slug).await?;
        let comments = self.comments.comments_of(article_id).await?;
        comment_views(&self.relations, viewer, comments).await
    }
}

pub struct DeleteComment<A, C> {
    articles: A,
    comments: C,
}

impl<A: ArticleReader, C: CommentReader + CommentWriter> DeleteComment<A, C> {
    pub fn new(articles: A, comments: C) -> Self {
        Self { articles, comments }
    }

    /// Only the comment's author may delete it (404 for a missing article or comment comes first).
    pub async fn execute(&self, caller: UserId, slug: &str, raw_id: &str) -> Result<(), DomainError> {
        let article_id = article_id_of(&self.articles, slug).await?;
        let id = CommentId::parse(raw_id).map_err(|_| DomainError::NotFound("comment"))?;
        let comment = self.comments.find_comment(article_id, id).await?.ok_or(DomainError::NotFound("comment"))?;
        if comment.author_id != caller {
            return Err(DomainError::Forbidden);
        }
        Ok(self.comments.delete_comment(&comment).await?)
    }
}
