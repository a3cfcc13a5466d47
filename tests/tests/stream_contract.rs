//! The table's stream and its consumers as `template.yaml` declares them, held against the code:
//! the consumers the local gateway runs, their filters, and the delivery settings it applies.

use conduit_api_tests::samples::STREAM_CONSUMERS;
use conduit_api_tests::template::{self, intrinsic, template};
use conduit_streams::settings;
use serde_norway::Value;

/// (binary, the properties of its DynamoDB event source) of every stream consumer in the template.
fn stream_event_sources(template: &Value) -> Vec<(String, Value)> {
    template::functions(template)
        .into_iter()
        .flat_map(|function| {
            let events = function.properties["Events"].as_mapping().cloned().unwrap_or_default();
            events
                .into_iter()
                .filter(|(_, event)| event["Type"].as_str() == Some("DynamoDB"))
                .map(move |(_, event)| (function.binary.clone(), event["Properties"].clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_table_streams_new_and_old_images() {
    let template = template();

    let stream = &template["Resources"]["Table"]["Properties"]["StreamSpecification"];

    assert_eq!(stream["StreamViewType"].as_str(), Some("NEW_AND_OLD_IMAGES"));
}

#[test]
fn the_template_the_tests_and_the_local_gateway_know_the_same_consumers() {
    let template = template();
    let declared: Vec<String> = stream_event_sources(&template).into_iter().map(|(binary, _)| binary).collect();

    assert_eq!(declared, STREAM_CONSUMERS);
}

#[test]
fn every_consumer_reads_the_table_stream_with_the_delivery_settings_the_gateway_applies() {
    let template = template();

    for (binary, source) in stream_event_sources(&template) {
        assert_eq!(intrinsic(&source["Stream"], "GetAtt"), Some("Table.StreamArn"), "{binary}");
        assert_eq!(source["StartingPosition"].as_str(), Some("TRIM_HORIZON"), "{binary}");
        assert_eq!(source["BatchSize"].as_u64(), Some(u64::from(settings::BATCH_SIZE)), "{binary}");
        assert_eq!(
            source["MaximumRetryAttempts"].as_u64(),
            Some(u64::from(settings::MAXIMUM_RETRY_ATTEMPTS)),
            "{binary}"
        );
        assert_eq!(
            source["MaximumRecordAgeInSeconds"].as_u64(),
            Some(u64::from(settings::MAXIMUM_RECORD_AGE_SECONDS)),
            "{binary}"
        );
        assert_eq!(
            source["BisectBatchOnFunctionError"].as_bool(),
            Some(settings::BISECT_BATCH_ON_FUNCTION_ERROR),
            "{binary}"
        );
        assert_eq!(source["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"), "{binary}");
        let destination = &source["DestinationConfig"]["OnFailure"];
        assert_eq!(destination["Type"].as_str(), Some("SQS"), "{binary}");
        assert_eq!(intrinsic(&destination["Destination"], "GetAtt"), Some("StreamFailuresQueue.Arn"), "{binary}");
    }
}

#[test]
fn every_consumer_filters_the_records_its_code_applies_the_filters_of() {
    let template = template();
    let applied_by = |binary: &str| match binary {
        "send-welcome-mail" => send_welcome_mail::FILTER_PATTERNS,
        "send-account-notices" => send_account_notices::FILTER_PATTERNS,
        "purge-deleted-article" => purge_deleted_article::FILTER_PATTERNS,
        "update-feeds" => update_feeds::FILTER_PATTERNS,
        other => panic!("{other}: a consumer this test does not know"),
    };

    for (binary, source) in stream_event_sources(&template) {
        let declared: Vec<serde_json::Value> = source["FilterCriteria"]["Filters"]
            .as_sequence()
            .expect("filters")
            .iter()
            .map(|filter| serde_json::from_str(filter["Pattern"].as_str().expect("a pattern")).expect("JSON"))
            .collect();
        let applied: Vec<serde_json::Value> =
            applied_by(&binary).iter().map(|pattern| serde_json::from_str(pattern).expect("JSON")).collect();

        assert_eq!(declared, applied, "{binary}");
    }
}

#[test]
fn failed_batches_raise_an_alarm() {
    let template = template();

    let alarm = &template["Resources"]["StreamFailuresAlarm"]["Properties"];

    assert_eq!(alarm["MetricName"].as_str(), Some("ApproximateNumberOfMessagesVisible"));
    assert_eq!(intrinsic(&alarm["Dimensions"][0]["Value"], "GetAtt"), Some("StreamFailuresQueue.QueueName"));
    assert!(alarm["AlarmActions"].as_sequence().is_some_and(|actions| !actions.is_empty()));
}
