use conduit_domain::article::ArticleSummary;
use conduit_domain::usecases::{ArticleChanges, ArticleDraft, FieldUpdate};
use conduit_domain::views::{ArticleListView, ArticleSummaryView, ArticleView, Profile};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field_update;
use super::profiles::ProfileBody;
use crate::ApiError;

/// `{"article": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleEnvelope<T> {
    #[schema(required = true, nullable = false)]
    article: Option<T>,
}

impl<T> ArticleEnvelope<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.article.ok_or_else(|| ApiError::invalid_field("article", "can't be blank"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewArticleFields {
    #[schema(required = true, nullable = false)]
    title: Option<String>,
    #[schema(required = true, nullable = false)]
    description: Option<String>,
    #[schema(required = true, nullable = false)]
    body: Option<String>,
    tag_list: Option<Vec<String>>,
}

impl From<NewArticleFields> for ArticleDraft {
    fn from(fields: NewArticleFields) -> Self {
        ArticleDraft {
            title: fields.title,
            description: fields.description,
            body: fields.body,
            tag_list: fields.tag_list,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ArticleChangeFields {
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    title: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    description: FieldUpdate,
    #[serde(default, deserialize_with = "field_update")]
    #[schema(value_type = Option<String>)]
    body: FieldUpdate,
}

impl From<ArticleChangeFields> for ArticleChanges {
    fn from(fields: ArticleChangeFields) -> Self {
        ArticleChanges { title: fields.title, description: fields.description, body: fields.body }
    }
}

/// The fields every article object has; the single article adds `body`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ArticleFields {
    slug: String,
    title: String,
    description: String,
    tag_list: Vec<String>,
    created_at: String,
    updated_at: String,
    favorited: bool,
    favorites_count: u64,
    author: ProfileBody,
}

impl ArticleFields {
    fn new(summary: &ArticleSummary, author: &Profile, favorited: bool) -> Self {
        Self {
            slug: summary.slug.as_str().to_owned(),
            title: summary.title.as_str().to_owned(),
            description: summary.description.as_str().to_owned(),
            tag_list: summary.tags.iter().map(|tag| tag.as_str().to_owned()).collect(),
            created_at: summary.created_at.to_iso8601(),
            updated_at: summary.updated_at.to_iso8601(),
            favorited,
            favorites_count: summary.favorites_count,
            author: author.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct SingleArticle {
    #[serde(flatten)]
    fields: ArticleFields,
    body: String,
}

/// `{"article": {slug, title, description, body, tagList, createdAt, updatedAt, favorited, favoritesCount, author}}`
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleResponse {
    article: SingleArticle,
}

impl From<&ArticleView> for ArticleResponse {
    fn from(view: &ArticleView) -> Self {
        Self {
            article: SingleArticle {
                fields: ArticleFields::new(&view.article.summary, &view.author, view.favorited),
                body: view.article.body.as_str().to_owned(),
            },
        }
    }
}

/// `{"articles": [... without body ...], "articlesCount": total}`
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticlesResponse {
    articles: Vec<ArticleFields>,
    articles_count: u64,
}

impl From<&ArticleListView> for ArticlesResponse {
    fn from(list: &ArticleListView) -> Self {
        let item = |view: &ArticleSummaryView| ArticleFields::new(&view.summary, &view.author, view.favorited);
        Self { articles: list.articles.iter().map(item).collect(), articles_count: list.total }
    }
}
