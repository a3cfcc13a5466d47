//! Consumer of the table's change stream for the home feed: a published article goes into the
//! feeds of its author's pushed followers, and the entries an unfollow left go out of its reader's
//! feed. Both off the request path, so publishing costs the author the same whatever their
//! audience, and an unfollow the same whatever it leaves behind.

use conduit_bootstrap::{Adapters, DynamoFeed, StartupError};
use conduit_domain::DomainError;
use conduit_domain::ports::{ArticleRef, EndedFollow};
use conduit_domain::usecases::{ClearEndedFollow, FanOutArticle};
use conduit_domain::values::{ArticleId, UserId};
use conduit_streams::{RecordError, RecordOutcome, StreamConsumer, StreamRecord};
use serde::Deserialize;

/// The event source's filters (Lambda event filtering; a record passing either is delivered): the
/// creation of an article item, and of an ended follow's marker. `template.yaml` declares the same
/// patterns (a test holds them equal); the local gateway applies them.
pub const FILTER_PATTERNS: &[&str] = &[
    r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":["ARTICLE"]}}}}"#,
    r#"{"eventName":["INSERT"],"dynamodb":{"Keys":{"SK":{"S":[{"prefix":"FEED_ENDED#"}]}}}}"#,
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
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let image: NewImage = serde_dynamo::from_item(record.change.new_image.clone())
        .map_err(|error| RecordError::Unreadable(format!("the new image: {error}")))?;
    let author = || {
        let author = image.author_id.as_deref().unwrap_or_default();
        UserId::parse(author).map_err(|_| unreadable("the author"))
    };
    if image.sort == "ARTICLE" {
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
}

impl FeedConsumer {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { fan_out: FanOutArticle::new(adapters.feed()), clear: ClearEndedFollow::new(adapters.feed()) })
    }
}

impl StreamConsumer for FeedConsumer {
    const NAME: &'static str = "update-feeds";

    async fn handle(&self, record: &StreamRecord) -> Result<RecordOutcome, RecordError> {
        // The filters already keep everything else away; a record that slips through is not ours.
        let Some(work) = work_of(record)? else { return Ok(RecordOutcome::Skipped) };
        let done = match work {
            FeedWork::FanOut(article) => self.fan_out.execute(article).await.inspect(|feeds| {
                tracing::info!(article = %article.id, feeds, "article fanned out");
            }),
            FeedWork::Clear(follow) => self.clear.execute(&follow).await.inspect(|entries| {
                tracing::info!(reader = %follow.reader, author = %follow.author, entries, "ended follow cleared");
            }),
        };
        match done {
            Ok(0) => Ok(RecordOutcome::Skipped),
            Ok(_) => Ok(RecordOutcome::Handled),
            Err(DomainError::Infrastructure(cause)) => Err(RecordError::Infrastructure(cause)),
            Err(other) => Err(RecordError::Unreadable(other.to_string())),
        }
    }
}
