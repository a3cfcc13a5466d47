//! The functions of `template.yaml` as Lambda gets them (`Globals.Function` merged with each
//! function's properties), what the template's references stand for on this machine, and the
//! environment Lambda would start each function's binary with: the template's variables, resolved,
//! plus the variables Lambda sets itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use conduit_lambda_runtime_emulator::Function;
use serde_norway::Value as Yaml;

use crate::template;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// The local stand-in for the `MailSender` parameter (verified in moto_server's SES).
pub const MAIL_SENDER: &str = "no-reply@conduit.test";
/// The log stream Lambda names to every function here (`AWS_LAMBDA_LOG_STREAM_NAME`).
pub const LOG_STREAM: &str = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef";
/// The name given in errors to a function that has only the global settings.
const GLOBAL_FUNCTION: &str = "Globals.Function";

// ------------------------------------------------------------------ the template's functions

/// A function as Lambda gets it: the template's function with `Globals.Function` applied, values
/// still unresolved.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// The resource's logical id (`Globals.Function` for [`global_function`]), which errors name.
    pub logical_id: String,
    pub binary: String,
    /// Property name -> value: the function's own over the global ones.
    properties: BTreeMap<String, Yaml>,
    /// `Environment.Variables`: the function's merged over the global ones.
    variables: BTreeMap<String, Yaml>,
    /// `LoggingConfig`: the function's keys over the global ones.
    pub logging: BTreeMap<String, Yaml>,
}

impl FunctionConfig {
    /// `MemorySize` in MB, the function's own or the global one.
    pub fn memory_size_mb(&self) -> Option<u32> {
        self.properties.get("MemorySize").and_then(Yaml::as_u64).and_then(|mb| u32::try_from(mb).ok())
    }
}

/// Every `AWS::Serverless::Function` of the template, in template order.
pub fn function_configs(template: &Yaml) -> Result<Vec<FunctionConfig>, String> {
    Ok(template::try_functions(template)?
        .into_iter()
        .map(|function| configure(template, function.logical_id, &function.binary, &function.properties))
        .collect())
}

/// A function with the global settings only (the same variables, the same memory), as the
/// benchmark's floor is run.
pub fn global_function(template: &Yaml, binary: &str) -> FunctionConfig {
    configure(template, GLOBAL_FUNCTION.to_owned(), binary, &Yaml::Null)
}

fn configure(template: &Yaml, logical_id: String, binary: &str, own: &Yaml) -> FunctionConfig {
    let globals = &template["Globals"]["Function"];
    let merged = |path: &[&str]| {
        let at = |root: &Yaml| path.iter().fold(root.clone(), |value, key| value[*key].clone());
        let mut merged = entries(&at(globals));
        merged.extend(entries(&at(own)));
        merged
    };
    FunctionConfig {
        logical_id,
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

// ------------------------------------------------------------------ local values of references

/// What the template's references stand for on this machine. A reference not mapped here is an
/// error, so a new resource a function refers to has to be given a local stand-in on purpose.
pub struct LocalStack<'t> {
    pub template: &'t Yaml,
    pub table_name: String,
    pub secret_arn: String,
}

impl LocalStack<'_> {
    pub fn resolve(&self, value: &Yaml) -> Result<String, String> {
        if let Some((function, argument)) = intrinsic(value) {
            return match function.as_str() {
                "Ref" => self.reference(argument.as_str().ok_or("!Ref needs a name")?),
                "GetAtt" => {
                    let (resource, attribute) = match argument {
                        Yaml::String(dotted) => dotted.split_once('.').ok_or(format!("!GetAtt {dotted}"))?,
                        Yaml::Sequence(pair) if pair.len() == 2 => {
                            (pair[0].as_str().ok_or("!GetAtt resource")?, pair[1].as_str().ok_or("!GetAtt attribute")?)
                        }
                        _ => return Err(format!("!GetAtt {argument:?} is not a resource and an attribute")),
                    };
                    self.attribute(resource, attribute)
                }
                "Sub" => match argument {
                    Yaml::String(text) => self.substitute(text, &BTreeMap::new()),
                    Yaml::Sequence(pair) if pair.len() == 2 => {
                        let text = pair[0].as_str().ok_or("!Sub needs a string")?;
                        let given = entries(&pair[1])
                            .into_iter()
                            .map(|(name, value)| Ok((name, self.resolve(&value)?)))
                            .collect::<Result<_, String>>()?;
                        self.substitute(text, &given)
                    }
                    _ => Err(format!("!Sub {argument:?} is neither a string nor [string, variables]")),
                },
                other => Err(format!("!{other} has no local evaluation (only !Ref, !GetAtt and !Sub do)")),
            };
        }
        match value {
            Yaml::String(text) => Ok(text.clone()),
            Yaml::Number(number) => Ok(number.to_string()),
            Yaml::Bool(flag) => Ok(flag.to_string()),
            other => Err(format!("{other:?} is not a scalar value")),
        }
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        match name {
            "Table" => return Ok(self.table_name.clone()),
            // A secret's Ref is its ARN.
            "SigningSecret" => return Ok(self.secret_arn.clone()),
            "AWS::Region" => return Ok(REGION.to_owned()),
            "AWS::AccountId" => return Ok(ACCOUNT.to_owned()),
            "AWS::Partition" => return Ok("aws".to_owned()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".to_owned()),
            "AWS::StackName" => return Ok("conduit-local".to_owned()),
            // Parameters every deployment must set (no Default), with local stand-ins.
            "AppBaseUrl" => return Ok(conduit_bootstrap::LOCAL_APP_BASE_URL.to_owned()),
            "MailSender" => return Ok(MAIL_SENDER.to_owned()),
            _ => {}
        }
        let parameter = &self.template["Parameters"][name];
        if parameter.is_mapping() {
            let default = parameter.get("Default").ok_or(format!("!Ref {name}: the parameter has no Default"))?;
            return self.resolve(default);
        }
        Err(format!("!Ref {name} has no local value: map it in LocalStack::reference"))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, String> {
        match (resource, attribute) {
            ("Table", "Arn") => Ok(format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}", self.table_name)),
            _ => Err(format!("!GetAtt {resource}.{attribute} has no local value: map it in LocalStack::attribute")),
        }
    }

    /// `${Name}` is a reference (or a given variable), `${Name.Attribute}` an attribute, `${!x}` a literal.
    fn substitute(&self, text: &str, given: &BTreeMap<String, String>) -> Result<String, String> {
        let mut result = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            result.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or(format!("!Sub {text:?}: unclosed ${{"))? + start;
            let name = &rest[start + 2..end];
            match (name.strip_prefix('!'), given.get(name), name.split_once('.')) {
                (Some(literal), _, _) => result.push_str(&format!("${{{literal}}}")),
                (None, Some(value), _) => result.push_str(value),
                (None, None, Some((resource, attribute))) => result.push_str(&self.attribute(resource, attribute)?),
                (None, None, None) => result.push_str(&self.reference(name)?),
            }
            rest = &rest[end + 1..];
        }
        result.push_str(rest);
        Ok(result)
    }
}

/// `!Name argument` or its long form `{"Fn::Name": argument}` / `{"Ref": argument}`.
fn intrinsic(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((tagged.tag.to_string().trim_start_matches('!').to_owned(), &tagged.value)),
        Yaml::Mapping(mapping) if mapping.len() == 1 => {
            let (key, argument) = mapping.iter().next()?;
            let key = key.as_str()?;
            let function = if key == "Ref" { key } else { key.strip_prefix("Fn::")? };
            Some((function.to_owned(), argument))
        }
        _ => None,
    }
}

// ------------------------------------------------------------------ the environment Lambda gives

/// The local services the functions reach, and where their telemetry goes.
pub struct Services {
    pub dynamodb_endpoint: String,
    /// moto_server, which serves Secrets Manager and SES v2 on the same port.
    pub secretsmanager_endpoint: String,
    /// Where traced functions send their segments, as to the daemon beside a Lambda function.
    pub xray_daemon: String,
    /// Where the functions log the AWS calls they make (`CONDUIT_AWS_CALL_LOG_DIR`), if anywhere.
    pub aws_call_log_dir: Option<String>,
    /// Where instrumented binaries write their coverage profile (`LLVM_PROFILE_FILE`), if anywhere.
    pub coverage_profile: Option<String>,
}

impl Services {
    /// Addresses where nothing listens, for looking at a function's environment without starting it.
    pub fn placeholders() -> Self {
        Self {
            dynamodb_endpoint: "http://127.0.0.1:1".into(),
            secretsmanager_endpoint: "http://127.0.0.1:2".into(),
            xray_daemon: "127.0.0.1:3".into(),
            aws_call_log_dir: None,
            coverage_profile: None,
        }
    }

    /// The services the test command started, and its call log and coverage settings.
    pub fn from_test_environment(xray_daemon: String) -> Self {
        let required = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!(
                    "{name} is not set: run the tests with infra/test.sh, which starts DynamoDB Local and moto_server"
                )
            })
        };
        Self {
            dynamodb_endpoint: required("CONDUIT_TEST_DYNAMODB_ENDPOINT"),
            secretsmanager_endpoint: required("CONDUIT_TEST_SECRETSMANAGER_ENDPOINT"),
            xray_daemon,
            aws_call_log_dir: std::env::var("CONDUIT_AWS_CALL_LOG_DIR").ok(),
            // The coverage run of infra/test.sh starts instrumented binaries, and each writes its
            // profile where this variable says, so what they run is measured.
            coverage_profile: std::env::var("LLVM_PROFILE_FILE").ok(),
        }
    }
}

/// Where `cargo build --workspace --bins` put the function binaries, for a test of this profile:
/// a test runs from `<target>/<profile>/deps`, the binaries are in `<target>/<profile>`.
pub fn binaries_dir() -> PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    test.parent().and_then(Path::parent).expect("the profile directory").to_path_buf()
}

/// The signing secret a test makes in moto_server (the template's `SigningSecret`).
pub struct SigningSecret {
    pub arn: String,
    /// What the functions name the key by (`kid`).
    pub version_id: String,
}

impl Services {
    /// A signing secret of its own in moto_server, holding `key`.
    pub async fn create_signing_secret(&self, key: &[u8]) -> SigningSecret {
        let client = aws_sdk_secretsmanager::Client::new(&conduit_dynamodb_local::local_sdk_config(
            &self.secretsmanager_endpoint,
        ));
        let name = format!("conduit/test/lambda-binaries/{}", ulid::Ulid::new());
        let created = client
            .create_secret()
            .name(&name)
            .secret_string(std::str::from_utf8(key).expect("text key"))
            .send()
            .await
            .expect("signing secret created in moto_server");
        SigningSecret { arn: created.arn.expect("secret ARN"), version_id: created.version_id.expect("secret version") }
    }

    /// The sender every mailing function is given (`MailSender`), verified in moto_server's SES,
    /// as SES requires before it sends.
    pub async fn verify_mail_sender(&self) {
        let client =
            aws_sdk_sesv2::Client::new(&conduit_dynamodb_local::local_sdk_config(&self.secretsmanager_endpoint));
        client
            .create_email_identity()
            .email_identity(MAIL_SENDER)
            .send()
            .await
            .expect("sender verified in moto_server");
    }
}

/// A function's settings for the emulator: its whole process environment and its timeout.
pub struct LambdaSettings {
    pub environment: BTreeMap<String, String>,
    pub timeout: Duration,
    pub active_tracing: bool,
}

impl LambdaSettings {
    /// How Lambda would start `program` with these settings.
    pub fn function(self, program: PathBuf) -> Function {
        Function::new(program, self.environment).timeout(self.timeout).active_tracing(self.active_tracing)
    }
}

/// The emulator's settings for `function`, from its properties.
pub fn lambda_settings(
    function: &FunctionConfig,
    stack: &LocalStack<'_>,
    services: &Services,
    code_dir: &Path,
) -> Result<LambdaSettings, String> {
    let environment = lambda_environment(function, stack, services, code_dir)?;
    let timeout = match function.properties.get("Timeout") {
        None => conduit_lambda_runtime_emulator::LAMBDA_DEFAULT_TIMEOUT,
        Some(value) => {
            let seconds = stack.resolve(value).map_err(|error| format!("{}: Timeout: {error}", function.logical_id))?;
            Duration::from_secs(seconds.parse().map_err(|_| format!("{}: Timeout {seconds:?}", function.logical_id))?)
        }
    };
    // Lambda gives the daemon's address exactly to the functions it traces.
    let active_tracing = environment.contains_key("AWS_XRAY_DAEMON_ADDRESS");
    Ok(LambdaSettings { environment, timeout, active_tracing })
}

/// The process environment of `function`: the template's variables, resolved, and the variables
/// Lambda sets itself (`AWS_LAMBDA_RUNTIME_API` is added by the emulator, which alone knows it).
pub fn lambda_environment(
    function: &FunctionConfig,
    stack: &LocalStack<'_>,
    services: &Services,
    code_dir: &Path,
) -> Result<BTreeMap<String, String>, String> {
    let property = |name: &str| function.properties.get(name).map(|value| stack.resolve(value)).transpose();
    let in_context = |what: String| move |error: String| format!("{}: {what}: {error}", function.logical_id);
    let memory = property("MemorySize").map_err(in_context("MemorySize".into()))?.unwrap_or_else(|| "128".into());
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
        // The execution role's temporary credentials; the local services check only the signature's form.
        ("AWS_ACCESS_KEY_ID", "ASIALOCALLAMBDAROLE00".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local-lambda-execution-role-secret".to_owned()),
        ("AWS_SESSION_TOKEN", "local-lambda-execution-role-session".to_owned()),
        ("LAMBDA_TASK_ROOT", code_dir.clone()),
        ("LAMBDA_RUNTIME_DIR", code_dir),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".to_owned()),
        ("LANG", "en_US.UTF-8".to_owned()),
        ("TZ", ":UTC".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    if let Some(handler) = property("Handler").map_err(in_context("Handler".into()))? {
        lambda.insert("_HANDLER".into(), handler);
    }
    if property("Tracing").map_err(in_context("Tracing".into()))?.as_deref() == Some("Active") {
        let (host, port) = services.xray_daemon.rsplit_once(':').ok_or("the X-Ray daemon address is not host:port")?;
        lambda.insert("AWS_XRAY_DAEMON_ADDRESS".into(), services.xray_daemon.clone());
        lambda.insert("_AWS_XRAY_DAEMON_ADDRESS".into(), host.to_owned());
        lambda.insert("_AWS_XRAY_DAEMON_PORT".into(), port.to_owned());
        lambda.insert("AWS_XRAY_CONTEXT_MISSING".into(), "LOG_ERROR".into());
    }
    // Lambda's advanced logging controls: the format, and the level only when the function sets one.
    for (setting, variable) in [("LogFormat", "AWS_LAMBDA_LOG_FORMAT"), ("ApplicationLogLevel", "AWS_LAMBDA_LOG_LEVEL")]
    {
        if let Some(value) = function.logging.get(setting) {
            lambda
                .insert(variable.into(), stack.resolve(value).map_err(in_context(format!("LoggingConfig.{setting}")))?);
        }
    }
    // Where this machine's stand-ins for DynamoDB and Secrets Manager listen (read by aws-config).
    lambda.insert("AWS_ENDPOINT_URL_DYNAMODB".into(), services.dynamodb_endpoint.clone());
    lambda.insert("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), services.secretsmanager_endpoint.clone());
    // moto_server serves SES v2 on the same port, with the sender verified as SES requires.
    lambda.insert("AWS_ENDPOINT_URL_SESV2".into(), services.secretsmanager_endpoint.clone());
    if let Some(dir) = &services.aws_call_log_dir {
        lambda.insert("CONDUIT_AWS_CALL_LOG_DIR".into(), dir.clone());
    }

    let mut environment = BTreeMap::new();
    for (name, value) in &function.variables {
        if lambda.contains_key(name) || name == conduit_lambda_runtime_emulator::RUNTIME_API_VARIABLE {
            return Err(format!(
                "{}: {name} is reserved for Lambda and cannot be set by the template",
                function.logical_id
            ));
        }
        environment.insert(name.clone(), stack.resolve(value).map_err(in_context(name.clone()))?);
    }
    environment.extend(lambda);
    // Lambda sets no such variable and no function reads it; an instrumented binary writes its
    // coverage profile there.
    if let Some(profile) = &services.coverage_profile {
        environment.insert("LLVM_PROFILE_FILE".to_owned(), profile.clone());
    }
    Ok(environment)
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
    const FLOOR: &str = "bench-floor";

    fn settings(binary: &str) -> Result<LambdaSettings, String> {
        let template = template::parse(TEMPLATE).expect("YAML");
        let stack =
            LocalStack { template: &template, table_name: "bench-table".into(), secret_arn: "arn:secret".into() };
        let function = if binary == FLOOR {
            global_function(&template, binary)
        } else {
            function_configs(&template)?
                .into_iter()
                .find(|function| function.binary == binary)
                .expect("in the template")
        };
        lambda_settings(&function, &stack, &Services::placeholders(), Path::new("/code"))
    }

    #[test]
    fn a_function_gets_the_global_and_its_own_variables_resolved_and_lambdas_own() {
        let login = settings("login-user").expect("settings");

        assert_eq!(login.environment["TABLE_NAME"], "bench-table");
        assert_eq!(login.environment["LEVEL"], "WARN");
        assert_eq!(login.environment["SIGNING_SECRET_ID"], "arn:secret");
        assert_eq!(login.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "1024");
        assert_eq!(login.environment["AWS_LAMBDA_LOG_FORMAT"], "JSON");
        assert_eq!(login.environment["AWS_XRAY_DAEMON_ADDRESS"], Services::placeholders().xray_daemon);
        assert!(login.active_tracing);
        assert_eq!(login.timeout, Duration::from_secs(10));
    }

    #[test]
    fn a_function_with_the_global_settings_only_gets_the_global_variables() {
        let floor = settings(FLOOR).expect("settings");

        assert_eq!(floor.environment["TABLE_NAME"], "bench-table");
        assert_eq!(floor.environment["AWS_LAMBDA_FUNCTION_NAME"], FLOOR);
        assert_eq!(floor.environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
        assert!(!floor.environment.contains_key("SIGNING_SECRET_ID"));
    }

    #[test]
    fn a_variable_without_a_local_value_fails_naming_its_function_and_reference() {
        let error = settings("broken").err().expect("an error");

        assert!(error.starts_with("Broken: STAGE:"), "{error}");
        assert!(error.contains("!Ref Stage"), "{error}");
    }
}
