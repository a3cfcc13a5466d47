//! Where traces go, from the environment: `OTEL_TRACES_EXPORTER` (`xray`, `otlp` or `none`), else
//! OTLP when an OTLP endpoint is configured, else X-Ray when Lambda runs its daemon beside the
//! function (`AWS_XRAY_DAEMON_ADDRESS`, set with active tracing), else nowhere. An empty variable
//! counts as unset, so a template can pass an empty parameter through.

use std::net::SocketAddr;

use super::TracesError;
use super::xray_daemon;

/// The standard OpenTelemetry variable that names the exporter; `xray` is this project's value.
pub const TRACES_EXPORTER_VARIABLE: &str = "OTEL_TRACES_EXPORTER";
const DAEMON_ADDRESS_VARIABLE: &str = "AWS_XRAY_DAEMON_ADDRESS";
const OTLP_ENDPOINT_VARIABLES: [&str; 2] = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExporterChoice {
    /// Segment documents over UDP to the X-Ray daemon endpoint at this address.
    Xray { daemon: SocketAddr },
    /// OTLP/HTTP (protobuf) to the endpoint the `OTEL_EXPORTER_OTLP_*` variables configure.
    Otlp,
    /// Nothing is exported.
    None,
}

impl ExporterChoice {
    pub fn from_env() -> Result<Self, TracesError> {
        Self::from_variables(|name| std::env::var(name).ok())
    }

    /// The choice the variables `lookup` gives make.
    pub fn from_variables(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TracesError> {
        let set = |name: &str| lookup(name).map(|value| value.trim().to_owned()).filter(|value| !value.is_empty());
        let daemon = || {
            let configured = set(DAEMON_ADDRESS_VARIABLE).unwrap_or_else(|| xray_daemon::DEFAULT_ADDRESS.to_owned());
            Ok(Self::Xray { daemon: xray_daemon::udp_address(&configured)? })
        };
        match set(TRACES_EXPORTER_VARIABLE).map(|value| value.to_ascii_lowercase()).as_deref() {
            Some("xray") => daemon(),
            Some("otlp") => Ok(Self::Otlp),
            Some("none") => Ok(Self::None),
            Some(other) => {
                Err(TracesError::UnknownExporter { variable: TRACES_EXPORTER_VARIABLE, value: other.to_owned() })
            }
            None if OTLP_ENDPOINT_VARIABLES.iter().any(|name| set(name).is_some()) => Ok(Self::Otlp),
            None if set(DAEMON_ADDRESS_VARIABLE).is_some() => daemon(),
            None => Ok(Self::None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(pairs: &[(&str, &str)]) -> Result<ExporterChoice, TracesError> {
        ExporterChoice::from_variables(|name| {
            pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn in_a_traced_lambda_function_spans_go_to_its_x_ray_daemon() {
        let chosen = choice(&[("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000")]).expect("a choice");

        assert_eq!(chosen, ExporterChoice::Xray { daemon: "169.254.79.129:2000".parse().expect("address") });
    }

    #[test]
    fn an_otlp_endpoint_sends_otlp_even_where_the_daemon_runs() {
        for endpoint in ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            let chosen =
                choice(&[("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000"), (endpoint, "https://otlp.example")]);

            assert_eq!(chosen.expect("a choice"), ExporterChoice::Otlp, "{endpoint}");
        }
    }

    #[test]
    fn the_exporter_variable_wins_and_none_turns_traces_off() {
        let everything = [
            ("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example"),
        ];
        for (value, expected) in [
            ("none", ExporterChoice::None),
            ("otlp", ExporterChoice::Otlp),
            ("XRay", ExporterChoice::Xray { daemon: "169.254.79.129:2000".parse().expect("address") }),
        ] {
            let mut variables = everything.to_vec();
            variables.push(("OTEL_TRACES_EXPORTER", value));

            assert_eq!(choice(&variables).expect("a choice"), expected, "{value}");
        }
    }

    #[test]
    fn without_any_variable_or_with_empty_ones_nothing_is_exported() {
        assert_eq!(choice(&[]).expect("a choice"), ExporterChoice::None);
        let empty =
            [("OTEL_TRACES_EXPORTER", ""), ("OTEL_EXPORTER_OTLP_ENDPOINT", " "), ("AWS_XRAY_DAEMON_ADDRESS", "")];
        assert_eq!(choice(&empty).expect("a choice"), ExporterChoice::None);
    }

    #[test]
    fn an_unknown_exporter_is_an_error_naming_it() {
        let error = choice(&[("OTEL_TRACES_EXPORTER", "zipkin")]).expect_err("unknown");

        assert!(error.to_string().contains("zipkin"), "{error}");
    }

    #[test]
    fn xray_asked_for_outside_lambda_uses_the_daemons_default_address() {
        let chosen = choice(&[("OTEL_TRACES_EXPORTER", "xray")]).expect("a choice");

        assert_eq!(chosen, ExporterChoice::Xray { daemon: "127.0.0.1:2000".parse().expect("address") });
    }
}
