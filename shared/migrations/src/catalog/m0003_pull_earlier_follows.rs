//! 0003: follows stored before feeds were written on publish become pulled follows, so their
//! authors' articles stay in their readers' feeds.
//!
//! The feed read finds a reader's pulled authors by their `FEED_PULL#<author>` markers in the
//! reader's partition; a follow without a period (not pushed) and without a marker would show
//! nothing. This creates the marker each such follow implies, once (only where none is yet). Expand
//! only: the follows are not changed, and the previous release never reads the markers. A follow
//! that the previous release deletes after this passed it leaves a marker the read ignores (it
//! honours a marker only beside its follow). A follow the previous release writes while this runs
//! is not in the feed until followed again.

use aws_sdk_dynamodb::types::AttributeValue;
use conduit_repository::keys;

use crate::migration::{Item, Migration, Rewrite, text};

pub struct PullEarlierFollows;

const AUTHOR: &str = "author_id";
/// The attribute only pushed follows have.
const PERIOD: &str = "period";

impl Migration for PullEarlierFollows {
    fn id(&self) -> &'static str {
        "0003-pull-earlier-follows"
    }

    fn description(&self) -> &'static str {
        "give every follow stored before fan-out feeds a pull marker, so its author's articles stay in the feed"
    }

    fn rewrite(&self, item: &Item) -> Option<Rewrite> {
        let reader = text(item, keys::PARTITION_KEY)?.strip_prefix("USER#")?;
        let author = text(item, keys::SORT_KEY)?.strip_prefix(keys::FOLLOW_PREFIX)?;
        if item.contains_key(PERIOD) {
            return None;
        }
        let (partition, sort) = keys::feed_pull(reader, author);
        Some(
            Rewrite::creating(&partition, &sort)
                .set(AUTHOR, AttributeValue::S(author.to_owned()))
                .expecting(AUTHOR, None),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const READER: &str = "01JQ3V8W2Y9R5T7K4M6N8P0S2A";
    const AUTHOR_ID: &str = "01JQ3V8W2Y9R5T7K4M6N8P0S2B";

    fn follow(extra: &[(&str, &str)]) -> Item {
        let (partition, sort) = keys::follow(READER, AUTHOR_ID);
        let mut item = Item::from([
            (keys::PARTITION_KEY.to_owned(), AttributeValue::S(partition)),
            (keys::SORT_KEY.to_owned(), AttributeValue::S(sort)),
        ]);
        for (name, value) in extra {
            item.insert((*name).to_owned(), AttributeValue::S((*value).to_owned()));
        }
        item
    }

    #[test]
    fn an_earlier_follow_gets_its_pull_marker_once() {
        let rewrite = PullEarlierFollows.rewrite(&follow(&[])).expect("a rewrite");

        let expressions = rewrite.expressions();
        assert_eq!(
            rewrite.describe(),
            format!(r#"on USER#{READER} / FEED_PULL#{AUTHOR_ID}: set author_id = "{AUTHOR_ID}""#)
        );
        assert_eq!(expressions.condition.as_deref(), Some("attribute_not_exists(#e0)"));
    }

    #[test]
    fn pushed_follows_and_other_items_are_left_alone() {
        let pushed = follow(&[("period", "01JQ3V8W2Y9R5T7K4M6N8P0S2C")]);
        let mut favorite = follow(&[]);
        favorite.insert(keys::SORT_KEY.to_owned(), AttributeValue::S(format!("FAV#{AUTHOR_ID}")));

        assert_eq!(PullEarlierFollows.rewrite(&pushed), None);
        assert_eq!(PullEarlierFollows.rewrite(&favorite), None);
    }
}
