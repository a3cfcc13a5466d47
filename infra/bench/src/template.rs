//! The functions of `template.yaml` and the environment Lambda would give each, as
//! `tests/tests/lambda_binaries.rs` builds it: the template's variables (globals merged with the
//! function's) with references resolved to local stand-ins, plus the variables Lambda sets itself.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_norway::Value as Yaml;

pub const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
/// The local stand-in for the `MailSender` parameter (verified in moto_server's SES).
pub const MAIL_SENDER: &str = "no-reply@conduit.test";
const LOG_STREAM: &str = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef";

/// A function as Lambda gets it: the template's function with `Globals.Function` applied.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub binary: String,
    properties: BTreeMap<String, Yaml>,
    variables: BTreeMap<String, Yaml>,
    logging: BTreeMap<String, Yaml>,
}

pub fn parse(text: &str) -> Result<Yaml, String> {
    serde_norway::from_str(text).map_err(|error| format!("template.yaml: {error}"))
}

/// Every `AWS::Serverless::Function` of the template, in template order.
pub fn functions(template: &Yaml) -> Result<Vec<FunctionConfig>, String> {
    let resources = template["Resources"].as_mapping().ok_or("template.yaml has no Resources")?;
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, resource)| {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| format!("{name:?} names no Metadata.BuildProperties.Binary"))?;
            Ok(configure(template, binary, &resource["Properties"]))
        })
        .collect()
}

/// A function with only the global settings, as the floor is run: same variables, same memory.
pub fn global_function(template: &Yaml, binary: &str) -> FunctionConfig {
    configure(template, binary, &Yaml::Null)
}

fn configure(template: &Yaml, binary: &str, own: &Yaml) -> FunctionConfig {
    let globals = &template["Globals"]["Function"];
    let merged = |path: &[&str]| {
        let at = |root: &Yaml| path.iter().fold(root.clone(), |value, key| value[*key].clone());
        let mut merged = entries(&at(globals));
        merged.extend(entries(&at(own)));
        merged
    };
    FunctionConfig {
        binary: binary.to_owned(),
        properties: merged(&[]),
        variables: merged(&["Environment", "Variables"]),
        logging: merged(&["LoggingConfig"]),
    }
}

fn entries(mapping: &Yaml) -> BTreeMap<String, Yaml> {
    mapping
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), value.clone())))
        .collect()
}

/// What the template's references stand for on this machine.
pub struct LocalStack<'t> {
    pub template: &'t Yaml,
    pub table_name: String,
    pub secret_arn: String,
}

impl LocalStack<'_> {
    fn resolve(&self, value: &Yaml) -> Result<String, String> {
        match value {
            Yaml::Tagged(tagged) => match (tagged.tag.to_string().trim_start_matches('!'), &tagged.value) {
                ("Ref", Yaml::String(name)) => self.reference(name),
                ("GetAtt", Yaml::String(dotted)) if dotted == "Table.Arn" => {
                    Ok(format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}", self.table_name))
                }
                (function, argument) => Err(format!("!{function} {argument:?} has no local value in the benchmark")),
            },
            Yaml::String(text) => Ok(text.clone()),
            Yaml::Number(number) => Ok(number.to_string()),
            Yaml::Bool(flag) => Ok(flag.to_string()),
            other => Err(format!("{other:?} is not a scalar value")),
        }
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        match name {
            "Table" => Ok(self.table_name.clone()),
            "SigningSecret" => Ok(self.secret_arn.clone()),
            "AWS::Region" => Ok(REGION.to_owned()),
            "AWS::AccountId" => Ok(ACCOUNT.to_owned()),
            "AppBaseUrl" => Ok(conduit_bootstrap::LOCAL_APP_BASE_URL.to_owned()),
            "MailSender" => Ok(MAIL_SENDER.to_owned()),
            _ => match self.template["Parameters"][name].get("Default") {
                Some(default) => self.resolve(default),
                None => Err(format!("!Ref {name} has no local value in the benchmark")),
            },
        }
    }
}

/// Where the functions' AWS services and X-Ray daemon are on this machine.
pub struct Services {
    pub dynamodb_endpoint: String,
    pub moto_endpoint: String,
    pub xray_daemon: String,
}

/// The function's settings for the emulator: its whole process environment and its timeout.
pub struct LambdaSettings {
    pub environment: BTreeMap<String, String>,
    pub timeout: Duration,
    pub active_tracing: bool,
}

pub fn lambda_settings(
    function: &FunctionConfig,
    stack: &LocalStack<'_>,
    services: &Services,
    code_dir: &Path,
) -> Result<LambdaSettings, String> {
    let context = |what: &str| {
        let binary = function.binary.clone();
        let what = what.to_owned();
        move |error: String| format!("{binary}: {what}: {error}")
    };
    let property = |name: &str| function.properties.get(name).map(|value| stack.resolve(value)).transpose();
    let memory = property("MemorySize").map_err(context("MemorySize"))?.unwrap_or_else(|| "128".into());
    let timeout = match property("Timeout").map_err(context("Timeout"))? {
        Some(seconds) => Duration::from_secs(seconds.parse().map_err(|_| format!("{}: Timeout", function.binary))?),
        None => conduit_lambda_runtime_emulator::LAMBDA_DEFAULT_TIMEOUT,
    };
    let code_dir = code_dir.display().to_string();
    let mut lambda: BTreeMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", function.binary.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", function.binary)),
        ("AWS_LAMBDA_LOG_STREAM_NAME", LOG_STREAM.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "ASIALOCALLAMBDAROLE00".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local-lambda-execution-role-secret".to_owned()),
        ("AWS_SESSION_TOKEN", "local-lambda-execution-role-session".to_owned()),
        ("LAMBDA_TASK_ROOT", code_dir.clone()),
        ("LAMBDA_RUNTIME_DIR", code_dir),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
        // This machine's stand-ins for DynamoDB, Secrets Manager and SES (read by aws-config).
        ("AWS_ENDPOINT_URL_DYNAMODB", services.dynamodb_endpoint.clone()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", services.moto_endpoint.clone()),
        ("AWS_ENDPOINT_URL_SESV2", services.moto_endpoint.clone()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    if let Some(handler) = property("Handler").map_err(context("Handler"))? {
        lambda.insert("_HANDLER".into(), handler);
    }
    let active_tracing = property("Tracing").map_err(context("Tracing"))?.as_deref() == Some("Active");
    if active_tracing {
        let (host, port) = services.xray_daemon.rsplit_once(':').ok_or("the X-Ray daemon address is host:port")?;
        lambda.insert("AWS_XRAY_DAEMON_ADDRESS".into(), services.xray_daemon.clone());
        lambda.insert("_AWS_XRAY_DAEMON_ADDRESS".into(), host.to_owned());
        lambda.insert("_AWS_XRAY_DAEMON_PORT".into(), port.to_owned());
        lambda.insert("AWS_XRAY_CONTEXT_MISSING".into(), "LOG_ERROR".into());
    }
    for (setting, variable) in [("LogFormat", "AWS_LAMBDA_LOG_FORMAT"), ("ApplicationLogLevel", "AWS_LAMBDA_LOG_LEVEL")]
    {
        if let Some(value) = function.logging.get(setting) {
            lambda.insert(variable.into(), stack.resolve(value).map_err(context(setting))?);
        }
    }
    let mut environment = BTreeMap::new();
    for (name, value) in &function.variables {
        environment.insert(name.clone(), stack.resolve(value).map_err(context(name))?);
    }
    environment.extend(lambda);
    Ok(LambdaSettings { environment, timeout, active_tracing })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Level: {Type: String, Default: WARN}
  Stage: {Type: String}
Globals:
  Function:
    MemorySize: 256
    Timeout: 10
    Tracing: Active
    LoggingConfig: {LogFormat: JSON}
    Environment: {Variables: {TABLE_NAME: !Ref Table, LEVEL: !Ref Level}}
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Login:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: login-user}}
    Properties:
      MemorySize: 1024
      Environment: {Variables: {SIGNING_SECRET_ID: !Ref SigningSecret}}
  Broken:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: broken}}
    Properties:
      Environment: {Variables: {STAGE: !Ref Stage}}
"#;

    fn settings(binary: &str) -> Result<LambdaSettings, String> {
        let template = parse(TEMPLATE).expect("YAML");
        let stack =
            LocalStack { template: &template, table_name: "bench-table".into(), secret_arn: "arn:secret".into() };
        let services = Services {
            dynamodb_endpoint: "http://127.0.0.1:1".into(),
            moto_endpoint: "http://127.0.0.1:2".into(),
            xray_daemon: "127.0.0.1:3".into(),
        };
        let function = if binary == "bench-floor" {
            global_function(&template, binary)
        } else {
            functions(&template)?.into_iter().find(|function| function.binary == binary).expect("in the template")
        };
        lambda_settings(&function, &stack, &services, Path::new("/code"))
    }

    #[test]
    fn a_function_gets_the_global_and_its_own_variables_resolved_and_lambdas_own() {
        let login = settings("login-user").expect("settings");

        assert_eq!(login.environment["TABLE_NAME"], "bench-table");
        assert_eq!(login.environment["LEVEL"], "WARN");
        assert_eq!(login.environment["SIGNING_SECRET_ID"], "arn:secret");
        assert_eq!(login.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "1024");
        assert_eq!(login.environment["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(login.environment["AWS_XRAY_DAEMON_ADDRESS"], "127.0.0.1:3");
        assert_eq!(login.timeout, Duration::from_secs(10));
    }

    #[test]
    fn the_floor_gets_the_global_settings_only() {
        let floor = settings("bench-floor").expect("settings");

        assert_eq!(floor.environment["TABLE_NAME"], "bench-table");
        assert_eq!(floor.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert!(!floor.environment.contains_key("SIGNING_SECRET_ID"));
    }

    #[test]
    fn a_reference_without_a_local_value_fails_naming_it() {
        let error = settings("broken").err().expect("an error");

        assert!(error.contains("!Ref Stage"), "{error}");
    }
}
