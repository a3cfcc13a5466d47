//! Each function's timeout as Lambda gets it from `template.yaml`: the function's own `Timeout`,
//! else `Globals.Function.Timeout`, else Lambda's default of 3 seconds. The template is compiled
//! in (as `conduit-dynamodb-local` compiles in the table), so the gateway always runs with the
//! timeouts of the tree it was built from; `tests/tests/aws_limits.rs` holds the two to the same
//! reading of the template the Lambda binaries test uses.

use std::collections::HashMap;
use std::time::Duration;

use serde_norway::Value as Yaml;

const TEMPLATE: &str = include_str!("../../../template.yaml");

/// What Lambda gives a function whose configuration names no timeout.
const LAMBDA_DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Lambda's largest timeout ("Lambda quotas": function timeout, 900 seconds).
const LAMBDA_MAX_TIMEOUT_SECONDS: u64 = 900;

#[derive(Debug, thiserror::Error)]
pub enum FunctionTimeoutsError {
    #[error("template.yaml is not valid YAML")]
    Yaml(#[from] serde_norway::Error),
    #[error("{function}: Timeout {value} is not a whole number of seconds from 1 to {LAMBDA_MAX_TIMEOUT_SECONDS}")]
    NotSeconds { function: String, value: String },
    #[error("{0} names no binary under Metadata.BuildProperties.Binary")]
    NoBinary(String),
}

/// The timeout of every function of the template, by function (binary) name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionTimeouts {
    by_function: HashMap<String, Duration>,
    /// `Globals.Function`'s: what a function the template does not declare (a test's own stream
    /// consumer) would get if it were declared without a timeout of its own.
    global: Duration,
}

impl FunctionTimeouts {
    /// The timeouts of the template this gateway was built with.
    pub fn from_template() -> Result<Self, FunctionTimeoutsError> {
        Self::parse(TEMPLATE)
    }

    fn parse(text: &str) -> Result<Self, FunctionTimeoutsError> {
        let template: Yaml = serde_norway::from_str(text)?;
        let global = match &template["Globals"]["Function"]["Timeout"] {
            Yaml::Null => LAMBDA_DEFAULT_TIMEOUT,
            value => seconds("Globals.Function", value)?,
        };
        let mut by_function = HashMap::new();
        for (logical_id, resource) in template["Resources"].as_mapping().into_iter().flatten() {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let logical_id = logical_id.as_str().unwrap_or_default();
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| FunctionTimeoutsError::NoBinary(logical_id.to_owned()))?;
            let timeout = match &resource["Properties"]["Timeout"] {
                Yaml::Null => global,
                value => seconds(logical_id, value)?,
            };
            by_function.insert(binary.to_owned(), timeout);
        }
        Ok(Self { by_function, global })
    }

    /// `function`'s timeout.
    pub fn of(&self, function: &str) -> Duration {
        self.by_function.get(function).copied().unwrap_or(self.global)
    }

    /// The same timeout for every function (the local `--function-timeout-seconds`).
    pub(crate) fn all(&self, timeout: Duration) -> Self {
        Self {
            by_function: self.by_function.keys().map(|function| (function.clone(), timeout)).collect(),
            global: timeout,
        }
    }
}

fn seconds(function: &str, value: &Yaml) -> Result<Duration, FunctionTimeoutsError> {
    value
        .as_u64()
        .filter(|seconds| (1..=LAMBDA_MAX_TIMEOUT_SECONDS).contains(seconds))
        .map(Duration::from_secs)
        .ok_or_else(|| FunctionTimeoutsError::NotSeconds {
            function: function.to_owned(),
            value: serde_norway::to_string(value).unwrap_or_default().trim().to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "
Globals:
  Function:
    Timeout: 10
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  FastFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: fast}}
  SlowFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: slow}}
    Properties: {Timeout: 120}
";

    #[test]
    fn a_function_has_its_own_timeout_else_the_global_one() {
        let timeouts = FunctionTimeouts::parse(TEMPLATE).expect("valid");

        assert_eq!(timeouts.of("fast"), Duration::from_secs(10));
        assert_eq!(timeouts.of("slow"), Duration::from_secs(120));
        assert_eq!(timeouts.of("undeclared"), Duration::from_secs(10));
    }

    #[test]
    fn without_any_timeout_lambdas_default_applies() {
        let template =
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata: {BuildProperties: {Binary: f}}\n";

        assert_eq!(FunctionTimeouts::parse(template).expect("valid").of("f"), Duration::from_secs(3));
    }

    #[test]
    fn a_timeout_that_lambda_would_refuse_is_refused_by_function() {
        for value in ["0", "901", "!Ref Seconds", "'ten'"] {
            let template = TEMPLATE.replace("Timeout: 120", &format!("Timeout: {value}"));

            let error = FunctionTimeoutsError::to_string(&FunctionTimeouts::parse(&template).expect_err(value));

            assert!(error.starts_with("SlowFunction: Timeout "), "{value}: {error}");
        }
    }

    #[test]
    fn one_timeout_for_all_replaces_every_functions() {
        let timeouts = FunctionTimeouts::parse(TEMPLATE).expect("valid").all(Duration::from_secs(1));

        for function in ["fast", "slow", "undeclared"] {
            assert_eq!(timeouts.of(function), Duration::from_secs(1), "{function}");
        }
    }
}
