//! Articles and their comments.

use crate::values::{
    ArticleBody, ArticleId, CommentBody, CommentId, Description, Slug, TagList, Timestamp, Title, UserId,
};

/// Everything about an article but its body: what lists show. Stored apart from the body so a
/// list never pays to read bodies it does not return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleSummary {
    pub id: ArticleId,
    pub slug: Slug,
    pub title: Title,
    pub description: Description,
    pub tags: TagList,
    pub author_id: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub favorites_count: u64,
    /// Increases with every edit, for optimistic concurrency.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub summary: ArticleSummary,
    pub body: ArticleBody,
}

impl Article {
    pub fn publish(
        author_id: UserId,
        title: Title,
        description: Description,
        body: ArticleBody,
        tags: TagList,
    ) -> Self {
        let now = Timestamp::now();
        Self {
            summary: ArticleSummary {
                id: ArticleId::generate(),
                slug: Slug::from_title(&title),
                title,
                description,
                tags,
                author_id,
                created_at: now,
                updated_at: now,
                favorites_count: 0,
                version: 1,
            },
            body,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub article_id: ArticleId,
    pub author_id: UserId,
    pub body: CommentBody,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
