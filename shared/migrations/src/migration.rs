//! What a migration is: an id, a description, and a rewrite of one stored item at a time.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// A stored item, as DynamoDB returns it.
pub type Item = HashMap<String, AttributeValue>;

/// One versioned change to the shape of stored items. The runner offers it every item of the
/// table; it answers with what to change, or nothing.
pub trait Migration: Send + Sync {
    /// Unique, and sorted as the catalog is: `NNNN-what-it-does`.
    fn id(&self) -> &'static str;

    /// One line for `conduit-migrate status`.
    fn description(&self) -> &'static str;

    /// What must change in `item`; `None` when it is not concerned or already in the new shape.
    /// A pure function of the item: that makes every run, and every re-run of an interrupted
    /// one, idempotent.
    fn rewrite(&self, item: &Item) -> Option<Rewrite>;
}

/// Attribute changes to one item, applied only while the attributes the decision rested on still
/// hold what the migration saw: a change the API made meanwhile is never overwritten, the item is
/// read again and offered to the migration anew.
///
/// A rewrite usually changes the item offered. It may instead change an item the offered one
/// names (`of`: an article's slug claim, say), when only the offered item holds what the other
/// needs. Such a rewrite is written once: refused, it is dropped, so its conditions must say
/// exactly when the other item still needs it (re-reading the offered item would only propose
/// the same change again). Such a rewrite may also create the item (`creating`): a marker that
/// the offered item implies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rewrite {
    /// The key of the item to change, when it is not the one offered.
    pub(crate) target: Option<Item>,
    /// Whether the target may be created rather than only changed.
    pub(crate) creates: bool,
    pub(crate) set: Vec<(String, AttributeValue)>,
    pub(crate) remove: Vec<String>,
    /// Attribute → the value seen (`None`: absent).
    pub(crate) expected: Vec<(String, Option<AttributeValue>)>,
}

impl Rewrite {
    /// A rewrite of the item keyed (`partition`, `sort`) instead of the one offered.
    pub fn of(partition: &str, sort: &str) -> Self {
        let key = Item::from([
            (conduit_repository::keys::PARTITION_KEY.to_owned(), AttributeValue::S(partition.to_owned())),
            (conduit_repository::keys::SORT_KEY.to_owned(), AttributeValue::S(sort.to_owned())),
        ]);
        Self { target: Some(key), ..Self::default() }
    }

    /// Like [`Self::of`], creating the item when it does not exist (its conditions still apply:
    /// `expecting(attribute, None)` makes it "only if not there yet").
    pub fn creating(partition: &str, sort: &str) -> Self {
        Self { creates: true, ..Self::of(partition, sort) }
    }

    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        self.set.push((attribute.to_owned(), value));
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        self.remove.push(attribute.to_owned());
        self
    }

    /// Applies only if `attribute` still holds `value` (`None`: is still absent).
    pub fn expecting(mut self, attribute: &str, value: Option<AttributeValue>) -> Self {
        self.expected.push((attribute.to_owned(), value));
        self
    }

    /// The change in words, for dry runs: `set GSI3PK = "ARTICLES#03", remove OLD`, prefixed
    /// with the item changed when it is not the one offered (`on SLUG#a-b / SLUG: set ...`).
    pub fn describe(&self) -> String {
        let sets = self.set.iter().map(|(name, value)| format!("set {name} = {}", shown(value)));
        let removes = self.remove.iter().map(|name| format!("remove {name}"));
        let changes = sets.chain(removes).collect::<Vec<_>>().join(", ");
        match &self.target {
            Some(key) => {
                let part = |name: &str| text(key, name).unwrap_or_default().to_owned();
                let (partition, sort) =
                    (part(conduit_repository::keys::PARTITION_KEY), part(conduit_repository::keys::SORT_KEY));
                format!("on {partition} / {sort}: {changes}")
            }
            None => changes,
        }
    }

    /// The UpdateItem expressions: (update, condition, names, values). The item must still exist
    /// (an update must not bring a deleted item back; unless the rewrite creates it) and hold what
    /// was expected.
    pub(crate) fn expressions(&self) -> UpdateExpressions {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        for (position, (name, value)) in self.set.iter().enumerate() {
            names.insert(format!("#s{position}"), name.clone());
            values.insert(format!(":s{position}"), value.clone());
            sets.push(format!("#s{position} = :s{position}"));
        }
        let mut removes = Vec::new();
        for (position, name) in self.remove.iter().enumerate() {
            names.insert(format!("#r{position}"), name.clone());
            removes.push(format!("#r{position}"));
        }
        let mut update = Vec::new();
        if !sets.is_empty() {
            update.push(format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            update.push(format!("REMOVE {}", removes.join(", ")));
        }
        let mut conditions = if self.creates { Vec::new() } else { vec!["attribute_exists(PK)".to_owned()] };
        for (position, (name, value)) in self.expected.iter().enumerate() {
            names.insert(format!("#e{position}"), name.clone());
            match value {
                Some(value) => {
                    values.insert(format!(":e{position}"), value.clone());
                    conditions.push(format!("#e{position} = :e{position}"));
                }
                None => conditions.push(format!("attribute_not_exists(#e{position})")),
            }
        }
        // A creating rewrite expecting nothing is unconditional.
        let condition = (!conditions.is_empty()).then(|| conditions.join(" AND "));
        UpdateExpressions { update: update.join(" "), condition, names, values }
    }
}

pub(crate) struct UpdateExpressions {
    pub update: String,
    pub condition: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

fn shown(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(text) => format!("{text:?}"),
        AttributeValue::N(number) => number.clone(),
        AttributeValue::Bool(flag) => flag.to_string(),
        other => format!("{other:?}"),
    }
}

/// The string attribute `name` of `item`, if it is one.
pub fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|value| value.as_s().ok()).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_becomes_an_update_conditioned_on_what_it_saw() {
        // Given a rewrite that sets one attribute, removes another, and rests on two readings
        let rewrite = Rewrite::default()
            .set("GSI3PK", AttributeValue::S("ARTICLES#03".into()))
            .remove("OLD")
            .expecting("GSI3PK", None)
            .expecting("SK", Some(AttributeValue::S("ARTICLE".into())));

        // When it is turned into expressions
        let expressions = rewrite.expressions();

        // Then the update does both, and only while the item exists and is as seen
        assert_eq!(expressions.update, "SET #s0 = :s0 REMOVE #r0");
        assert_eq!(
            expressions.condition.as_deref(),
            Some("attribute_exists(PK) AND attribute_not_exists(#e0) AND #e1 = :e1")
        );
        assert_eq!(expressions.names.get("#s0").map(String::as_str), Some("GSI3PK"));
        assert_eq!(expressions.names.get("#r0").map(String::as_str), Some("OLD"));
        assert_eq!(expressions.names.get("#e1").map(String::as_str), Some("SK"));
        assert_eq!(expressions.values.get(":e1"), Some(&AttributeValue::S("ARTICLE".into())));
        assert_eq!(rewrite.describe(), r#"set GSI3PK = "ARTICLES#03", remove OLD"#);
    }

    #[test]
    fn a_creating_rewrite_is_conditioned_only_on_what_it_expects() {
        let expecting_nothing =
            Rewrite::creating("USER#a", "FEED_PULL#b").set("author_id", AttributeValue::S("b".into()));
        let only_if_new = expecting_nothing.clone().expecting("author_id", None);

        assert_eq!(expecting_nothing.expressions().condition, None);
        assert_eq!(only_if_new.expressions().condition.as_deref(), Some("attribute_not_exists(#e0)"));
        assert_eq!(only_if_new.describe(), r#"on USER#a / FEED_PULL#b: set author_id = "b""#);
    }
}
