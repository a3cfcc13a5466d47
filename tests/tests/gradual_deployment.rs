//! How new code reaches the API: every API function and the authorizer serve through a "live"
//! alias that CodeDeploy shifts to each new version gradually, rolling back on the function's
//! failure alarm or the API's 5xx alarm (docs/deployment.md).
//!
//! Two views of `template.yaml`: as written, and as SAM expands it for CloudFormation
//! (`CONDUIT_TEST_TRANSLATED_TEMPLATE`, written by infra/test.sh with
//! infra/scripts/translate_template.py), where the aliases, the permissions to invoke them and
//! the routes' integrations actually are.

use std::collections::BTreeSet;

use conduit_api_tests::template::{self, TemplateFunction, intrinsic};
use serde_json::Value as Json;
use serde_norway::Value;

const ALIAS: &str = "live";
const TRANSLATED_VARIABLE: &str = "CONDUIT_TEST_TRANSLATED_TEMPLATE";

/// The functions API Gateway invokes: those with an HttpApi event, and the authorizer.
fn api_functions(template: &Value) -> Vec<TemplateFunction> {
    let authorizer = intrinsic(&authorizer(template)["FunctionArn"], "Ref")
        .and_then(|reference| reference.strip_suffix(".Alias"))
        .map(str::to_owned);
    template::functions(template)
        .into_iter()
        .filter(|function| {
            let events = function.properties["Events"].as_mapping().cloned().unwrap_or_default();
            events.values().any(|event| event["Type"].as_str() == Some("HttpApi"))
                || Some(&function.logical_id) == authorizer.as_ref()
        })
        .collect()
}

fn authorizer(template: &Value) -> &Value {
    &template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["TokenAuthorizer"]
}

fn translated() -> Json {
    let path = std::env::var(TRANSLATED_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "set {TRANSLATED_VARIABLE} to template.yaml as SAM expands it \
             (infra/scripts/translate_template.py, which infra/test.sh runs)"
        )
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn every_api_function_and_the_authorizer_shift_to_new_code_through_an_alias_gated_by_their_alarms() {
    let template = template::template();
    let functions = api_functions(&template);
    assert!(functions.len() > 20, "{} API functions", functions.len());
    assert!(functions.iter().any(|function| function.binary == "authorizer"));

    for function in functions {
        let id = &function.logical_id;
        let preference = &function.properties["DeploymentPreference"];
        let alarms: BTreeSet<&str> = preference["Alarms"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{id} has no DeploymentPreference.Alarms"))
            .iter()
            .filter_map(|alarm| intrinsic(alarm, "Ref"))
            .collect();

        assert_eq!(function.properties["AutoPublishAlias"].as_str(), Some(ALIAS), "{id}");
        assert_eq!(intrinsic(&preference["Type"], "Ref"), Some("DeploymentStrategy"), "{id}");
        // Its own crashes, timeouts and throttles, and the 5xx its handlers answer (which are
        // responses, not Lambda errors)
        let own_alarm = format!("{id}FailuresAlarm");
        assert_eq!(alarms, BTreeSet::from([own_alarm.as_str(), "ApiServerErrorsAlarm"]), "{id}");
        assert!(template["Resources"][own_alarm.as_str()]["Type"].as_str() == Some("AWS::CloudWatch::Alarm"));
    }
}

#[test]
fn stream_consumers_and_the_migration_hook_take_new_code_at_once() {
    let template = template::template();
    let api: BTreeSet<String> = api_functions(&template).into_iter().map(|function| function.logical_id).collect();
    let others: Vec<_> =
        template::functions(&template).into_iter().filter(|function| !api.contains(&function.logical_id)).collect();
    assert!(others.iter().any(|function| function.binary == "run-migrations"));
    assert!(others.iter().any(|function| function.binary == "update-feeds"));

    for function in others {
        assert!(function.properties["AutoPublishAlias"].is_null(), "{}", function.logical_id);
        assert!(function.properties["DeploymentPreference"].is_null(), "{}", function.logical_id);
    }
}

/// Minutes a predefined CodeDeploy Lambda configuration takes from start to all traffic, and
/// minutes the first 10% run alone before more follows (`None` for AllAtOnce).
fn shift_minutes(strategy: &str) -> Option<(u64, u64)> {
    let number = |text: &str| text.trim_end_matches("Minutes").trim_end_matches("Minute").parse::<u64>().ok();
    if let Some(rest) = strategy.strip_prefix("Canary10Percent") {
        let minutes = number(rest)?;
        return Some((minutes, minutes));
    }
    let every = number(strategy.strip_prefix("Linear10PercentEvery")?)?;
    Some((9 * every, every))
}

#[test]
fn a_gradual_shift_lasts_long_enough_for_the_5xx_alarm_to_roll_it_back() {
    let template = template::template();
    let parameter = &template["Parameters"]["DeploymentStrategy"];
    let alarm = &template["Resources"]["ApiServerErrorsAlarm"]["Properties"];
    let metric_period = alarm["Metrics"]
        .as_sequence()
        .expect("metrics")
        .iter()
        .find_map(|metric| metric["MetricStat"]["Period"].as_u64())
        .expect("a period");
    let needed_minutes = metric_period * alarm["DatapointsToAlarm"].as_u64().expect("DatapointsToAlarm") / 60;

    // The 5xx alarm fires after DatapointsToAlarm periods of errors: a gradual shift that ends
    // sooner leaves only the function's own failure alarm to stop it.
    assert_eq!(parameter["Default"].as_str(), Some("Canary10Percent15Minutes"));
    for strategy in parameter["AllowedValues"].as_sequence().expect("AllowedValues") {
        let strategy = strategy.as_str().expect("a name");
        if strategy == "AllAtOnce" {
            continue;
        }
        let (total, _) = shift_minutes(strategy).unwrap_or_else(|| panic!("{strategy} is not a known configuration"));
        assert!(total >= needed_minutes, "{strategy} ends after {total} min; the 5xx alarm needs {needed_minutes}");
    }
}

#[test]
fn the_dev_stage_deploys_at_once_and_prod_gradually() {
    let config = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../samconfig.toml")).expect("samconfig");
    let overrides = |stage: &str| -> String {
        let section = format!("[{stage}.deploy.parameters]");
        let start = config.find(&section).unwrap_or_else(|| panic!("{section}"));
        let line = config[start..].lines().find(|line| line.starts_with("parameter_overrides")).expect("overrides");
        line.to_owned()
    };

    for stage in ["default", "dev"] {
        assert!(overrides(stage).contains("DeploymentStrategy=AllAtOnce"), "{stage}");
    }
    assert!(overrides("prod").contains("DeploymentStrategy=Canary10Percent15Minutes"));
}

#[test]
fn api_gateway_invokes_only_the_live_aliases_and_has_permission_for_each() {
    let source = template::template();
    let expected: BTreeSet<String> =
        api_functions(&source).into_iter().map(|function| format!("{}Alias{ALIAS}", function.logical_id)).collect();
    let translated = translated();
    let resources = translated["Resources"].as_object().expect("Resources");

    // Every alias SAM made is moved by CodeDeploy, gated by the alarms
    for alias in &expected {
        let resource = &resources[alias.as_str()];
        assert_eq!(resource["Type"], "AWS::Lambda::Alias", "{alias}");
        let group = resource["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{alias} is not updated by CodeDeploy"));
        let group = &resources[group]["Properties"];
        assert_eq!(group["AutoRollbackConfiguration"]["Enabled"], true, "{alias}");
        assert_eq!(group["AlarmConfiguration"]["Alarms"].as_array().map(Vec::len), Some(2), "{alias}");
    }
    // API Gateway may invoke exactly the aliases: one permission each, none on a bare function
    let permitted: BTreeSet<String> = resources
        .values()
        .filter(|resource| resource["Type"] == "AWS::Lambda::Permission")
        .filter(|resource| resource["Properties"]["Principal"] == "apigateway.amazonaws.com")
        .map(|resource| resource["Properties"]["FunctionName"]["Ref"].as_str().unwrap_or("not a Ref").to_owned())
        .collect();
    assert_eq!(permitted, expected);
    // Every route and the authorizer call an alias
    let body = serde_json::to_string(&resources["HttpApi"]["Properties"]["Body"]).expect("JSON");
    let called: BTreeSet<String> = body
        .match_indices("/functions/${")
        .map(|(at, found)| body[at + found.len()..].split('}').next().unwrap_or_default().to_owned())
        // The authorizer's URI names its function through a placeholder, resolved just below
        .filter(|called| called != "__FunctionArn__")
        .chain(
            body.match_indices("\"__FunctionArn__\":{\"Ref\":\"")
                .map(|(at, found)| body[at + found.len()..].split('"').next().unwrap_or_default().to_owned()),
        )
        .collect();
    assert_eq!(called, expected);
}
