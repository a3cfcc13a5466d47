//! Consumer of the table's change stream: when an article item is removed (the article was
//! deleted), remove what it leaves behind, its favorites (keeping every fan's count exact), its
//! comments and its entries in followers' feeds (keeping every feed's count exact). The delete
//! request itself then costs the same whatever the article's popularity.

use conduit_bootstrap::{Adapters, DynamoArticles, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::ArticleRef;
use conduit_domain::usecases::PurgeDeletedArticle;
use conduit_domain::values::{ArticleId, UserId};
use conduit_streams::{RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The event source's filter (Lambda event filtering): only the removal of an article item.
/// `template.yaml` declares the same pattern (a test holds them equal); the local gateway applies it.
pub const FILTER_PATTERNS: &[&str] = &[r#"{"eventName":["REMOVE"],"dynamodb":{"Keys":{"SK":{"S":["ARTICLE"]}}}}"#];

/// What the consumer reads of the removed article item (its old image).
#[derive(Deserialize)]
struct RemovedArticleImage {
    author_id: String,
}

pub struct PurgeConsumer {
    purge: PurgeDeletedArticle<DynamoArticles>,
}

impl PurgeConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { purge: PurgeDeletedArticle::new(adapters.articles()) })
    }
}

/// The article a removed item was: its key is `ARTICLE#<id>` / `ARTICLE`, its old image names the
/// author.
fn removed_article(record: &StreamRecord) -> Result<Option<ArticleRef>, RecordError> {
    let keys = serde_json::to_value(&record.change.keys).map_err(|error| RecordError::Unreadable(error.to_string()))?;
    if record.event_name != "REMOVE" || keys["SK"]["S"] != "ARTICLE" {
        return Ok(None);
    }
    let partition = keys["PK"]["S"].as_str().unwrap_or_default();
    let id = partition
        .strip_prefix("ARTICLE#")
        .and_then(|id| ArticleId::parse(id).ok())
        .ok_or_else(|| RecordError::Unreadable(format!("not an article key: {partition}")))?;
    let image: RemovedArticleImage = serde_dynamo::from_item(record.change.old_image.clone())
        .map_err(|error| RecordError::Unreadable(format!("the old image: {error}")))?;
    let author_id = UserId::parse(&image.author_id)
        .map_err(|_| RecordError::Unreadable(format!("not an author id: {}", image.author_id)))?;
    Ok(Some(ArticleRef { id, author_id }))
}

impl StreamConsumer for PurgeConsumer {
    const NAME: &'static str = "purge-deleted-article";

    async fn handle(&self, record: &StreamRecord) -> Result<RecordOutcome, RecordError> {
        // The filter already keeps everything else away; a record that slips through is not ours.
        let Some(article) = removed_article(record)? else {
            return Ok(RecordOutcome::Skipped);
        };
        match self.purge.execute(article).await {
            Ok(purged) => {
                tracing::info!(
                    favorites = purged.favorites,
                    comments = purged.comments,
                    feed_entries = purged.feed_entries,
                    "deleted article purged"
                );
                let removed = purged.favorites + purged.comments + purged.feed_entries;
                Ok(if removed > 0 { RecordOutcome::Handled } else { RecordOutcome::Skipped })
            }
            Err(DomainError::Infrastructure(cause)) => Err(RecordError::Infrastructure(cause)),
            Err(other) => Err(RecordError::Unreadable(other.to_string())),
        }
    }
}
