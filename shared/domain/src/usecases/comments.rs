use futures_util::future::join;

use super::personalize::{caller_profile, comment_views};
use super::required;
use crate::article::Comment;
use crate::idempotency::AnswerOf;
use crate::ports::{ArticleReader, CommentReader, CommentWriter, RelationsReader};
use crate::values::{ArticleId, CommentBody, CommentId, CommentPageRequest, Slug, Timestamp, UserId};
use crate::views::{CommentPageView, CommentView};
use crate::write_quotas::{WriteAction, WriteQuotas};
use crate::{DomainError, ValidationErrors};

async fn article_id_of<A: ArticleReader>(articles: &A, raw_slug: &str) -> Result<ArticleId, DomainError> {
    let slug = Slug::parse(raw_slug).map_err(|_| DomainError::NotFound("article"))?;
    let article = articles.resolve_slug(&slug).await?.ok_or(DomainError::NotFound("article"))?;
    Ok(article.id)
}

/// A comment counts against its author's quota.
pub struct AddComment<A, C, R> {
    articles: A,
    comments: C,
    relations: R,
    quotas: WriteQuotas,
}

impl<A: ArticleReader, C: CommentWriter, R: RelationsReader> AddComment<A, C, R> {
    pub fn new(articles: A, comments: C, relations: R, quotas: WriteQuotas) -> Self {
        Self { articles, comments, relations, quotas }
    }

    /// A missing article is reported first (404), then the body (422), then a caller whose
    /// account does not exist (404), before anything is stored; a comment past the author's
    /// quota is refused (429) and not stored.
    pub async fn execute(&self, caller: UserId, slug: &str, body: Option<String>) -> Result<CommentView, DomainError> {
        self.execute_keyed(caller, slug, body, &AnswerOf::unkeyed()).await
    }

    /// Comments, committing `answer`'s completion with the comment (a keyed request).
    #[tracing::instrument(name = "AddComment", skip_all)]
    pub async fn execute_keyed(
        &self,
        caller: UserId,
        slug: &str,
        body: Option<String>,
        answer: &AnswerOf<'_, CommentView>,
    ) -> Result<CommentView, DomainError> {
        let mut errors = ValidationErrors::default();
        let body = required(&mut errors, "body", body.as_deref(), CommentBody::parse);
        // The caller's profile (the answer's author, and proof that the account exists) does not
        // depend on the article: it is read beside the slug.
        let (article_id, author) =
            join(article_id_of(&self.articles, slug), caller_profile(&self.relations, caller)).await;
        let article_id = article_id?;
        let Some(body) = body else { return Err(errors.into()) };
        let author = author?;
        let id = self.comments.next_comment_id(article_id).await?;
        let created_at = Timestamp::now();
        let comment = Comment { id, article_id, author_id: caller, body, created_at, updated_at: created_at };
        let charge = self.quotas.charge(WriteAction::Comment, created_at);
        let view = CommentView { comment, author };
        self.comments.insert_comment(&view.comment, &charge, answer.completion(&view).as_ref()).await?;
        Ok(view)
    }
}

pub struct ListComments<A, C, R> {
    articles: A,
    comments: C,
    relations: R,
    /// The page size when the client names none, and the most it may ask for.
    comments_per_page: usize,
}

impl<A: ArticleReader, C: CommentReader, R: RelationsReader> ListComments<A, C, R> {
    pub fn new(articles: A, comments: C, relations: R, comments_per_page: usize) -> Self {
        Self { articles, comments, relations, comments_per_page }
    }

    /// The comments after `after` (a comment id; from the first when absent), oldest first, at
    /// most `limit` of them. Bad paging is reported per parameter before anything is read.
    #[tracing::instrument(name = "ListComments", skip_all)]
    pub async fn execute(
        &self,
        viewer: Option<UserId>,
        slug: &str,
        limit: Option<&str>,
        after: Option<&str>,
    ) -> Result<CommentPageView, DomainError> {
        let mut errors = ValidationErrors::default();
        let limit = errors.check("limit", CommentPageRequest::parse_limit(limit, self.comments_per_page));
        let after = errors.check("after", CommentPageRequest::parse_after(after));
        let (Some(limit), Some(after)) = (limit, after) else { return Err(errors.into()) };
        let article_id = article_id_of(&self.articles, slug).await?;
        let page = self.comments.comments_page(article_id, CommentPageRequest { after, limit }).await?;
        let comments = comment_views(&self.relations, viewer, page.comments).await?;
        Ok(CommentPageView { comments, more: page.more })
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
    /// The delete itself checks the author, atomically; the comment is read only when it refused,
    /// to tell a missing comment (404) from someone else's (403).
    #[tracing::instrument(name = "DeleteComment", skip_all)]
    pub async fn execute(&self, caller: UserId, slug: &str, raw_id: &str) -> Result<(), DomainError> {
        let article_id = article_id_of(&self.articles, slug).await?;
        let id = CommentId::parse(raw_id).map_err(|_| DomainError::NotFound("comment"))?;
        if self.comments.delete_comment_by(caller, article_id, id).await? {
            return Ok(());
        }
        match self.comments.find_comment(article_id, id).await? {
            None => Err(DomainError::NotFound("comment")),
            Some(comment) if comment.author_id != caller => Err(DomainError::Forbidden),
            // The caller's own comment, although the delete found none: only a comment written
            // between the two could be, and ids are never reused. Answered as a conflict to retry.
            Some(_) => Err(DomainError::Conflict),
        }
    }
}
