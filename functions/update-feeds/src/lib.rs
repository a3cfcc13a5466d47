//! Consumer of the table's change stream for the home feed: a published article goes into the
//! feeds of its author's pushed followers, and the entries an unfollow left go out of its reader's
//! feed. Both off the request path, so publishing costs the author the same whatever their
//! audience, and an unfollow the same whatever it leaves behind.
//!
//! Clearing goes in bounded chunks (`STREAM_CHUNK_ITEMS` feed entries, within
//! `STREAM_CHUNK_SECONDS` of the invocation's start): a chunk that leaves work records where it
//! stopped on the ended follow's marker, and that change brings the next chunk here; the last
//! chunk deletes the marker.

use conduit_bootstrap::{Adapters, ChunkLimits, DynamoFeed, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::{ArticleRef, EndedFollow};
use conduit_domain::usecases::{ClearEndedFollow, FanOutArticle};
use conduit_domain::values::{ArticleId, UserId};
use conduit_domain::work_chunks::{Remaining, WorkBudget};
use conduit_streams::{Invocation, RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The event source's filters (Lambda event filtering; a record passing either is delivered): the
/// creation of an article item, and the creation of an ended follow's marker or its change by a
/// chunk of the clearing that leaves work. `template.yaml` declares the same patterns (a test holds
/// them equal); the local gateway applies them.
pub const FILTER_PATTERNS: &[&str] = &[
    r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":["ARTICLE"]}}}}"#,
    r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"FEED_ENDED#"}]}}}}"#,
];

const ENDED_FOLLOW_PREFIX: &str = "FEED_ENDED#";

/// What the consumer reads of a new item: an article (`SK = ARTICLE`: its id and author) or an
/// ended-follow marker (its partition names the reader; its author and period).
#[derive(Deserialize)]
struct NewImage {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    id: Option<String>,
    author_id: Option<String>,
    period: Option<String>,
}

/// What a record asks of the feeds.
enum FeedWork {
    FanOut(ArticleRef),
    Clear(EndedFollow),
}

fn unreadable(what: &str) -> RecordError {
    RecordError::Unreadable(format!("{what} is not valid"))
}

/// The work a record asks for; `None` for a record that is not this consumer's.
fn work_of(record: &StreamRecord) -> Result<Option<FeedWork>, RecordError> {
    let (inserted, modified) = (record.event_name == "INSERT", record.event_name == "MODIFY");
    if !inserted && !modified {
        return Ok(None);
    }
    let image: NewImage = serde_dynamo::from_item(record.change.new_image.clone())
        .map_err(|error| RecordError::Unreadable(format!("the new image: {error}")))?;
    let author = || {
        let author = image.author_id.as_deref().unwrap_or_default();
        UserId::parse(author).map_err(|_| unreadable("the author"))
    };
    if image.sort == "ARTICLE" && inserted {
        let id = image.id.as_deref().unwrap_or_default();
        let id = ArticleId::parse(id).map_err(|_| unreadable("the article's id"))?;
        return Ok(Some(FeedWork::FanOut(ArticleRef { id, author_id: author()? })));
    }
    if image.sort.starts_with(ENDED_FOLLOW_PREFIX) {
        let reader = image.partition.strip_prefix("USER#").unwrap_or_default();
        let reader = UserId::parse(reader).map_err(|_| unreadable("the ended follow's reader"))?;
        let period = image.period.clone().ok_or_else(|| unreadable("the ended follow's period"))?;
        return Ok(Some(FeedWork::Clear(EndedFollow { reader, author: author()?, period })));
    }
    Ok(None)
}

pub struct FeedConsumer {
    fan_out: FanOutArticle<DynamoFeed>,
    clear: ClearEndedFollow<DynamoFeed>,
    limits: ChunkLimits,
}

impl FeedConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            fan_out: FanOutArticle::new(adapters.feed()),
            clear: ClearEndedFollow::new(adapters.feed()),
            limits: adapters.chunk_limits(),
        })
    }
}

impl StreamConsumer for FeedConsumer {
    const NAME: &'static str = "update-feeds";

    async fn handle(&self, record: &StreamRecord, invocation: &Invocation) -> Result<RecordOutcome, RecordError> {
        // The filters already keep everything else away; a record that slips through is not ours.
        let Some(work) = work_of(record)? else { return Ok(RecordOutcome::Skipped) };
        let done = match work {
            FeedWork::FanOut(article) => self.fan_out.execute(article).await.inspect(|feeds| {
                tracing::info!(article = %article.id, feeds, "article fanned out");
            }),
            FeedWork::Clear(follow) => {
                let deadline = invocation.deadline_within(self.limits.time);
                let budget = WorkBudget { items: self.limits.items, deadline };
                self.clear.execute(&follow, budget).await.map(|chunk| {
                    let (entries, finished) = (chunk.done, chunk.remaining == Remaining::Nothing);
                    tracing::info!(reader = %follow.reader, author = %follow.author, entries, finished, "ended follow cleared, one chunk");
                    entries
                })
            }
        };
        match done {
            Ok(0) => Ok(RecordOutcome::Skipped),
            Ok(_) => Ok(RecordOutcome::Handled),
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

    fn delivered(event_name: &str, sort: &str) -> bool {
        let record =
            json!({"eventName": event_name, "dynamodb": {"Keys": {"PK": {"S": "USER#01A"}, "SK": {"S": sort}}}});
        FILTER_PATTERNS.iter().any(|pattern| matches(&serde_json::from_str::<Value>(pattern).expect("JSON"), &record))
    }

    #[test]
    fn a_markers_creation_starts_a_clearing_and_its_change_continues_it() {
        assert!(delivered("INSERT", "FEED_ENDED#01B#01C"));
        assert!(delivered("MODIFY", "FEED_ENDED#01B#01C"));
        assert!(!delivered("REMOVE", "FEED_ENDED#01B#01C"), "the last chunk's deletion ends it");
    }

    #[test]
    fn only_an_articles_creation_fans_it_out() {
        assert!(delivered("INSERT", "ARTICLE"));
        assert!(!delivered("MODIFY", "ARTICLE"), "an edit is not a new article");
    }
}
