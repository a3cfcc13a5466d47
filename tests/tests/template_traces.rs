//! What `template.yaml` must keep for traces: every function traced by Lambda (its own segment,
//! and the daemon endpoint the X-Ray exporter sends to), the exporter chosen by one parameter the
//! functions understand, and the standard OTLP variables filled from parameters.

use conduit_api_tests::template::{self, intrinsic};
use conduit_telemetry::traces::{ExporterChoice, TRACES_EXPORTER_VARIABLE};

/// The Globals' environment variable `name` and the parameter it takes its value from.
fn variable_from_parameter<'a>(template: &'a serde_norway::Value, name: &str) -> &'a str {
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];
    intrinsic(&variables[name], "Ref").unwrap_or_else(|| panic!("{name} is not set from a parameter"))
}

#[test]
fn every_function_is_traced_and_sends_to_x_ray_unless_told_otherwise() {
    let template = template::template();

    // Given the Globals: Lambda traces every function (its segments, the daemon endpoint)...
    assert_eq!(template["Globals"]["Function"]["Tracing"].as_str(), Some("Active"));
    for function in template::functions(&template) {
        assert!(function.properties["Tracing"].is_null(), "{} overrides Tracing", function.logical_id);
    }
    // ...and the exporter comes from TracesExporter, X-Ray by default.
    let parameter = &template["Parameters"][variable_from_parameter(&template, TRACES_EXPORTER_VARIABLE)];
    assert_eq!(parameter["Default"].as_str(), Some("xray"));

    // Then each allowed value means to the functions what its description says, with the
    // daemon's address Lambda gives a traced function and an OTLP endpoint set.
    let allowed: Vec<&str> =
        parameter["AllowedValues"].as_sequence().expect("values").iter().filter_map(|value| value.as_str()).collect();
    assert_eq!(allowed, ["xray", "otlp", "none"]);
    for (value, expected) in [
        ("xray", ExporterChoice::Xray { daemon: "169.254.79.129:2000".parse().expect("address") }),
        ("otlp", ExporterChoice::Otlp),
        ("none", ExporterChoice::None),
    ] {
        let chosen = ExporterChoice::from_variables(|name| match name {
            TRACES_EXPORTER_VARIABLE => Some(value.to_owned()),
            "AWS_XRAY_DAEMON_ADDRESS" => Some("169.254.79.129:2000".to_owned()),
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("https://otlp.example.com".to_owned()),
            _ => None,
        });
        assert_eq!(chosen.expect("understood"), expected, "{value}");
    }
}

#[test]
fn the_otlp_variables_come_from_parameters_whose_defaults_send_nothing_and_keep_the_flush_short() {
    let template = template::template();
    let parameters = &template["Parameters"];

    // The endpoint: empty by default (the code and the exporter read empty as unset), else a URL.
    let endpoint = &parameters[variable_from_parameter(&template, "OTEL_EXPORTER_OTLP_ENDPOINT")];
    assert_eq!(endpoint["Default"].as_str(), Some(""));
    let pattern = regex::Regex::new(endpoint["AllowedPattern"].as_str().expect("a pattern")).expect("a regex");
    for accepted in ["", "https://otlp.example.com:4318", "http://collector.internal:4318"] {
        assert!(pattern.is_match(accepted), "{accepted:?} refused");
    }
    for refused in ["otlp.example.com", "ftp://otlp.example.com", "https://otlp example"] {
        assert!(!pattern.is_match(refused), "{refused:?} accepted");
    }
    // The headers carry the backend's key: never echoed by CloudFormation.
    let headers = &parameters[variable_from_parameter(&template, "OTEL_EXPORTER_OTLP_HEADERS")];
    assert_eq!(headers["NoEcho"].as_bool(), Some(true));
    assert_eq!(headers["Default"].as_str(), Some(""));
    // The export timeout bounds the flush after each invocation: a second by default, and never
    // past the five seconds the SDK waits for a flush at most.
    let timeout = &parameters[variable_from_parameter(&template, "OTEL_EXPORTER_OTLP_TIMEOUT")];
    assert_eq!(timeout["Default"].as_u64(), Some(1000));
    assert!(timeout["MaxValue"].as_u64().is_some_and(|max| max <= 5000), "{timeout:?}");
}
