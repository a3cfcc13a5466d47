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
        // A Metrics Insights query has a vocabulary of its own
        let documented =
            if expression.starts_with("SELECT ") { INSIGHTS_FUNCTIONS_USED } else { DOCUMENTED_FUNCTIONS_USED };
        for function in called_functions(expression) {
            assert!(documented.contains(&function), "{function} in {expression}");
        }
    }
    assert!(expressions.iter().all(|expression| !expression.contains("MAX([")));
}

/// The metric math functions this template may call, each checked against the CloudWatch
/// "Metric math syntax and functions" reference for the argument types used here.
/// `FILL(m, 0)` gives a series the value 0 where it has no data point, so a sum of two series is
/// defined whenever either has one.
const DOCUMENTED_FUNCTIONS_USED: &[&str] = &["IF", "FILL"];

/// The functions of the Metrics Insights queries (CloudWatch "Metrics Insights query components
/// and syntax"): `SCHEMA(namespace, dimension...)` selects the metrics with exactly those
/// dimensions, `SUM` adds them up per period.
const INSIGHTS_FUNCTIONS_USED: &[&str] = &["SUM", "SCHEMA"];

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

/// What an alarm watches, reduced to what the checks below compare: the metrics it reads (by
/// namespace and name, or the whole Metrics Insights query) and the resources it names.
#[derive(Debug)]
struct Watched {
    metrics: Vec<String>,
    /// Every `!Ref`/`!GetAtt` target and every `${...}` of a query.
    resources: BTreeSet<String>,
    statistic: Option<String>,
    threshold: Option<f64>,
}

fn watched_by_alarms(template: &serde_norway::Value) -> Vec<Watched> {
    template::resources_of_type(template, "AWS::CloudWatch::Alarm")
        .map(|(_, alarm)| {
            let properties = &alarm["Properties"];
            let queries: Vec<&serde_norway::Value> =
                properties["Metrics"].as_sequence().into_iter().flatten().collect();
            let stats = std::iter::once(properties).chain(queries.iter().map(|query| &query["MetricStat"]["Metric"]));
            let mut metrics: Vec<String> = stats
                .clone()
                .filter_map(|metric| {
                    let name = metric["MetricName"].as_str()?;
                    Some(format!("{}/{name}", metric["Namespace"].as_str().unwrap_or_default()))
                })
                .collect();
            let mut resources: BTreeSet<String> = stats
                .flat_map(|metric| metric["Dimensions"].as_sequence().cloned().unwrap_or_default())
                .filter_map(|dimension| {
                    let value = &dimension["Value"];
                    let target = intrinsic(value, "Ref").or_else(|| intrinsic(value, "GetAtt"))?;
                    Some(target.split('.').next().unwrap_or(target).to_owned())
                })
                .collect();
            for insights in queries.iter().filter_map(|query| intrinsic(&query["Expression"], "Sub")) {
                metrics.push(insights.to_owned());
                resources
                    .extend(insights.split("${").skip(1).filter_map(|rest| rest.split('}').next()).map(str::to_owned));
            }
            Watched {
                metrics,
                resources,
                statistic: properties["Statistic"].as_str().map(str::to_owned),
                threshold: properties["Threshold"].as_f64(),
            }
        })
        .collect()
}

/// The alarms that read `metric` (a namespace/name, or text of a query) about `resource`.
fn alarms_on<'a>(alarms: &'a [Watched], metric: &str, resource: Option<&str>) -> Vec<&'a Watched> {
    alarms
        .iter()
        .filter(|alarm| alarm.metrics.iter().any(|read| read.contains(metric)))
        .filter(|alarm| resource.is_none_or(|resource| alarm.resources.contains(resource)))
        .collect()
}

#[test]
fn every_function_is_alarmed_when_it_fails_and_when_it_runs_close_to_its_timeout() {
    let template = template::template();
    let alarms = watched_by_alarms(&template);
    let default_timeout = template["Globals"]["Function"]["Timeout"].as_f64().expect("a global timeout");

    for function in template::functions(&template) {
        let id = function.logical_id.as_str();
        let timeout_ms = function.properties["Timeout"].as_f64().unwrap_or(default_timeout) * 1000.0;
        let near_timeout = alarms_on(&alarms, "AWS/Lambda/Duration", Some(id));

        assert_eq!(alarms_on(&alarms, "AWS/Lambda/Errors", Some(id)).len(), 1, "{id}: failures");
        assert_eq!(alarms_on(&alarms, "AWS/Lambda/Throttles", Some(id)).len(), 1, "{id}: throttles");
        assert_eq!(near_timeout.len(), 1, "{id}: near its timeout");
        // The longest invocation, at 80% of the timeout: a user waited that long, and the
        // request's own deadline, which answers 503 well before, did not hold
        assert_eq!(near_timeout[0].statistic.as_deref(), Some("Maximum"), "{id}");
        assert_eq!(near_timeout[0].threshold, Some(0.8 * timeout_ms), "{id}");
    }
}

#[test]
fn every_dependency_and_shared_limit_is_alarmed() {
    let template = template::template();
    let alarms = watched_by_alarms(&template);
    let consumers: Vec<String> = template::functions(&template)
        .into_iter()
        .filter(|function| {
            let events = function.properties["Events"].as_mapping().cloned().unwrap_or_default();
            events.values().any(|event| event["Type"].as_str() == Some("DynamoDB"))
        })
        .map(|function| function.logical_id)
        .collect();
    assert!(consumers.len() >= 4, "{consumers:?}");

    let expected: &[(&str, &str, Option<&str>)] = &[
        // The API: answers that went wrong, client errors, refusals and slowness
        ("the API's 5xx", "AWS/ApiGateway/5xx", Some("HttpApi")),
        ("the API's 4xx", "AWS/ApiGateway/4xx", Some("HttpApi")),
        ("the API's 429s", "Conduit/ApiThrottledRequests", None),
        ("the API's latency", "AWS/ApiGateway/Latency", Some("HttpApi")),
        // The table, summed over every operation
        ("DynamoDB throttling", "SUM(ThrottledRequests)", Some("Table")),
        ("DynamoDB's own errors", "SUM(SystemErrors)", Some("Table")),
        // DynamoDB, Secrets Manager and SES unavailable to a request (503)
        ("dependencies unavailable", "Conduit/DependencyFailures", None),
        // Stream work that failed every retry
        ("stream failures", "AWS/SQS/ApproximateNumberOfMessagesVisible", Some("StreamFailuresQueue")),
        // The account's concurrency, shared by every function
        ("account concurrency", "AWS/Lambda/ConcurrentExecutions", None),
        ("credential attacks", "Conduit/LoginFailures", None),
    ];
    for (what, metric, resource) in expected {
        assert_eq!(alarms_on(&alarms, metric, *resource).len(), 1, "{what}: {metric} on {resource:?}");
    }
    for consumer in &consumers {
        assert_eq!(alarms_on(&alarms, "AWS/Lambda/IteratorAge", Some(consumer)).len(), 1, "{consumer} falling behind");
    }
    // The 429 count comes from the access log, where API Gateway's own refusals appear too
    let filter = &template["Resources"]["ApiThrottledRequestsMetric"]["Properties"];
    assert_eq!(intrinsic(&filter["LogGroupName"], "Ref"), Some("AccessLogs"));
    assert_eq!(filter["FilterPattern"].as_str(), Some(r#"{ $.status = "429" }"#));
    assert_eq!(filter["MetricTransformations"][0]["MetricName"].as_str(), Some("ApiThrottledRequests"));
}

#[test]
fn a_custom_domain_is_optional_and_once_set_is_the_only_address() {
    let template = template::template();
    let resources = &template["Resources"];
    let parameters = &template["Parameters"];
    let api = &resources["HttpApi"]["Properties"];

    // No domain by default, and a domain only with its certificate
    assert_eq!(parameters["DomainName"]["Default"].as_str(), Some(""));
    assert_eq!(parameters["CertificateArn"]["Default"].as_str(), Some(""));
    let rule = serde_norway::to_string(&template["Rules"]["CustomDomainNeedsItsCertificate"]).expect("YAML");
    assert!(rule.contains("DomainName") && rule.contains("CertificateArn"), "{rule}");
    let condition = serde_norway::to_string(&template["Conditions"]["HasCustomDomain"]).expect("YAML");
    assert!(condition.contains("DomainName") && condition.contains("Not"), "{condition}");
    // Once set: the domain, mapped to the API's stage, with the execute-api endpoint turned off
    for (resource, kind) in
        [("ApiDomain", "AWS::ApiGatewayV2::DomainName"), ("ApiDomainMapping", "AWS::ApiGatewayV2::ApiMapping")]
    {
        assert_eq!(resources[resource]["Type"].as_str(), Some(kind));
        assert_eq!(resources[resource]["Condition"].as_str(), Some("HasCustomDomain"), "{resource}");
    }
    assert_eq!(intrinsic(&resources["ApiDomainMapping"]["Properties"]["ApiId"], "Ref"), Some("HttpApi"));
    let disabled = serde_norway::to_string(&api["DisableExecuteApiEndpoint"]).expect("YAML");
    assert!(disabled.contains("HasCustomDomain") && disabled.contains("true"), "{disabled}");
    // The outputs name the address clients use and where its DNS points
    let url = serde_norway::to_string(&template["Outputs"]["ApiUrl"]["Value"]).expect("YAML");
    assert!(url.contains("HasCustomDomain") && url.contains("https://${DomainName}"), "{url}");
    assert_eq!(template["Outputs"]["ApiDomainTarget"]["Condition"].as_str(), Some("HasCustomDomain"));
    // Mail links keep pointing at the front end
    assert!(!serde_norway::to_string(&template["Globals"]).expect("YAML").contains("DomainName"));
}

#[test]
fn the_access_log_tells_refusals_apart_and_names_the_function_request_that_answered() {
    let template = template::template();
    let format =
        template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"].as_str().expect("a format");
    let line: serde_json::Value = serde_json::from_str(format).expect("the format is a JSON object");

    for (field, variable) in [
        ("requestId", "$context.requestId"),
        ("requestTime", "$context.requestTime"),
        ("userAgent", "$context.identity.userAgent"),
        ("ip", "$context.identity.sourceIp"),
        // THROTTLED, AUTHORIZER_FAILURE, INTEGRATION_FAILURE...: why API Gateway answered itself
        ("errorType", "$context.error.responseType"),
        ("errorMessage", "$context.error.message"),
        ("authorizerError", "$context.authorizer.error"),
        // The Lambda request id, which every log line of the function that answered carries
        ("functionRequestId", "$context.integration.requestId"),
        ("status", "$context.status"),
    ] {
        assert_eq!(line[field].as_str(), Some(variable), "{field}");
    }
}
