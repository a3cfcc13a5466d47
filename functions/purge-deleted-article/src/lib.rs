//! Consumer of the table's change stream: when an article item is removed (the article was
//! deleted), remove what it leaves behind, its favorites (keeping every fan's count exact), its
//! comments and its entries in followers' feeds (keeping every feed's count exact). The delete
//! request itself then costs the same whatever the article's popularity.
//!
//! The purge goes in bounded chunks (`STREAM_CHUNK_ITEMS` items, within `STREAM_CHUNK_SECONDS` of
//! the invocation's start): a chunk that leaves work records where it stopped on the article's
//! pending-purge entry, and that change brings the next chunk here; the last chunk deletes the
//! entry.

use conduit_bootstrap::{Adapters, ChunkLimits, DynamoArticlePurges, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::ArticleRef;
use conduit_domain::usecases::PurgeDeletedArticle;
use conduit_domain::values::{ArticleId, UserId};
use conduit_domain::work_chunks::{Remaining, WorkBudget};
use conduit_streams::{Invocation, RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The event source's filters (Lambda event filtering; a record passing either is delivered):
/// the removal of an article item, which starts a purge, and a change of a pending-purge entry,
/// which a chunk that leaves work makes. `template.yaml` declares the same patterns (a test holds
/// them equal); the local gateway applies them.
pub const FILTER_PATTERNS: &[&str] = &[
    r#"{"eventName":["REMOVE"],"dynamodb":{"Keys":{"SK":{"S":["ARTICLE"]}}}}"#,
    r#"{"eventName":["MODIFY"],"dynamodb":{"Keys":{"PK":{"S":["ARTICLE_PURGES"]}}}}"#,
];

/// The partition of the pending-purge entries.
const PENDING_PURGES: &str = "ARTICLE_PURGES";

/// What the consumer reads of the removed article item (its old image), or of the pending-purge
/// entry a chunk moved on (its new image).
#[derive(Deserialize)]
struct ArticleAuthor {
    author_id: String,
}

pub struct PurgeConsumer {
    purge: PurgeDeletedArticle<DynamoArticlePurges>,
    limits: ChunkLimits,
}

impl PurgeConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { purge: PurgeDeletedArticle::new(adapters.article_purges()), limits: adapters.chunk_limits() })
    }
}

fn unreadable(what: impl std::fmt::Display) -> RecordError {
    RecordError::Unreadable(what.to_string())
}

/// The article a record asks to purge: a removed article item (`ARTICLE#<id>` / `ARTICLE`, its old
/// image names the author) or a pending-purge entry moved on (`ARTICLE_PURGES` / `<id>`, its new
/// image names the author); `None` for any other record.
fn article_to_purge(record: &StreamRecord) -> Result<Option<ArticleRef>, RecordError> {
    let keys = serde_json::to_value(&record.change.keys).map_err(unreadable)?;
    let (partition, sort) =
        (keys["PK"]["S"].as_str().unwrap_or_default(), keys["SK"]["S"].as_str().unwrap_or_default());
    let (id, image) = match record.event_name.as_str() {
        "REMOVE" if sort == "ARTICLE" => {
            let id = partition
                .strip_prefix("ARTICLE#")
                .ok_or_else(|| unreadable(format!("not an article key: {partition}")))?;
            (id, &record.change.old_image)
        }
        "MODIFY" if partition == PENDING_PURGES => (sort, &record.change.new_image),
        _ => return Ok(None),
    };
    let id = ArticleId::parse(id).map_err(|_| unreadable(format!("not an article id: {id}")))?;
    let image: ArticleAuthor =
        serde_dynamo::from_item(image.clone()).map_err(|error| unreadable(format!("the image: {error}")))?;
    let author_id =
        UserId::parse(&image.author_id).map_err(|_| unreadable(format!("not an author id: {}", image.author_id)))?;
    Ok(Some(ArticleRef { id, author_id }))
}

impl StreamConsumer for PurgeConsumer {
    const NAME: &'static str = "purge-deleted-article";

    async fn handle(&self, record: &StreamRecord, invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        // The filters already keep everything else away; a record that slips through is not ours.
        let Some(article) = article_to_purge(record)? else {
            return Ok(RecordOutcome::Skipped);
        };
        let budget = WorkBudget { items: self.limits.items, deadline: invocation.deadline_within(self.limits.time) };
        match self.purge.execute(article, budget).await {
            Ok(chunk) => {
                let purged = chunk.done;
                tracing::info!(
                    article = %article.id,
                    favorites = purged.favorites,
                    comments = purged.comments,
                    feed_entries = purged.feed_entries,
                    finished = chunk.remaining == Remaining::Nothing,
                    "deleted article purged, one chunk"
                );
                let removed = purged.favorites + purged.comments + purged.feed_entries;
                Ok(if removed > 0 { RecordOutcome::Handled } else { RecordOutcome::Skipped })
            }
            Err(DomainError::Infrastructure(cause)) => Err(RecordError::Infrastructure(cause)),
            Err(other) => Err(RecordError::Unreadable(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use conduit_streams::filter::matches;
    use serde_json::{Value, json};

    use super::FILTER_PATTERNS;

    fn delivered(event_name: &str, partition: &str, sort: &str) -> bool {
        let record =
            json!({"eventName": event_name, "dynamodb": {"Keys": {"PK": {"S": partition}, "SK": {"S": sort}}}});
        FILTER_PATTERNS.iter().any(|pattern| matches(&serde_json::from_str::<Value>(pattern).expect("JSON"), &record))
    }

    #[test]
    fn an_articles_removal_starts_a_purge_and_a_pending_purge_entrys_change_continues_it() {
        assert!(delivered("REMOVE", "ARTICLE#01A", "ARTICLE"));
        assert!(delivered("MODIFY", "ARTICLE_PURGES", "01A"));
    }

    #[test]
    fn the_entrys_creation_and_removal_and_an_articles_edits_bring_nothing() {
        assert!(!delivered("INSERT", "ARTICLE_PURGES", "01A"), "the deletion's own write: the removal starts it");
        assert!(!delivered("REMOVE", "ARTICLE_PURGES", "01A"), "the last chunk's deletion ends it");
        assert!(!delivered("MODIFY", "ARTICLE#01A", "ARTICLE"));
        assert!(!delivered("REMOVE", "ARTICLE#01A", "COMMENT#00000000000000000001"));
    }
}
