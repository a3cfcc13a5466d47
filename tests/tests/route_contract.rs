//! One route contract: the route table in code, the functions and routes of `template.yaml`, the
//! function crates and the local gateway must all agree.

use std::collections::BTreeSet;
use std::path::Path;

use conduit_api_tests::template::{self, TemplateFunction, intrinsic, template};
use conduit_http::routes::{AUTHORIZER_FUNCTION, Auth, FALLBACK_FUNCTION, ROUTES, api_settings};
use serde_norway::Value;

const AUTHORIZER_NAME: &str = "TokenAuthorizer";

/// "METHOD PATH -> function (authorizer?)" for every HttpApi event; `$default` for the catch-all.
fn template_routes(template: &Value) -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for TemplateFunction { logical_id: name, properties, binary } in template::functions(template) {
        let Some(events) = properties["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|event| event["Type"].as_str() == Some("HttpApi")) {
            let event = &event["Properties"];
            assert_eq!(intrinsic(&event["ApiId"], "Ref"), Some("HttpApi"), "{name}: every route belongs to HttpApi");
            let key = match (event["Method"].as_str(), event["Path"].as_str()) {
                (Some(method), Some(path)) => format!("{method} {path}"),
                (None, None) => "$default".to_owned(),
                _ => panic!("{name}: a route needs both Method and Path, or neither ($default)"),
            };
            let authorizer = event["Auth"]["Authorizer"].as_str().unwrap_or("NONE");
            routes.insert(format!("{key} -> {binary} ({authorizer})"));
        }
    }
    routes
}

fn code_routes() -> BTreeSet<String> {
    let mut routes: BTreeSet<String> = ROUTES
        .iter()
        .map(|route| {
            let authorizer = if route.auth == Auth::Required { AUTHORIZER_NAME } else { "NONE" };
            format!("{} -> {} ({authorizer})", route.key(), route.function)
        })
        .collect();
    routes.insert(format!("$default -> {FALLBACK_FUNCTION} (NONE)"));
    routes
}

#[test]
fn the_template_declares_exactly_the_routes_in_code_with_the_same_authentication() {
    assert_eq!(template_routes(&template()), code_routes());
}

#[test]
fn every_template_function_has_a_crate_and_every_crate_a_function() {
    let functions_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let crates: BTreeSet<String> = std::fs::read_dir(&functions_dir)
        .expect("functions/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();

    let binaries: BTreeSet<String> =
        template::functions(&template()).into_iter().map(|function| function.binary).collect();

    assert_eq!(binaries, crates);
    assert!(binaries.contains(AUTHORIZER_FUNCTION));
}

#[test]
fn the_authorizer_is_the_one_the_code_expects_with_the_same_cache_ttl() {
    let template = template();
    let authorizer = &template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"][AUTHORIZER_NAME];
    // The alias, which CodeDeploy moves to each new version (tests/tests/gradual_deployment.rs)
    let function = intrinsic(&authorizer["FunctionArn"], "Ref")
        .unwrap_or_else(|| panic!("FunctionArn should be !Ref <Function>.Alias, is {:?}", authorizer["FunctionArn"]));
    let TemplateFunction { binary, .. } = template::functions(&template)
        .into_iter()
        .find(|candidate| format!("{}.Alias", candidate.logical_id) == function)
        .expect("the authorizer function exists");

    assert_eq!(binary, AUTHORIZER_FUNCTION);
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"].as_str(), Some("2.0"));
    assert_eq!(authorizer["EnableSimpleResponses"].as_bool(), Some(true));
    assert_eq!(authorizer["Identity"]["Headers"][0].as_str(), Some("Authorization"));
    assert_eq!(authorizer["Identity"]["ReauthorizeEvery"].as_u64(), Some(api_settings::AUTHORIZER_CACHE_TTL_SECONDS));
}

#[test]
fn cors_settings_match_what_the_local_gateway_applies() {
    let template = template();
    let cors = &template["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"];
    let strings = |key: &str| -> Vec<String> {
        cors[key].as_sequence().expect(key).iter().map(|v| v.as_str().expect("string").to_owned()).collect()
    };

    assert_eq!(strings("AllowOrigins"), api_settings::CORS_ALLOW_ORIGINS);
    assert_eq!(strings("AllowHeaders"), api_settings::CORS_ALLOW_HEADERS);
    assert_eq!(strings("AllowMethods"), api_settings::CORS_ALLOW_METHODS);
    assert_eq!(strings("ExposeHeaders"), api_settings::CORS_EXPOSE_HEADERS);
    assert_eq!(cors["MaxAge"].as_u64(), Some(api_settings::CORS_MAX_AGE_SECONDS));
}

#[test]
fn preflights_reach_the_default_route_with_no_authorizer_in_the_way() {
    // Browsers send no Authorization header on a preflight, and every preflight goes to
    // `$default`: a DefaultAuthorizer, which SAM also puts on `$default`, would refuse them all.
    let template = template();

    let default_authorizer = &template["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"];

    assert!(default_authorizer.is_null(), "DefaultAuthorizer: {default_authorizer:?}");
    assert!(template_routes(&template).contains(&format!("$default -> {FALLBACK_FUNCTION} (NONE)")));
}

#[test]
fn the_local_gateway_serves_every_route_function() {
    let sdk = conduit_dynamodb_local::local_sdk_config("http://127.0.0.1:1");
    let keys = conduit_bootstrap::KeyRing { current: conduit_bootstrap::SigningKey::generate("k"), previous: None };
    let adapters = conduit_bootstrap::Adapters::local(sdk, "unused", keys);

    let functions = conduit_local_gateway::build_functions(&adapters).expect("built");

    assert_eq!(conduit_local_gateway::missing_functions(&functions), Vec::<&str>::new());
    assert!(functions.contains_key(FALLBACK_FUNCTION));
}

#[test]
fn every_function_has_a_failure_alarm() {
    let template = template();
    let resources = template["Resources"].as_mapping().expect("Resources");
    let alarmed: BTreeSet<String> = resources
        .values()
        .filter(|resource| resource["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .flat_map(|alarm| alarm["Properties"]["Metrics"].as_sequence().cloned().unwrap_or_default())
        .map(|metric| metric["MetricStat"]["Metric"]["Dimensions"][0].clone())
        .filter(|dimension| dimension["Name"].as_str() == Some("FunctionName"))
        .filter_map(|dimension| intrinsic(&dimension["Value"], "Ref").map(str::to_owned))
        .collect();

    let functions: BTreeSet<String> =
        template::functions(&template).into_iter().map(|function| function.logical_id).collect();

    assert_eq!(alarmed, functions);
}

#[test]
fn the_dashboard_shows_every_metric_the_functions_emit() {
    let template = template();
    let body = intrinsic(&template["Resources"]["Dashboard"]["Properties"]["DashboardBody"], "Sub")
        .expect("DashboardBody should be a !Sub string");
    let dashboard: serde_json::Value = serde_json::from_str(body).expect("the dashboard body is JSON");

    let shown = dashboard.to_string();
    for name in conduit_telemetry::metrics::METRIC_NAMES {
        assert!(
            shown.contains(&format!("\"{name}\"")) || shown.contains(&format!("\\\"{name}\\\"")),
            "{name} is not on the dashboard"
        );
    }
    assert!(shown.contains(conduit_telemetry::metrics::NAMESPACE));
}
