//! Every function of `template.yaml` runs as Lambda runs it: its built binary (`main.rs`, the
//! bootstrap from the environment, aws-config, the Secrets Manager key source) is started with
//! exactly the environment the template gives it plus what Lambda itself sets, speaks the Lambda
//! Runtime API, and answers its sample events as its handler does in-process in an identical world.
//! A custom resource handler answers on the request's ResponseURL, which the test serves itself.
//! A rotation function rotates a secret of its own on each side, and each step must leave the two
//! alike.
//!
//! The binaries are not built by this test: `cargo build --workspace --bins` first.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use authorizer::{Authorizer, AuthorizerRequest};
use base64::Engine;
use conduit_api_tests::custom_resource::ResponseUrl;
use conduit_api_tests::function_template::{
    ACCOUNT, FunctionConfig, LOG_STREAM, LocalStack, REGION, Services, SigningSecret, binaries_dir, function_configs,
    lambda_environment, lambda_settings,
};
use conduit_api_tests::sample_tokens::reissue_tokens;
use conduit_api_tests::samples::{
    self, CUSTOM_RESOURCE_HANDLERS, SAMPLE_SIGNING_KEY, SECRET_ROTATION_FUNCTIONS, STREAM_CONSUMERS, SampleWorld,
    expected_status, read, rotation_event_for, sample_events, seeded_world,
};
use conduit_api_tests::template::template;
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Function, Outcome};
use futures::StreamExt;
use serde_json::Value;
use serde_norway::Value as Yaml;

const AUTHORIZER: &str = "authorizer";
/// How long a custom resource handler's answer may take to reach its ResponseURL after the
/// invocation ended (it is sent before: this only covers the server's hand-over).
const ANSWER_WAIT: Duration = Duration::from_secs(5);
/// How many functions run at once: enough to overlap their waits on DynamoDB Local and process
/// start-up, few enough not to starve a small machine (at 6, on 2 cores, DynamoDB Local stalled
/// past the functions' 1 s attempt budget while twelve sample worlds were being seeded).
const PARALLEL: usize = 3;

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
    /// A rotation step's answer (Secrets Manager reads only whether it failed), and the stages of
    /// the version it works on afterwards, in the secret it rotated.
    RotationStep {
        answered: Value,
        token_stages: Vec<String>,
    },
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
    let hook = run_migrations::MigrationsHook::new(&world.adapters);
    let request = serde_json::from_str(&answered.readdress(event)).map_err(|error| error.to_string())?;
    let invocation = run_migrations::Invocation {
        deadline: Instant::now() + Duration::from_secs(900),
        log_stream: LOG_STREAM.to_owned(),
    };
    let handled = hook.handle(request, &invocation).await.map(|_| Outcome::Response(Vec::new()));
    custom_resource_answer(&answered, handled.as_ref().map_err(ToString::to_string), &world.table_name).await
}

/// The stages the version named by a rotation event's token has in the secret `secret_arn`, sorted.
async fn token_stages(context: &Context, secret_arn: &str, event: &str) -> Result<Vec<String>, String> {
    let event: Value = serde_json::from_str(event).map_err(|error| error.to_string())?;
    let token = event["ClientRequestToken"].as_str().ok_or("no ClientRequestToken")?;
    let described = context
        .secrets_manager()
        .describe_secret()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|error| format!("describing {secret_arn}: {error:?}"))?;
    let mut stages = described.version_ids_to_stages.unwrap_or_default().remove(token).unwrap_or_default();
    stages.sort();
    Ok(stages)
}

/// The rotation step `event` sent to the binary, which rotates `secret`.
async fn rotation_answer(
    context: &Context,
    secret: &SigningSecret,
    event: &str,
    outcome: &Outcome,
) -> Result<Answer, String> {
    let Outcome::Response(posted) = outcome else { return Err(outcome.to_string()) };
    let answered = serde_json::from_slice(posted).map_err(|error| format!("not JSON ({error})"))?;
    Ok(Answer::RotationStep { answered, token_stages: token_stages(context, &secret.arn, event).await? })
}

/// The same step run by the handler in-process, on a secret of its own rotated alike.
async fn in_process_rotation_answer(
    context: &Context,
    world: &SampleWorld,
    secret: &SigningSecret,
    event: &str,
) -> Result<Answer, String> {
    let adapters = Adapters::local_with_secrets_manager(
        world.adapters.aws_settings().clone(),
        world.table_name.clone(),
        conduit_dynamodb_local::local_sdk_config(&context.services.secretsmanager_endpoint),
        &secret.arn,
    );
    let function = rotate_signing_key::RotateSigningKey::new(&adapters).map_err(|error| error.to_string())?;
    let step = serde_json::from_str(event).map_err(|error| error.to_string())?;
    function.rotate(&step).await.map_err(|error| format!("{error:?}"))?;
    Ok(Answer::RotationStep { answered: Value::Null, token_stages: token_stages(context, &secret.arn, event).await? })
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

    fn secrets_manager(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&conduit_dynamodb_local::local_sdk_config(
            &self.services.secretsmanager_endpoint,
        ))
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
    // A rotation function rotates a secret of its own on each side (the others read the shared one).
    let rotated_secrets = if SECRET_ROTATION_FUNCTIONS.contains(&function.binary.as_str()) {
        Some(tokio::join!(
            context.services.create_signing_secret(SAMPLE_SIGNING_KEY),
            context.services.create_signing_secret(SAMPLE_SIGNING_KEY)
        ))
    } else {
        None
    };
    let stack = LocalStack {
        template: &context.template,
        table_name: binary_world.table_name.clone(),
        secret_arn: rotated_secrets
            .as_ref()
            .map_or_else(|| context.secret.arn.clone(), |(binary, _)| binary.arn.clone()),
    };
    let lambda = match lambda_settings(function, &stack, &context.services, &context.binaries)
        .map(|settings| settings.function(context.binaries.join(&function.binary)))
    {
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
        let event = reissue_tokens(&read(&path), &context.secret.version_id).expect("sample tokens re-signed");
        let (invocation, from_binary, in_process) = if CUSTOM_RESOURCE_HANDLERS.contains(&function.binary.as_str()) {
            let answered = ResponseUrl::start().await;
            let invocation = lambda.invoke_raw(answered.readdress(&event).into_bytes()).await;
            let from_binary =
                custom_resource_answer(&answered, Ok(&invocation.outcome), &binary_world.table_name).await;
            (invocation, from_binary, in_process_custom_resource_answer(&in_process_world, &event).await)
        } else if let Some((binary_secret, in_process_secret)) = &rotated_secrets {
            let for_binary = rotation_event_for(&event, &binary_secret.arn).expect("a rotation step");
            let invocation = lambda.invoke_raw(for_binary.clone().into_bytes()).await;
            let from_binary = rotation_answer(context, binary_secret, &for_binary, &invocation.outcome).await;
            let in_process = match rotation_event_for(&event, &in_process_secret.arn) {
                Ok(for_in_process) => {
                    in_process_rotation_answer(context, &in_process_world, in_process_secret, &for_in_process).await
                }
                Err(error) => Err(error),
            };
            (invocation, from_binary, in_process)
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
            // Every step leaves the rotation's version pending, or current once finished.
            (Ok(Answer::RotationStep { token_stages, .. }), _)
                if !token_stages.iter().any(|stage| stage == "AWSPENDING" || stage == "AWSCURRENT") =>
            {
                Some(format!("the rotation's version has the stages {token_stages:?}"))
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

// ------------------------------------------------------------------ the tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_template_function_binary_starts_with_its_template_environment_and_answers_its_events_like_its_handler() {
    let started = Instant::now();
    let template = template();
    let functions = function_configs(&template).expect("the template's functions");
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
    let secret = services.create_signing_secret(SAMPLE_SIGNING_KEY).await;
    services.verify_mail_sender().await;
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
    let declared: Vec<&str> = functions.iter().map(|function| function.binary.as_str()).collect();
    let undeclared: std::collections::BTreeSet<String> = sample_events()
        .into_iter()
        .map(|(function, _)| function)
        .filter(|function| !declared.contains(&function.as_str()))
        .collect();
    assert!(undeclared.is_empty(), "sample events of functions template.yaml does not declare: {undeclared:?}");
    assert_eq!(events, sample_events().len(), "every sample event was answered");
}

#[tokio::test]
async fn a_function_started_without_a_variable_it_needs_fails_at_start_naming_it() {
    let template = template();
    let list_tags = function_configs(&template)
        .expect("the template's functions")
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
    let functions = function_configs(&template).expect("functions");
    let stack = LocalStack { template: &template, table_name: "local-table".into(), secret_arn: String::new() };
    let services = Services::placeholders();
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
    assert_eq!(plain["AWS_ENDPOINT_URL_DYNAMODB"], services.dynamodb_endpoint);
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

    let reissued = reissue_tokens(&event, "version-1").expect("re-signed");

    let header = jsonwebtoken::decode_header(token(&reissued)).expect("a token");
    assert_eq!(header.kid.as_deref(), Some("version-1"));
    assert_eq!(reissue_tokens(&forged, "version-1").expect("unchanged"), forged);
}
