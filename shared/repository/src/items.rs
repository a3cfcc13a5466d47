//! The stored shapes of the table's items (articles, comments, follows, feed entries) and their
//! conversions to domain types.

use conduit_domain::article::{Article, ArticleSummary, Comment};
use conduit_domain::validation::InvalidValue;
use conduit_domain::values::{
    ArticleBody, ArticleId, CommentBody, CommentId, Description, Slug, TagList, Timestamp, Title, UserId,
};
use serde::{Deserialize, Serialize};

use crate::error::RepositoryError;
use crate::keys;
use crate::table::Item;
pub(crate) use crate::table::string_attribute;

pub(crate) fn corrupt(key: &str, field: &'static str) -> impl FnOnce(InvalidValue) -> RepositoryError {
    let key = key.to_owned();
    move |problem| RepositoryError::CorruptItem { key, source: format!("{field} {problem}").into() }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ArticleItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    /// Always written; absent only from the all-articles index's copy (GSI3 projects the
    /// summary, not other indexes' keys), which lists decode into this shape too.
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub by_author_partition: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub by_author_sort: Option<String>,
    /// The article's shard of the all-articles list. Absent on articles stored before migration
    /// `0001-shard-all-articles` reached them; those carry `GSI2PK = ARTICLES` instead (not read
    /// into this shape: nothing but the legacy list query needs it).
    #[serde(rename = "GSI3PK", default, skip_serializing_if = "Option::is_none")]
    pub shard_partition: Option<String>,
    #[serde(rename = "GSI3SK", default, skip_serializing_if = "Option::is_none")]
    pub shard_sort: Option<String>,
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub author_id: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub favorites_count: u64,
    /// The last comment number handed out (comment ids are unique per article). Not in the
    /// all-articles index's copy: lists do not need it.
    #[serde(default)]
    pub comments_seq: u64,
    pub version: u64,
}

impl ArticleItem {
    pub fn from_summary(summary: &ArticleSummary) -> Self {
        let id = summary.id.to_string();
        let (partition, sort) = keys::article(&id);
        Self {
            partition,
            sort,
            by_author_partition: Some(keys::author_articles_partition(&summary.author_id.to_string())),
            by_author_sort: Some(id.clone()),
            shard_partition: Some(keys::all_articles_shard(&id)),
            shard_sort: Some(id.clone()),
            id,
            slug: summary.slug.as_str().to_owned(),
            title: summary.title.as_str().to_owned(),
            description: summary.description.as_str().to_owned(),
            tags: summary.tags.iter().map(|tag| tag.as_str().to_owned()).collect(),
            author_id: summary.author_id.to_string(),
            created_at: summary.created_at.to_iso8601(),
            updated_at: summary.updated_at.to_iso8601(),
            favorites_count: summary.favorites_count,
            comments_seq: 0,
            version: summary.version,
        }
    }

    pub fn into_summary(self) -> Result<ArticleSummary, RepositoryError> {
        let key = self.partition;
        Ok(ArticleSummary {
            id: ArticleId::parse(&self.id).map_err(corrupt(&key, "id"))?,
            slug: Slug::parse(&self.slug).map_err(corrupt(&key, "slug"))?,
            title: Title::parse(&self.title).map_err(corrupt(&key, "title"))?,
            description: Description::parse(&self.description).map_err(corrupt(&key, "description"))?,
            tags: TagList::parse(&self.tags).map_err(corrupt(&key, "tags"))?,
            author_id: UserId::parse(&self.author_id).map_err(corrupt(&key, "author_id"))?,
            created_at: Timestamp::parse_iso8601(&self.created_at).map_err(corrupt(&key, "created_at"))?,
            updated_at: Timestamp::parse_iso8601(&self.updated_at).map_err(corrupt(&key, "updated_at"))?,
            favorites_count: self.favorites_count,
            version: self.version,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct BodyItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    pub body: String,
}

impl BodyItem {
    pub fn new(id: ArticleId, body: &ArticleBody) -> Self {
        let (partition, sort) = keys::article_body(&id.to_string());
        Self { partition, sort, body: body.as_str().to_owned() }
    }
}

/// Joins a summary item and a body item into an article.
pub(crate) fn article_from(summary: ArticleItem, body: BodyItem) -> Result<Article, RepositoryError> {
    let body = ArticleBody::parse(&body.body).map_err(corrupt(&body.partition, "body"))?;
    Ok(Article { summary: summary.into_summary()?, body })
}

/// Which article a slug names, and its (immutable) author, so a request can read the author's
/// profile together with the article.
#[derive(Serialize, Deserialize)]
pub(crate) struct SlugClaimItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    pub article_id: String,
    /// Absent on claims written before claims named the author; reads then learn the author from
    /// the summary, one round trip later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
}

/// An entry of a list keyed by article id (a tag's articles, a user's favorites), carrying the
/// article's author so combined filters need not read the article.
#[derive(Serialize, Deserialize)]
pub(crate) struct ListEntryItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    #[serde(rename = "GSI1PK", skip_serializing_if = "Option::is_none", default)]
    pub index_partition: Option<String>,
    #[serde(rename = "GSI1SK", skip_serializing_if = "Option::is_none", default)]
    pub index_sort: Option<String>,
    pub author_id: String,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct CounterItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    #[serde(default)]
    pub count: i64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct CommentItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    pub id: u64,
    pub article_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

impl CommentItem {
    pub fn from_comment(comment: &Comment) -> Self {
        let (partition, sort) = keys::comment(&comment.article_id.to_string(), comment.id.value());
        Self {
            partition,
            sort,
            id: comment.id.value(),
            article_id: comment.article_id.to_string(),
            author_id: comment.author_id.to_string(),
            body: comment.body.as_str().to_owned(),
            created_at: comment.created_at.to_iso8601(),
            updated_at: comment.updated_at.to_iso8601(),
        }
    }

    pub fn into_comment(self) -> Result<Comment, RepositoryError> {
        let key = format!("{}/{}", self.partition, self.sort);
        Ok(Comment {
            id: CommentId::new(self.id).map_err(corrupt(&key, "id"))?,
            article_id: ArticleId::parse(&self.article_id).map_err(corrupt(&key, "article_id"))?,
            author_id: UserId::parse(&self.author_id).map_err(corrupt(&key, "author_id"))?,
            body: CommentBody::parse(&self.body).map_err(corrupt(&key, "body"))?,
            created_at: Timestamp::parse_iso8601(&self.created_at).map_err(corrupt(&key, "created_at"))?,
            updated_at: Timestamp::parse_iso8601(&self.updated_at).map_err(corrupt(&key, "updated_at"))?,
        })
    }
}

/// The sort key of an item as text (list entries keep the article id there).
pub(crate) fn sort_key(item: &Item) -> Option<&str> {
    item.get(keys::SORT_KEY).and_then(|value| value.as_s().ok()).map(String::as_str)
}

/// A follow as stored. Pushed follows carry the followers-index keys, their period and how many
/// entries of that period the follower's feed holds; pulled follows carry none of them, as do
/// follows stored before feeds were written on publish (migration `0003-pull-earlier-follows` gives
/// those their pull markers).
#[derive(Serialize, Deserialize)]
pub(crate) struct FollowItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    #[serde(rename = "GSI1PK", default, skip_serializing_if = "Option::is_none")]
    pub followers_partition: Option<String>,
    #[serde(rename = "GSI1SK", default, skip_serializing_if = "Option::is_none")]
    pub followers_sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_entries: Option<u64>,
}

/// One article in one reader's feed, written for one follow period of its author.
#[derive(Serialize, Deserialize)]
pub(crate) struct FeedEntryItem {
    #[serde(rename = "PK")]
    pub partition: String,
    #[serde(rename = "SK")]
    pub sort: String,
    pub author_id: String,
    pub period: String,
}

impl FeedEntryItem {
    pub fn new(reader: &str, article: &str, author: &str, period: &str) -> Self {
        let (partition, sort) = keys::feed_entry(reader, article);
        Self { partition, sort, author_id: author.to_owned(), period: period.to_owned() }
    }
}
