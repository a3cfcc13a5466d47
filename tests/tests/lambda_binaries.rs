//! Every function of `template.yaml` runs as Lambda runs it: its built binary (`main.rs`, the
//! bootstrap from the environment, aws-config, the Secrets Manager key source) is started with
//! exactly the environment the template gives it plus what Lambda itself sets, speaks the Lambda
//! Runtime API, and answers its sample events as its handler does in-process in an identical world.
//! A custom resource handler answers on the request's ResponseURL, which the test serves itself.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use authorizer::{Authorizer, AuthorizerRequest};
use base64::Engine;
use conduit_api_tests::custom_resource::ResponseUrl;
use conduit_api_tests::samples::{
    self, CUSTOM_RESOURCE_HANDLERS, SAMPLE_KID, SAMPLE_SIGNING_KEY, STREAM_CONSUMERS, SampleWorld, expected_status,
    read, sample_events, seeded_world,
};
use conduit_api_tests::template::{self, template};
use conduit_bootstrap::{KeyRing, SigningKey};
use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Function, Outcome};
use futures::StreamExt;
use serde_json::Value;
use serde_norway::Value as Yaml;

const AUTHORIZER: &str = "authorizer";
/// The log stream Lambda names to every function here (`AWS_LAMBDA_LOG_STREAM_NAME`).
const LOG_STREAM: &str = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef";
/// How long a custom resource handler's answer may take to reach its ResponseURL after the
/// invocation ended (it is sent before: this only covers the server's hand-over).
const ANSWER_WAIT: Duration = Duration::from_secs(5);
/// The local stand-in for the `MailSender` parameter.
const MAIL_SENDER: &str = "no-reply@conduit.test";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
/// How many functions run at once: enough to overlap their waits on DynamoDB Local and process
/// start-up, few enough not to starve a small machine (at 6, on 2 cores, DynamoDB Local stalled
/// past the functions' 1 s attempt budget while twelve sample worlds were being seeded).
const PARALLEL: usize = 3;

// ------------------------------------------------------------------ the template's functions

/// A function as Lambda gets it: the template's function with `Globals.Function` applied, values
/// still unresolved.
struct FunctionConfig {
    logical_id: String,
    binary: String,
    /// Property name -> value: the function's own over the global ones.
    properties: BTreeMap<String, Yaml>,
    /// `Environment.Variables`: the function's merged over the global ones.
    variables: BTreeMap<String, Yaml>,
    /// `LoggingConfig`: the function's keys over the global ones.
    logging: BTreeMap<String, Yaml>,
}

fn function_configs(template: &Yaml) -> Vec<FunctionConfig> {
    let globals = &template["Globals"]["Function"];
    let merged = |path: &[&str], own: &Yaml| {
        let at = |root: &Yaml| path.iter().fold(root.clone(), |value, key| value[*key].clone());
        let mut merged = entries(&at(globals));
        merged.extend(entries(&at(own)));
        merged
    };
    template::functions(template)
        .into_iter()
        .map(|function| FunctionConfig {
            properties: merged(&[], &function.properties),
            variables: merged(&["Environment", "Variables"], &function.properties),
            logging: merged(&["LoggingConfig"], &function.properties),
            logical_id: function.logical_id,
            binary: function.binary,
        })
        .collect()
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

/// What the template's references stand for on this machine. A reference not mapped here fails
/// the test, so a new resource a function refers to has to be given a local stand-in on purpose.
struct LocalStack<'t> {
    template: &'t Yaml,
    table_name: String,
    secret_arn: String,
}

impl LocalStack<'_> {
    fn resolve(&self, value: &Yaml) -> Result<String, String> {
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
struct Services {
    dynamodb_endpoint: String,
    secretsmanager_endpoint: String,
    xray_daemon: String,
    aws_call_log_dir: Option<String>,
}

impl Services {
    fn from_test_environment(xray_daemon: String) -> Self {
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
        }
    }
}

/// How Lambda would start `function`: the emulator's settings from its properties.
fn lambda_function(
    function: &FunctionConfig,
    stack: &LocalStack<'_>,
    services: &Services,
    binaries: &Path,
) -> Result<Function, String> {
    let environment = lambda_environment(function, stack, services, binaries)?;
    let timeout = match function.properties.get("Timeout") {
        None => conduit_lambda_runtime_emulator::LAMBDA_DEFAULT_TIMEOUT,
        Some(value) => {
            let seconds = stack.resolve(value).map_err(|error| format!("{}: Timeout: {error}", function.logical_id))?;
            Duration::from_secs(seconds.parse().map_err(|_| format!("{}: Timeout {seconds:?}", function.logical_id))?)
        }
    };
    let active_tracing = environment.contains_key("AWS_XRAY_DAEMON_ADDRESS");
    Ok(Function::new(binaries.join(&function.binary), environment).timeout(timeout).active_tracing(active_tracing))
}

/// The process environment of `function`: the template's variables, resolved, and the variables
/// Lambda sets itself (`AWS_LAMBDA_RUNTIME_API` is added by the emulator, which alone knows it).
fn lambda_environment(
    function: &FunctionConfig,
    stack: &LocalStack<'_>,
    services: &Services,
    binaries: &Path,
) -> Result<BTreeMap<String, String>, String> {
    let property = |name: &str| function.properties.get(name).map(|value| stack.resolve(value)).transpose();
    let in_context = |what: String| move |error: String| format!("{}: {what}: {error}", function.logical_id);
    let memory = property("MemorySize").map_err(in_context("MemorySize".into()))?.unwrap_or_else(|| "128".into());
    let binaries = binaries.display().to_string();
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
        ("LAMBDA_TASK_ROOT", binaries.clone()),
        ("LAMBDA_RUNTIME_DIR", binaries),
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
        let (host, port) = services.xray_daemon.rsplit_once(':').expect("host:port");
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
    // moto_server serves SES v2 on the same port, with the sender verified (see `verify_mail_sender`).
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
    // The coverage run of infra/test.sh starts instrumented binaries, and each writes its profile
    // where this variable says, so what they run is measured. Lambda sets no such variable; no
    // function reads it.
    if let Ok(profile) = std::env::var("LLVM_PROFILE_FILE") {
        environment.insert("LLVM_PROFILE_FILE".to_owned(), profile);
    }
    Ok(environment)
}

// ------------------------------------------------------------------ sample tokens for the secret

/// The signing secret, made in moto_server, holding the sample events' key.
struct SigningSecret {
    arn: String,
    version_id: String,
}

async fn create_signing_secret(services: &Services) -> SigningSecret {
    let client = aws_sdk_secretsmanager::Client::new(&conduit_dynamodb_local::local_sdk_config(
        &services.secretsmanager_endpoint,
    ));
    let name = format!("conduit/test/lambda-binaries/{}", ulid::Ulid::new());
    let created = client
        .create_secret()
        .name(&name)
        .secret_string(std::str::from_utf8(SAMPLE_SIGNING_KEY).expect("text key"))
        .send()
        .await
        .expect("signing secret created in moto_server");
    SigningSecret { arn: created.arn.expect("secret ARN"), version_id: created.version_id.expect("secret version") }
}

/// The sender every mailing function is given (`MailSender`), verified in moto_server's SES, as
/// SES requires before it sends.
async fn verify_mail_sender(services: &Services) {
    let client =
        aws_sdk_sesv2::Client::new(&conduit_dynamodb_local::local_sdk_config(&services.secretsmanager_endpoint));
    client.create_email_identity().email_identity(MAIL_SENDER).send().await.expect("sender verified in moto_server");
}

/// With Secrets Manager a token's `kid` is the secret's version id, and version ids (the
/// ClientRequestToken) must be 32 to 64 characters, in moto as in AWS: no version can be called
/// `sample-key`. So the events' tokens are re-signed with the same key and the same claims under
/// the secret's version id. Only tokens that verify with the sample key are re-signed: a token that
/// is meant to be bad stays bad.
fn reissue_tokens(event: &str, kid: &str) -> String {
    let parsed: Value = serde_json::from_str(event).expect("event JSON");
    let header_values = parsed["headers"]["authorization"]
        .as_str()
        .into_iter()
        .chain(parsed["identitySource"].as_array().into_iter().flatten().filter_map(Value::as_str));
    let tokens: Vec<&str> = header_values
        .filter_map(|value| value.strip_prefix("Token ").or_else(|| value.strip_prefix("Bearer ")))
        .collect();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let decoding_key = jsonwebtoken::DecodingKey::from_secret(SAMPLE_SIGNING_KEY);
    let mut reissued = event.to_owned();
    for token in tokens {
        let sample_kid = jsonwebtoken::decode_header(token).ok().and_then(|header| header.kid);
        let Ok(claims) = jsonwebtoken::decode::<Value>(token, &decoding_key, &validation) else { continue };
        if sample_kid.as_deref() != Some(SAMPLE_KID) {
            continue;
        }
        let header = jsonwebtoken::Header { kid: Some(kid.to_owned()), ..jsonwebtoken::Header::default() };
        let key = jsonwebtoken::EncodingKey::from_secret(SAMPLE_SIGNING_KEY);
        let token_for_secret = jsonwebtoken::encode(&header, &claims.claims, &key).expect("re-signed");
        reissued = reissued.replace(token, &token_for_secret);
    }
    reissued
}

// ------------------------------------------------------------------ answers and their comparison

/// An answer reduced to what must be equal in the binary and in-process.
#[derive(Debug, PartialEq)]
enum Answer {
    Http {
        status: u16,
        content_type: Option<String>,
        body: Value,
    },
    Authorizer(Value),
    /// A stream consumer's partial batch failures.
    Stream(Value),
    /// What a custom resource handler sent to its ResponseURL, its table's name masked.
    CustomResource(Value),
}

/// Values that legitimately differ between two identical worlds: tokens carry the moment they were
/// issued, timestamps the moment the world was seeded.
const VOLATILE_FIELDS: &[&str] = &["token", "createdAt", "updatedAt"];

fn masked(mut value: Value) -> Value {
    fn mask(value: &mut Value) {
        match value {
            Value::Object(fields) => {
                for (name, field) in fields.iter_mut() {
                    if VOLATILE_FIELDS.contains(&name.as_str()) && field.is_string() {
                        *field = Value::String("<volatile>".into());
                    } else {
                        mask(field);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(mask),
            _ => {}
        }
    }
    mask(&mut value);
    value
}

/// A JSON body masked, any other body as text.
fn http_body(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).map_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()), masked)
}

/// The API Gateway (payload 2.0) response a function posted to the Runtime API.
fn http_answer_from_runtime(posted: &[u8]) -> Result<Answer, String> {
    let response: Value = serde_json::from_slice(posted).map_err(|error| format!("not JSON ({error})"))?;
    let status = response["statusCode"].as_u64().ok_or("no statusCode")?;
    let content_type = response["headers"]
        .as_object()
        .and_then(|headers| headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("content-type")))
        .and_then(|(_, value)| value.as_str())
        .map(str::to_owned);
    let body = response["body"].as_str().unwrap_or_default();
    let body = if response["isBase64Encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD.decode(body).map_err(|error| format!("body not base64: {error}"))?
    } else {
        body.as_bytes().to_vec()
    };
    Ok(Answer::Http { status: u16::try_from(status).map_err(|_| "status")?, content_type, body: http_body(&body) })
}

async fn in_process_answer(function: &str, world: &SampleWorld, event: &str) -> Result<Answer, String> {
    if function == AUTHORIZER {
        let request: AuthorizerRequest = serde_json::from_str(event).map_err(|error| error.to_string())?;
        let authorizer = Authorizer::new(&world.adapters).map_err(|error| error.to_string())?;
        let response = authorizer.authorize(&request).await.map_err(|error| format!("{error:?}"))?;
        return Ok(Answer::Authorizer(serde_json::to_value(response).map_err(|error| error.to_string())?));
    }
    if STREAM_CONSUMERS.contains(&function) {
        let consumers =
            conduit_local_gateway::build_stream_consumers(&world.adapters).map_err(|error| error.to_string())?;
        let consumer = consumers.iter().find(|entry| entry.function == function).ok_or("no in-process consumer")?;
        let event = serde_json::from_str(event).map_err(|error| error.to_string())?;
        let response = (consumer.handler)(event).await;
        return Ok(Answer::Stream(serde_json::to_value(response).map_err(|error| error.to_string())?));
    }
    let functions = conduit_local_gateway::build_functions(&world.adapters).map_err(|error| error.to_string())?;
    let handler = functions.get(function).ok_or("no in-process handler")?;
    let request = lambda_http::request::from_str(event).map_err(|error| error.to_string())?;
    let response = handler(request).await;
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
    Ok(Answer::Http { status: response.status().as_u16(), content_type, body: http_body(response.body().as_ref()) })
}

/// The custom resource handler's response to `event`, sent on the way the binary sends it: to a
/// ResponseURL (served here), with its table's name masked (each side has a table of its own).
async fn custom_resource_answer(
    answered: &ResponseUrl,
    outcome: Result<&Outcome, String>,
    table_name: &str,
) -> Result<Answer, String> {
    match outcome {
        Ok(Outcome::Response(_)) => {}
        Ok(other) => return Err(other.to_string()),
        Err(error) => return Err(error),
    }
    let answered = answered.answer(ANSWER_WAIT).await.ok_or("nothing was sent to the ResponseURL")?;
    if answered.method != "PUT" || answered.headers.contains_key("content-type") {
        return Err(format!(
            "the ResponseURL got {} with headers {:?}, not a PUT without a type",
            answered.method, answered.headers
        ));
    }
    let masked = String::from_utf8_lossy(&answered.body).replace(table_name, "<table>");
    serde_json::from_str(&masked).map(Answer::CustomResource).map_err(|error| format!("not JSON ({error})"))
}

async fn in_process_custom_resource_answer(world: &SampleWorld, event: &str) -> Result<Answer, String> {
    let answered = ResponseUrl::start().await;
    let hook = run_migrations::MigrationsHook::new(&world.adapters).map_err(|error| error.to_string())?;
    let request = serde_json::from_str(&answered.readdress(event)).map_err(|error| error.to_string())?;
    let invocation = run_migrations::Invocation {
        deadline: Instant::now() + Duration::from_secs(900),
        log_stream: LOG_STREAM.to_owned(),
    };
    let handled = hook.handle(request, &invocation).await.map(|_| Outcome::Response(Vec::new()));
    custom_resource_answer(&answered, handled.as_ref().map_err(ToString::to_string), &world.table_name).await
}

fn binary_answer(function: &str, outcome: &Outcome) -> Result<Answer, String> {
    let Outcome::Response(posted) = outcome else { return Err(outcome.to_string()) };
    if function == AUTHORIZER {
        serde_json::from_slice(posted).map(Answer::Authorizer).map_err(|error| format!("not JSON ({error})"))
    } else if STREAM_CONSUMERS.contains(&function) {
        serde_json::from_slice(posted).map(Answer::Stream).map_err(|error| format!("not JSON ({error})"))
    } else {
        http_answer_from_runtime(posted)
    }
}

// ------------------------------------------------------------------ one function, end to end

struct FunctionRun {
    binary: String,
    init: Option<Duration>,
    /// (event file, Lambda duration) of every answered invocation.
    invocations: Vec<(String, Duration)>,
    failures: Vec<String>,
    /// The process's output, kept when something failed.
    output: Option<String>,
}

/// What every function run shares.
struct Context {
    template: Yaml,
    services: Services,
    secret: SigningSecret,
    binaries: PathBuf,
}

impl Context {
    /// The key ring the functions read from the secret, for the in-process handlers.
    fn secret_key_ring(&self) -> KeyRing {
        KeyRing { current: SigningKey::new(&self.secret.version_id, SAMPLE_SIGNING_KEY).expect("key"), previous: None }
    }
}

async fn run_function(function: &FunctionConfig, context: &Context) -> FunctionRun {
    let mut run = FunctionRun {
        binary: function.binary.clone(),
        init: None,
        invocations: Vec::new(),
        failures: Vec::new(),
        output: None,
    };
    // Each side mutates its own table, seeded alike.
    let (binary_world, in_process_world) =
        tokio::join!(seeded_world(context.secret_key_ring()), seeded_world(context.secret_key_ring()));
    let stack = LocalStack {
        template: &context.template,
        table_name: binary_world.table_name.clone(),
        secret_arn: context.secret.arn.clone(),
    };
    let lambda = match lambda_function(function, &stack, &context.services, &context.binaries) {
        Ok(lambda) => lambda,
        Err(error) => {
            run.failures.push(error);
            return run;
        }
    };
    let json_logs = function
        .logging
        .get("LogFormat")
        .is_some_and(|format| stack.resolve(format).is_ok_and(|format| format == "JSON"));
    let mut lambda = match ExecutionEnvironment::start(lambda).await {
        Ok(lambda) => lambda,
        Err(error) => {
            let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
            run.failures.push(format!("{}: {error}: {cause}", function.binary));
            return run;
        }
    };

    let events: Vec<PathBuf> =
        sample_events().into_iter().filter(|(name, _)| *name == function.binary).map(|(_, path)| path).collect();
    if events.is_empty() {
        run.failures.push(format!("{}: no sample event in events/", function.binary));
    }
    for path in events {
        let file = path.file_name().expect("file").to_string_lossy().into_owned();
        let event = reissue_tokens(&read(&path), &context.secret.version_id);
        let (invocation, from_binary, in_process) = if CUSTOM_RESOURCE_HANDLERS.contains(&function.binary.as_str()) {
            let answered = ResponseUrl::start().await;
            let invocation = lambda.invoke_raw(answered.readdress(&event).into_bytes()).await;
            let from_binary =
                custom_resource_answer(&answered, Ok(&invocation.outcome), &binary_world.table_name).await;
            (invocation, from_binary, in_process_custom_resource_answer(&in_process_world, &event).await)
        } else {
            let invocation = lambda.invoke_raw(event.clone().into_bytes()).await;
            let from_binary = binary_answer(&function.binary, &invocation.outcome);
            (invocation, from_binary, in_process_answer(&function.binary, &in_process_world, &event).await)
        };
        let failure = match (&from_binary, &in_process) {
            (Err(error), _) => Some(format!("the binary did not answer: {error}")),
            (_, Err(error)) => Some(format!("the in-process handler failed: {error}")),
            (Ok(binary), Ok(handler)) if binary != handler => {
                Some(format!("answers differ\n  binary:     {binary:?}\n  in-process: {handler:?}"))
            }
            (Ok(Answer::Http { status, .. }), _) if *status != expected_status(&function.binary) => {
                Some(format!("status {status}, expected {}", expected_status(&function.binary)))
            }
            // The sample world has a table to migrate: every request succeeds.
            (Ok(Answer::CustomResource(response)), _) if response["Status"] != "SUCCESS" => {
                Some(format!("answered {response}, expected SUCCESS"))
            }
            _ => None,
        };
        match (failure, invocation.duration) {
            (Some(failure), _) => run.failures.push(format!("{} with {file}: {failure}", function.binary)),
            (None, Some(duration)) => run.invocations.push((file, duration)),
            (None, None) => unreachable!("an answer has a duration"),
        }
    }
    run.init = lambda.init_duration();

    let unexpected = lambda.unexpected_requests();
    if !unexpected.is_empty() {
        run.failures.push(format!("{}: requests outside the Runtime API: {unexpected:?}", function.binary));
    }
    let stdout = lambda.stdout();
    if json_logs {
        // CloudWatch reads JSON log lines as structured records; anything else breaks queries.
        if let Some(line) = stdout.lines().find(|line| serde_json::from_str::<Value>(line).is_err()) {
            run.failures
                .push(format!("{}: LogFormat is JSON but the binary wrote a non-JSON line: {line}", function.binary));
        }
        // Every HTTP request closes with a summary line and a metrics line (the authorizer logs
        // only failures).
        if function.binary != AUTHORIZER && stdout.trim().is_empty() {
            run.failures.push(format!("{}: the binary logged nothing", function.binary));
        }
    }
    if !run.failures.is_empty() {
        run.output = Some(format!(
            "{} output:\n--- stderr\n{}\n--- stdout (last 20 lines)\n{}",
            function.binary,
            lambda.stderr(),
            tail(&stdout, 20)
        ));
    }
    run
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn binaries_dir() -> PathBuf {
    // This test runs from <target>/<profile>/deps; the binaries are in <target>/<profile>.
    let test = std::env::current_exe().expect("the test's path");
    test.parent().and_then(Path::parent).expect("the profile directory").to_path_buf()
}

// ------------------------------------------------------------------ the tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_template_function_binary_starts_with_its_template_environment_and_answers_its_events_like_its_handler() {
    let started = Instant::now();
    let template = template();
    let functions = function_configs(&template);
    assert!(!functions.is_empty(), "template.yaml declares no AWS::Serverless::Function");
    let binaries = binaries_dir();
    let missing: Vec<String> = functions
        .iter()
        .map(|function| binaries.join(&function.binary))
        .filter(|program| !program.is_file())
        .map(|program| program.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "function binaries are missing (build them first: cargo build --workspace --bins):\n{}",
        missing.join("\n")
    );
    // Traced functions send their segments here, as to the daemon beside a Lambda function.
    let xray_daemon = UdpSocket::bind("127.0.0.1:0").expect("a local X-Ray daemon address");
    let services = Services::from_test_environment(xray_daemon.local_addr().expect("bound").to_string());
    let secret = create_signing_secret(&services).await;
    verify_mail_sender(&services).await;
    let context = Context { template, services, secret, binaries };

    let runs: Vec<FunctionRun> = futures::stream::iter(&functions)
        .map(|function| run_function(function, &context))
        .buffer_unordered(PARALLEL)
        .collect()
        .await;

    let failures: Vec<&String> = runs.iter().flat_map(|run| &run.failures).collect();
    let outputs: Vec<&String> = runs.iter().filter_map(|run| run.output.as_ref()).collect();
    let events: usize = runs.iter().map(|run| run.invocations.len()).sum();
    for run in &runs {
        let durations: Vec<String> =
            run.invocations.iter().map(|(file, duration)| format!("{file} {} ms", duration.as_millis())).collect();
        println!(
            "{:<22} init {:>5} ms  {}",
            run.binary,
            run.init.unwrap_or_default().as_millis(),
            durations.join(", ")
        );
    }
    println!("{} binaries, {events} events in {:.1} s", runs.len(), started.elapsed().as_secs_f64());
    let joined = |texts: &[&String]| texts.iter().map(|text| text.as_str()).collect::<Vec<_>>().join("\n\n");
    assert!(failures.is_empty(), "{} failure(s):\n\n{}\n\n{}", failures.len(), joined(&failures), joined(&outputs));
    assert_eq!(runs.len(), functions.len());
    assert_eq!(events, sample_events().len(), "every sample event was answered");
}

#[tokio::test]
async fn a_function_started_without_a_variable_it_needs_fails_at_start_naming_it() {
    let template = template();
    let list_tags = function_configs(&template)
        .into_iter()
        .find(|function| function.binary == "list-tags")
        .expect("list-tags in the template");
    let binaries = binaries_dir();
    assert!(binaries.join("list-tags").is_file(), "build the function binaries first: cargo build --workspace --bins");
    let services = Services::from_test_environment("127.0.0.1:2000".into());
    let stack = LocalStack { template: &template, table_name: "no-such-table".into(), secret_arn: String::new() };
    let mut environment = lambda_environment(&list_tags, &stack, &services, &binaries).expect("environment");
    environment.remove("TABLE_NAME");

    let mut lambda =
        ExecutionEnvironment::start(Function::new(binaries.join("list-tags"), environment)).await.expect("started");
    let invocation = lambda.invoke(&serde_json::json!({})).await;

    assert!(matches!(invocation.outcome, Outcome::Exited(status) if !status.success()), "{}", invocation.outcome);
    assert!(lambda.stderr().contains("TABLE_NAME"), "stderr: {}", lambda.stderr());
}

#[test]
fn a_reference_without_a_local_value_fails_naming_it() {
    let template: Yaml = serde_norway::from_str(
        "Parameters:\n  Stage: {Type: String}\nResources:\n  Queue: {Type: AWS::SQS::Queue}\n  Table: {Type: AWS::DynamoDB::Table}\n",
    )
    .expect("YAML");
    let stack = LocalStack { template: &template, table_name: "local-table".into(), secret_arn: String::new() };
    let resolve = |text: &str| stack.resolve(&serde_norway::from_str(text).expect("YAML"));

    assert_eq!(resolve("!Ref Table"), Ok("local-table".into()));
    assert_eq!(
        resolve("!Sub '${Table.Arn}/index/GSI1'"),
        Ok(format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/local-table/index/GSI1"))
    );
    for (reference, named) in [
        ("!Ref Queue", "!Ref Queue"),
        ("!GetAtt Queue.Arn", "!GetAtt Queue.Arn"),
        ("{'Fn::GetAtt': [Queue, Url]}", "!GetAtt Queue.Url"),
        ("!Sub 'https://${Queue}'", "!Ref Queue"),
        ("!Ref Stage", "!Ref Stage: the parameter has no Default"),
        ("!ImportValue shared-table", "!ImportValue"),
    ] {
        let error = resolve(reference).expect_err(reference);
        assert!(error.contains(named), "{reference}: {error}");
    }
}

#[test]
fn the_environment_merges_globals_with_the_function_and_follows_the_logging_config() {
    let template: Yaml = serde_norway::from_str(
        r#"
Parameters:
  Level: {Type: String, Default: WARN}
Globals:
  Function:
    MemorySize: 256
    LoggingConfig: {LogFormat: JSON}
    Environment: {Variables: {TABLE_NAME: !Ref Table, SHARED: global}}
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Plain:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: plain}}
    Properties:
      MemorySize: 1024
      LoggingConfig: {ApplicationLogLevel: !Ref Level}
      Environment: {Variables: {SHARED: own}}
  Text:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: text}}
    Properties: {LoggingConfig: {LogFormat: Text}}
"#,
    )
    .expect("YAML");
    let functions = function_configs(&template);
    let stack = LocalStack { template: &template, table_name: "local-table".into(), secret_arn: String::new() };
    let services = Services {
        dynamodb_endpoint: "http://127.0.0.1:1".into(),
        secretsmanager_endpoint: "http://127.0.0.1:2".into(),
        xray_daemon: "127.0.0.1:3".into(),
        aws_call_log_dir: None,
    };
    let environment = |binary: &str| {
        let function = functions.iter().find(|function| function.binary == binary).expect("function");
        lambda_environment(function, &stack, &services, Path::new("/code")).expect("environment")
    };

    let plain = environment("plain");
    let text = environment("text");

    assert_eq!(plain["TABLE_NAME"], "local-table");
    assert_eq!(plain["SHARED"], "own");
    assert_eq!(plain["AWS_LAMBDA_FUNCTION_NAME"], "plain");
    assert_eq!(plain["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "1024");
    assert_eq!(plain["AWS_LAMBDA_LOG_FORMAT"], "JSON");
    assert_eq!(plain["AWS_LAMBDA_LOG_LEVEL"], "WARN");
    assert_eq!(plain["AWS_ENDPOINT_URL_DYNAMODB"], "http://127.0.0.1:1");
    assert_eq!(text["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(text["AWS_LAMBDA_LOG_FORMAT"], "Text");
    assert!(!text.contains_key("AWS_LAMBDA_LOG_LEVEL"), "no ApplicationLogLevel, no level");
    assert!(!plain.contains_key("AWS_XRAY_DAEMON_ADDRESS"), "no tracing configured");
}

#[test]
fn sample_tokens_are_reissued_for_the_secrets_version_and_only_if_the_sample_key_signed_them() {
    let event = read(&samples::events_dir().join("get-profile.json"));
    let token = |event: &str| {
        let parsed: Value = serde_json::from_str(event).expect("JSON");
        parsed["headers"]["authorization"].as_str().expect("authorization").trim_start_matches("Token ").to_owned()
    };
    let forged = event.replace(&token(&event), &format!("{}x", token(&event)));

    let reissued = reissue_tokens(&event, "version-1");

    let header = jsonwebtoken::decode_header(token(&reissued)).expect("a token");
    assert_eq!(header.kid.as_deref(), Some("version-1"));
    assert_eq!(reissue_tokens(&forged, "version-1"), forged);
}
