//! What `template.yaml` must keep so the deployed functions stay operable: metrics at every log
//! level, the REPORT lines, log retention, and alarm math CloudWatch accepts.

use std::collections::BTreeSet;

use conduit_api_tests::template::{self, intrinsic};
use conduit_telemetry::LOG_LEVEL_VARIABLE;

#[test]
fn lambda_filters_no_application_line_so_metric_lines_survive_every_log_level() {
    let template = template::template();
    let logging = &template["Globals"]["Function"]["LoggingConfig"];
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];

    // Lambda treats a line without a "level" key (every EMF line) as INFO: at any stricter
    // application level it would drop the metrics, so Lambda must pass everything through.
    assert_eq!(logging["LogFormat"].as_str(), Some("JSON"));
    assert_eq!(logging["ApplicationLogLevel"].as_str(), Some("TRACE"));
    // The operator's level reaches the functions, which filter their own log lines by it.
    assert_eq!(intrinsic(&variables[LOG_LEVEL_VARIABLE], "Ref"), Some("LogLevel"));
    // REPORT (Init Duration, Max Memory Used) is a system log at INFO.
    assert!(matches!(logging["SystemLogLevel"].as_str(), Some("INFO" | "DEBUG")), "{logging:?}");
    for function in template::functions(&template) {
        assert!(
            function.properties["LoggingConfig"]["ApplicationLogLevel"].is_null(),
            "{} overrides the application log level",
            function.logical_id
        );
    }
}

#[test]
fn every_function_has_a_log_group_with_the_retention_parameter() {
    let template = template::template();
    let retained: BTreeSet<String> = template::resources_of_type(&template, "AWS::Logs::LogGroup")
        .filter(|(_, group)| intrinsic(&group["Properties"]["RetentionInDays"], "Ref") == Some("LogRetentionDays"))
        .filter_map(|(_, group)| intrinsic(&group["Properties"]["LogGroupName"], "Sub").map(str::to_owned))
        .collect();

    for function in template::functions(&template) {
        let name = format!("/aws/lambda/${{{}}}", function.logical_id);
        assert!(
            retained.contains(&name),
            "{} has no log group {name} with RetentionInDays: !Ref LogRetentionDays",
            function.logical_id
        );
    }
    assert_eq!(template["Parameters"]["LogRetentionDays"]["Default"].as_u64(), Some(30));
}

#[test]
fn alarm_math_uses_only_documented_functions_on_time_series() {
    let template = template::template();
    // Metric math's MAX takes a time series array, not a series and a number: `IF` is the
    // documented way to guard a division.
    let expressions: Vec<String> = template::resources_of_type(&template, "AWS::CloudWatch::Alarm")
        .flat_map(|(_, alarm)| alarm["Properties"]["Metrics"].as_sequence().cloned().unwrap_or_default())
        .filter_map(|metric| metric["Expression"].as_str().map(str::to_owned))
        .collect();

    assert!(!expressions.is_empty());
    for expression in &expressions {
        for function in called_functions(expression) {
            assert!(DOCUMENTED_FUNCTIONS_USED.contains(&function), "{function} in {expression}");
        }
    }
    assert!(expressions.iter().all(|expression| !expression.contains("MAX([")));
}

/// The metric math functions this template may call, each checked against the CloudWatch
/// "Metric math syntax and functions" reference for the argument types used here.
/// `FILL(m, 0)` gives a series the value 0 where it has no data point, so a sum of two series is
/// defined whenever either has one.
const DOCUMENTED_FUNCTIONS_USED: &[&str] = &["IF", "FILL"];

/// The names directly before each `(` of an expression.
fn called_functions(expression: &str) -> Vec<&str> {
    expression
        .match_indices('(')
        .filter_map(|(position, _)| {
            let before = &expression[..position];
            let start = before.rfind(|character: char| !character.is_ascii_alphanumeric()).map_or(0, |index| index + 1);
            (start < position).then(|| &expression[start..position])
        })
        .collect()
}

#[test]
fn every_alarm_reaches_the_topic_when_it_fires_and_when_it_clears() {
    let template = template::template();
    let alarms: Vec<_> = template::resources_of_type(&template, "AWS::CloudWatch::Alarm").collect();
    assert!(alarms.len() >= 30, "{} alarms", alarms.len());

    for (name, alarm) in alarms {
        for actions in ["AlarmActions", "OKActions"] {
            let targets = alarm["Properties"][actions].as_sequence().cloned().unwrap_or_default();
            assert!(
                targets.iter().any(|target| intrinsic(target, "Ref") == Some("AlarmTopic")),
                "{name}: {actions} does not notify AlarmTopic"
            );
        }
    }
}

#[test]
fn the_alarm_email_parameter_subscribes_its_address_only_when_set() {
    let template = template::template();
    let parameter = &template["Parameters"]["AlarmEmail"];
    let subscription = &template["Resources"]["AlarmEmailSubscription"];

    // Empty by default: a stack deploys without anyone to mail
    assert_eq!(parameter["Default"].as_str(), Some(""));
    // Subscribed under a condition that holds exactly when the address is not empty
    assert_eq!(subscription["Type"].as_str(), Some("AWS::SNS::Subscription"));
    let condition = subscription["Condition"].as_str().expect("a condition");
    let defined = serde_norway::to_string(&template["Conditions"][condition]).expect("YAML");
    assert!(defined.contains("AlarmEmail") && defined.contains("Not"), "{condition}: {defined}");
    let properties = &subscription["Properties"];
    assert_eq!(properties["Protocol"].as_str(), Some("email"));
    assert_eq!(intrinsic(&properties["Endpoint"], "Ref"), Some("AlarmEmail"));
    assert_eq!(intrinsic(&properties["TopicArn"], "Ref"), Some("AlarmTopic"));
}

#[test]
fn the_signing_secret_outlives_the_stack_and_a_replacement() {
    let template = template::template();
    let secret = &template["Resources"]["SigningSecret"];

    assert_eq!(secret["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(secret["UpdateReplacePolicy"].as_str(), Some("Retain"));
}

#[test]
fn the_5xx_rate_alarm_needs_a_minimum_of_requests_and_two_periods_of_three() {
    let template = template::template();
    let alarm = &template["Resources"]["ApiServerErrorsAlarm"]["Properties"];

    assert_eq!(alarm["EvaluationPeriods"].as_u64(), Some(3));
    assert_eq!(alarm["DatapointsToAlarm"].as_u64(), Some(2));
    let rate = alarm["Metrics"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find_map(|metric| metric["Expression"].as_str())
        .expect("the rate's expression");
    assert!(rate.starts_with("IF(requests >= 20,"), "{rate}");
}
