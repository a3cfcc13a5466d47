//! CloudWatch Embedded Metric Format: one JSON line per request on standard output, which
//! CloudWatch Logs turns into metrics with no API call. Dimensions stay small: the route (about
//! twenty values) and none at all (the whole API).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::capacity::CapacityUsage;

pub const NAMESPACE: &str = "Conduit";

/// Every metric name a request can emit (the dashboard in `template.yaml` shows each).
pub const METRIC_NAMES: &[&str] = &[
    "Latency",
    "Requests",
    "ClientErrors",
    "ServerErrors",
    "ColdStart",
    "ConsumedReadCapacity",
    "ConsumedWriteCapacity",
    "UsersRegistered",
    "ArticlesPublished",
    "CommentsPosted",
    "DependencyFailures",
    "PasswordResetMailsSent",
    "PasswordResetMailsRefused",
    "LoginFailures",
    "LoginThrottled",
    "StreamRecordsProcessed",
    "StreamRecordsSkipped",
    "StreamRecordsFailed",
    "StreamIteratorAge",
];

/// What one batch of a stream consumer did, as one EMF document with the consumer as dimension:
/// records handled, skipped (a redelivery, nothing left to do) and failed (reported back, so Lambda
/// retries them), and the age of the oldest record (how far the consumer lags behind the table).
#[derive(Debug, Clone, Default)]
pub struct StreamBatchMetrics {
    pub consumer: &'static str,
    pub processed: u32,
    pub skipped: u32,
    pub failed: u32,
    pub iterator_age_ms: f64,
}

impl StreamBatchMetrics {
    pub fn to_emf(&self) -> Value {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or(0);
        json!({
            "_aws": {
                "Timestamp": timestamp as u64,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Consumer"], []],
                    "Metrics": [
                        { "Name": "StreamRecordsProcessed", "Unit": "Count" },
                        { "Name": "StreamRecordsSkipped", "Unit": "Count" },
                        { "Name": "StreamRecordsFailed", "Unit": "Count" },
                        { "Name": "StreamIteratorAge", "Unit": "Milliseconds" },
                    ],
                }],
            },
            "Consumer": self.consumer,
            "StreamRecordsProcessed": self.processed,
            "StreamRecordsSkipped": self.skipped,
            "StreamRecordsFailed": self.failed,
            "StreamIteratorAge": self.iterator_age_ms,
        })
    }

    pub fn emit(&self) {
        println!("{}", self.to_emf());
    }
}

/// Counts one occurrence of an event a request's outcome does not show (its answer is the same
/// either way), as an EMF line of its own without dimensions.
pub fn emit_count(metric: &'static str) {
    println!("{}", count_document(metric));
}

fn count_document(metric: &'static str) -> Value {
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or(0);
    json!({
        "_aws": {
            "Timestamp": timestamp as u64,
            "CloudWatchMetrics": [{ "Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": [{ "Name": metric, "Unit": "Count" }] }],
        },
        metric: 1,
    })
}

/// A business event worth counting, emitted by the endpoint that makes it happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusinessEvent {
    UserRegistered,
    ArticlePublished,
    CommentPosted,
}

impl BusinessEvent {
    pub fn metric_name(self) -> &'static str {
        match self {
            Self::UserRegistered => "UsersRegistered",
            Self::ArticlePublished => "ArticlesPublished",
            Self::CommentPosted => "CommentsPosted",
        }
    }
}

/// Everything measured about one request.
#[derive(Debug, Clone)]
pub struct RequestMetrics<'a> {
    pub route: &'a str,
    pub status: u16,
    pub latency_ms: f64,
    pub cold_start: bool,
    pub capacity: CapacityUsage,
    /// Counted only when the request succeeded.
    pub business_event: Option<BusinessEvent>,
    /// The dependency whose outage made this request fail (a 503), if one did.
    pub dependency_failure: Option<&'static str>,
    /// What an `Idempotency-Key` made of the request, if anything but running it.
    pub idempotency: Option<IdempotencyOutcome>,
}

/// A keyed request that did not run its write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// Answered with the stored answer of an earlier request (`IdempotentReplays`).
    Replayed,
    /// Refused: the key was in use by a running request, or used for another one
    /// (`IdempotencyConflicts`).
    Conflict,
}

impl RequestMetrics<'_> {
    /// The EMF document for this request.
    pub fn to_emf(&self) -> Value {
        let flag = |set: bool| if set { 1 } else { 0 };
        let mut values: Vec<(&str, &str, Value)> = vec![
            ("Latency", "Milliseconds", json!(self.latency_ms)),
            ("Requests", "Count", json!(1)),
            ("ClientErrors", "Count", json!(flag((400..500).contains(&self.status)))),
            ("ServerErrors", "Count", json!(flag(self.status >= 500))),
            ("ColdStart", "Count", json!(flag(self.cold_start))),
            ("ConsumedReadCapacity", "Count", json!(self.capacity.read_units)),
            ("ConsumedWriteCapacity", "Count", json!(self.capacity.write_units)),
        ];
        // A replay repeats an answer, not the event: it is counted once, by the request that made it.
        let replayed = self.idempotency == Some(IdempotencyOutcome::Replayed);
        if let Some(event) = self.business_event.filter(|_| self.status < 400 && !replayed) {
            values.push((event.metric_name(), "Count", json!(1)));
        }
        match self.idempotency {
            Some(IdempotencyOutcome::Replayed) => values.push(("IdempotentReplays", "Count", json!(1))),
            Some(IdempotencyOutcome::Conflict) => values.push(("IdempotencyConflicts", "Count", json!(1))),
            None => {}
        }
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_millis()).unwrap_or(0);
        let definitions: Vec<Value> =
            values.iter().map(|(name, unit, _)| json!({ "Name": name, "Unit": unit })).collect();
        let mut document = Map::new();
        let mut directives = vec![json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Route"], []],
            "Metrics": definitions,
        })];
        // Its own directive, so only this metric gets the Dependency dimension.
        if let Some(dependency) = self.dependency_failure {
            directives.push(json!({
                "Namespace": NAMESPACE,
                "Dimensions": [["Dependency"], []],
                "Metrics": [{ "Name": "DependencyFailures", "Unit": "Count" }],
            }));
            document.insert("Dependency".to_owned(), json!(dependency));
            document.insert("DependencyFailures".to_owned(), json!(1));
        }
        document.insert("_aws".to_owned(), json!({ "Timestamp": timestamp as u64, "CloudWatchMetrics": directives }));
        document.insert("Route".to_owned(), json!(self.route));
        document.insert("StatusCode".to_owned(), json!(self.status));
        for (name, _, value) in values {
            document.insert(name.to_owned(), value);
        }
        Value::Object(document)
    }

    /// Writes the EMF line to standard output, where Lambda collects it. It bypasses the log
    /// subscriber on purpose: EMF must be the whole line, not a field of a log event.
    pub fn emit(&self) {
        println!("{}", self.to_emf());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(status: u16, business_event: Option<BusinessEvent>) -> Value {
        RequestMetrics {
            route: "POST /api/users",
            status,
            latency_ms: 12.5,
            cold_start: true,
            capacity: CapacityUsage { read_units: 0.0, write_units: 6.0, calls: 1, round_trips: 1 },
            business_event,
            dependency_failure: None,
            idempotency: None,
        }
        .to_emf()
    }

    #[test]
    fn every_declared_metric_has_a_value_and_the_dimensions_are_present() {
        let emf = metrics(201, Some(BusinessEvent::UserRegistered));

        let directive = &emf["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Conduit");
        for dimension_set in directive["Dimensions"].as_array().expect("sets") {
            for dimension in dimension_set.as_array().expect("keys") {
                assert!(emf[dimension.as_str().expect("name")].is_string());
            }
        }
        for definition in directive["Metrics"].as_array().expect("metrics") {
            let name = definition["Name"].as_str().expect("name");
            assert!(emf[name].is_number(), "{name} has no value");
        }
        assert_eq!(emf["UsersRegistered"], 1);
        let declared: Vec<&str> =
            directive["Metrics"].as_array().expect("metrics").iter().filter_map(|m| m["Name"].as_str()).collect();
        assert!(declared.iter().all(|name| METRIC_NAMES.contains(name)), "{declared:?}");
        assert_eq!(emf["ColdStart"], 1);
        assert_eq!(emf["ConsumedWriteCapacity"], 6.0);
    }

    #[test]
    fn errors_are_classified_and_failed_requests_count_no_business_event() {
        let refused = metrics(422, Some(BusinessEvent::UserRegistered));
        let failed = metrics(500, None);

        assert_eq!((refused["ClientErrors"].clone(), refused["ServerErrors"].clone()), (json!(1), json!(0)));
        assert!(refused.get("UsersRegistered").is_none());
        assert_eq!((failed["ClientErrors"].clone(), failed["ServerErrors"].clone()), (json!(0), json!(1)));
    }

    #[test]
    fn a_counted_event_is_its_own_emf_document() {
        let emf = count_document("PasswordResetMailsRefused");

        assert_eq!(emf["PasswordResetMailsRefused"], 1);
        assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], "PasswordResetMailsRefused");
        assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
    }

    #[test]
    fn a_dependency_failure_is_counted_by_dependency_and_in_total() {
        let metrics = RequestMetrics {
            route: "GET /api/tags",
            status: 503,
            latency_ms: 3000.0,
            cold_start: false,
            capacity: CapacityUsage::default(),
            business_event: None,
            dependency_failure: Some("DynamoDB"),
            idempotency: None,
        };

        let emf = metrics.to_emf();

        let directive = &emf["_aws"]["CloudWatchMetrics"][1];
        assert_eq!(directive["Dimensions"], json!([["Dependency"], []]));
        assert_eq!(directive["Metrics"][0]["Name"], "DependencyFailures");
        assert_eq!((emf["Dependency"].clone(), emf["DependencyFailures"].clone()), (json!("DynamoDB"), json!(1)));
        assert_eq!(emf["ServerErrors"], 1);
    }

    #[test]
    fn a_replayed_answer_is_counted_as_a_replay_not_as_a_second_business_event() {
        let replay = RequestMetrics {
            route: "POST /api/articles",
            status: 201,
            latency_ms: 3.0,
            cold_start: false,
            capacity: CapacityUsage::default(),
            business_event: Some(BusinessEvent::ArticlePublished),
            dependency_failure: None,
            idempotency: Some(IdempotencyOutcome::Replayed),
        }
        .to_emf();

        assert_eq!(replay["IdempotentReplays"], 1);
        assert!(replay.get("ArticlesPublished").is_none(), "{replay}");
    }
}
