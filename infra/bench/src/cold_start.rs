//! Cold starts: every function binary of `template.yaml`, and the floor, started again and again
//! behind the Lambda Runtime API emulator, with the template's environment, on DynamoDB Local and
//! moto_server. Each start is timed as Lambda times it: init from starting the process to its first
//! poll for an event, then the first invocation with the function's sample event, then warm
//! invocations of the same event; the process's peak resident set is read before it is killed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use conduit_lambda_runtime_emulator::xray_daemon::XrayDaemon;
use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Function, Outcome};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

use conduit_api_tests::function_template::{self, LocalStack, MAIL_SENDER, Services};
use conduit_api_tests::sample_tokens::reissue_tokens;
use conduit_api_tests::samples::{SAMPLE_SIGNING_KEY, SampleWorld};
use conduit_api_tests::template;

use crate::report::{ColdStartFigures, FloorRow, FunctionRow};
use crate::sample_world::{create_sample_world, create_table};
use crate::stats::{Spread, millis};

pub const FLOOR: &str = "bench-floor";
/// The floor answers an API Gateway request like the functions; any GET event will do.
const FLOOR_EVENT: &str = "list-tags.json";
/// The floor is started before every group of this many function starts, so that it samples the
/// machine's load at the same moments the functions do.
const FLOOR_EVERY: usize = 5;
/// How long a custom resource handler's answer may take to reach its ResponseURL.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// The sample event each start is invoked with, where the function has several. The rotation
/// function's createSecret puts a pending version on the signing secret the first time and finds it
/// there after that; the other functions read only AWSCURRENT and AWSPREVIOUS, which it leaves be.
const PRIMARY_EVENTS: &[(&str, &str)] = &[
    ("authorizer", "authorizer.valid-token.json"),
    ("run-migrations", "run-migrations.create.json"),
    ("rotate-signing-key", "rotate-signing-key.1-create-secret.json"),
];

/// Functions whose sample event changes what the next invocation of the same event finds (a name
/// taken, a token revoked, a link used, an item gone, a mail recorded as sent, a migration
/// applied, a follow or favorite already there, a source's request counted against its quota).
/// Their world is reset before every invocation, so warm invocations repeat the first one's work
/// instead of measuring an error or a no-op. The reset is not timed.
const WRITES_ITS_WORLD: &[&str] = &[
    "register-user",
    "update-current-user",
    "revoke-sessions",
    "request-password-reset",
    "confirm-password-reset",
    "follow-user",
    "unfollow-user",
    "create-article",
    "update-article",
    "delete-article",
    "add-comment",
    "delete-comment",
    "favorite-article",
    "unfavorite-article",
    "send-welcome-mail",
    "send-account-notices",
    "purge-deleted-article",
    "update-feeds",
    "run-migrations",
];

pub struct Options {
    pub root: PathBuf,
    pub binaries: PathBuf,
    pub zips: Option<PathBuf>,
    pub dynamodb_endpoint: String,
    pub moto_endpoint: String,
    pub cold_starts: usize,
    pub warm_invocations: usize,
    /// Only these functions (all when empty); the floor always runs.
    pub only: Vec<String>,
}

/// What a function's answer must be for its timing to count.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// An API Gateway response with this class of status (2 for 2xx).
    Http {
        status_class: u16,
    },
    Authorized,
    NoBatchFailures,
    CustomResourceSuccess,
    /// A rotation step: an answer at all is success (a failed step is an invocation error).
    RotationStepDone,
}

struct Target {
    name: String,
    function: Function,
    event: Vec<u8>,
    expect: Expect,
    world: Option<SampleWorld>,
    reset_each: bool,
    zip_mb: Option<f64>,
    init: Vec<f64>,
    first: Vec<f64>,
    warm: Vec<f64>,
    rss: Vec<f64>,
}

impl Target {
    fn new(name: &str, function: Function, event: &Value, expect: Expect, zip_mb: Option<f64>) -> Self {
        Self {
            name: name.to_owned(),
            function,
            event: event.to_string().into_bytes(),
            expect,
            world: None,
            reset_each: false,
            zip_mb,
            init: Vec::new(),
            first: Vec::new(),
            warm: Vec::new(),
            rss: Vec::new(),
        }
    }

    fn figures(&self) -> Result<ColdStartFigures, String> {
        let spread = |samples: &[f64], what: &str| {
            Spread::of(samples).ok_or_else(|| format!("{}: no {what} measured", self.name))
        };
        Ok(ColdStartFigures::new(
            spread(&self.init, "init")?,
            spread(&self.first, "first invocation")?,
            spread(&self.warm, "warm invocation").or_else(|_| spread(&self.first, "first invocation"))?,
            spread(&self.rss, "peak RSS")?,
            self.zip_mb,
            self.init.len(),
        ))
    }
}

pub struct ColdStarts {
    pub floor: FloorRow,
    pub functions: Vec<FunctionRow>,
}

/// The order of one round: the floor (`None`) before every group of [`FLOOR_EVERY`] functions.
fn schedule(functions: usize) -> Vec<Option<usize>> {
    let mut order = Vec::new();
    for index in 0..functions {
        if index % FLOOR_EVERY == 0 {
            order.push(None);
        }
        order.push(Some(index));
    }
    if functions == 0 {
        order.push(None);
    }
    order
}

/// The sample event a function's starts are invoked with.
fn event_file(binary: &str) -> String {
    PRIMARY_EVENTS
        .iter()
        .find(|(name, _)| *name == binary)
        .map_or_else(|| format!("{binary}.json"), |(_, file)| (*file).to_owned())
}

pub async fn run(options: &Options) -> Result<ColdStarts, String> {
    let template_path = options.root.join("template.yaml");
    let template_text =
        std::fs::read_to_string(&template_path).map_err(|error| format!("{}: {error}", template_path.display()))?;
    let template = template::parse(&template_text)?;
    let mut functions = function_template::function_configs(&template)?;
    if !options.only.is_empty() {
        functions.retain(|function| options.only.contains(&function.binary));
    }
    // Traced functions export their spans here (X-Ray's exporter, as to the daemon beside a Lambda
    // function), so the bench measures the traced path, flush included; nobody reads them.
    let xray = XrayDaemon::bind(Duration::from_millis(1)).map_err(|error| format!("X-Ray daemon socket: {error}"))?;
    let services = Services {
        dynamodb_endpoint: options.dynamodb_endpoint.clone(),
        secretsmanager_endpoint: options.moto_endpoint.clone(),
        xray_daemon: xray.address(),
        aws_call_log_dir: None,
        coverage_profile: None,
    };
    let secret = create_signing_secret(&options.moto_endpoint).await?;
    verify_mail_sender(&options.moto_endpoint).await;
    let response_url = ResponseUrl::start().await?;
    let hash = SampleWorld::password_hash()?;
    let events_dir = options.root.join("events");

    eprintln!("cold starts: seeding a sample world for each of {} functions", functions.len());
    let mut targets = Vec::new();
    for function in &functions {
        let world = create_sample_world(&options.dynamodb_endpoint, &function.binary, hash.clone()).await?;
        let stack =
            LocalStack { template: &template, table_name: world.table_name.clone(), secret_arn: secret.arn.clone() };
        let settings = function_template::lambda_settings(function, &stack, &services, &options.binaries)?;
        let event = read_event(&events_dir.join(event_file(&function.binary)), &secret, &response_url)?;
        let mut target = Target::new(
            &function.binary,
            emulated(&options.binaries, &function.binary, settings)?,
            &event,
            expectation(&function.binary, &event)?,
            zip_mb(options.zips.as_deref(), &function.binary),
        );
        target.world = Some(world);
        target.reset_each = WRITES_ITS_WORLD.contains(&function.binary.as_str());
        targets.push(target);
    }
    let mut floor = {
        let (_, table_name) = create_table(&options.dynamodb_endpoint, "floor").await?;
        let stack = LocalStack { template: &template, table_name, secret_arn: secret.arn.clone() };
        let floor = function_template::global_function(&template, FLOOR);
        let settings = function_template::lambda_settings(&floor, &stack, &services, &options.binaries)?;
        let event = read_event(&events_dir.join(FLOOR_EVENT), &secret, &response_url)?;
        Target::new(
            FLOOR,
            emulated(&options.binaries, FLOOR, settings)?,
            &event,
            Expect::Http { status_class: 2 },
            zip_mb(options.zips.as_deref(), FLOOR),
        )
    };

    let order = schedule(targets.len());
    let started = Instant::now();
    // Round 0 is not counted: it brings every binary into the page cache and every local service
    // up to speed.
    for round in 0..=options.cold_starts {
        for slot in &order {
            let target = match slot {
                Some(index) => &mut targets[*index],
                None => &mut floor,
            };
            let sample = cold_start(target, options.warm_invocations, &response_url).await?;
            if round > 0 {
                target.init.push(sample.init);
                target.first.push(sample.first);
                target.warm.extend(sample.warm);
                target.rss.push(sample.rss_mib);
            }
        }
        eprintln!(
            "cold starts: round {round} of {} done ({:.0} s){}",
            options.cold_starts,
            started.elapsed().as_secs_f64(),
            if round == 0 { ", not counted" } else { "" }
        );
    }
    drop(xray);

    let floor = FloorRow { name: floor.name.clone(), figures: floor.figures()? };
    let functions = targets
        .iter()
        .map(|target| Ok(FunctionRow::new(target.name.clone(), target.figures()?, Some(&floor))))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ColdStarts { floor, functions })
}

fn emulated(binaries: &Path, binary: &str, settings: function_template::LambdaSettings) -> Result<Function, String> {
    let program = binaries.join(binary);
    if !program.is_file() {
        return Err(format!(
            "{} is missing: build the release binaries first (infra/bench.sh does)",
            program.display()
        ));
    }
    Ok(settings.function(program))
}

/// A sample event made to fit the bench: tokens signed with the secret's key, a custom resource
/// request answered to the bench's ResponseURL, a rotation step sent for the bench's secret.
fn read_event(path: &Path, secret: &SigningSecret, response_url: &ResponseUrl) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut event: Value = serde_json::from_str(&reissue_tokens(&text, &secret.version_id)?)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    if event.get("ResponseURL").is_some() {
        event["ResponseURL"] = Value::String(response_url.url());
    }
    if is_rotation_step(&event) {
        event["SecretId"] = Value::String(secret.arn.clone());
    }
    Ok(event)
}

fn is_rotation_step(event: &Value) -> bool {
    event.get("Step").is_some() && event.get("SecretId").is_some() && event.get("ClientRequestToken").is_some()
}

/// What counts as a successful answer, from the event's shape.
fn expectation(binary: &str, event: &Value) -> Result<Expect, String> {
    Ok(if event.get("ResponseURL").is_some() {
        Expect::CustomResourceSuccess
    } else if event.get("Records").is_some() {
        Expect::NoBatchFailures
    } else if event.get("identitySource").is_some() {
        Expect::Authorized
    } else if is_rotation_step(event) {
        Expect::RotationStepDone
    } else if event.get("routeKey").is_some() {
        // Whatever matches no route is answered 404 by design.
        Expect::Http { status_class: if binary == conduit_http::routes::FALLBACK_FUNCTION { 4 } else { 2 } }
    } else {
        return Err(format!("{binary}: its sample event is of no kind the benchmark knows"));
    })
}

fn zip_mb(zips: Option<&Path>, binary: &str) -> Option<f64> {
    let size = std::fs::metadata(zips?.join(format!("{binary}.zip"))).ok()?.len();
    Some(size as f64 / (1024.0 * 1024.0))
}

struct Sample {
    init: f64,
    first: f64,
    warm: Vec<f64>,
    rss_mib: f64,
}

async fn cold_start(target: &Target, warm_invocations: usize, response_url: &ResponseUrl) -> Result<Sample, String> {
    if target.reset_each
        && let Some(world) = &target.world
    {
        world.reset().await?;
    }
    let mut lambda = ExecutionEnvironment::start(target.function.clone())
        .await
        .map_err(|error| format!("{}: {error}: {:?}", target.name, std::error::Error::source(&error)))?;
    let pid = lambda.process_id();
    let init = match lambda.wait_until_ready().await {
        Ok(init) => millis(init),
        Err(outcome) => return Err(failure(target, &lambda, &outcome.to_string())),
    };
    let first = invoke(target, &mut lambda, response_url).await?;
    let mut warm = Vec::with_capacity(warm_invocations);
    for _ in 0..warm_invocations {
        if target.reset_each
            && let Some(world) = &target.world
        {
            world.reset().await?;
        }
        warm.push(invoke(target, &mut lambda, response_url).await?);
    }
    let rss_mib =
        pid.and_then(peak_rss_kib).ok_or_else(|| format!("{}: no VmHWM in /proc for the process", target.name))?
            / 1024.0;
    drop(lambda);
    if let Some(pid) = pid {
        wait_until_gone(pid).await;
    }
    Ok(Sample { init, first, warm, rss_mib })
}

/// One invocation's duration in milliseconds, once its answer has been checked.
async fn invoke(target: &Target, lambda: &mut ExecutionEnvironment, response_url: &ResponseUrl) -> Result<f64, String> {
    let invocation = lambda.invoke_raw(target.event.clone()).await;
    let answered = match &invocation.outcome {
        Outcome::Response(body) => body,
        other => return Err(failure(target, lambda, &other.to_string())),
    };
    let answer: Value = serde_json::from_slice(answered)
        .map_err(|error| failure(target, lambda, &format!("answer is not JSON ({error})")))?;
    let problem = match target.expect {
        Expect::Http { status_class } => {
            let status = answer["statusCode"].as_u64().unwrap_or_default();
            (status / 100 != u64::from(status_class)).then(|| format!("status {status}: {}", answer["body"]))
        }
        Expect::Authorized => {
            (answer["isAuthorized"] != Value::Bool(true)).then(|| format!("not authorized: {answer}"))
        }
        Expect::NoBatchFailures => answer["batchItemFailures"]
            .as_array()
            .is_some_and(|failures| !failures.is_empty())
            .then(|| format!("batch failures: {answer}")),
        Expect::CustomResourceSuccess => match response_url.answer(ANSWER_WAIT).await {
            Some(body) if body.contains("\"SUCCESS\"") => None,
            Some(body) => Some(format!("the ResponseURL got {body}")),
            None => Some("nothing was sent to the ResponseURL".to_owned()),
        },
        Expect::RotationStepDone => None,
    };
    if let Some(problem) = problem {
        return Err(failure(target, lambda, &problem));
    }
    invocation.duration.map(millis).ok_or_else(|| failure(target, lambda, "an answer without a duration"))
}

fn failure(target: &Target, lambda: &ExecutionEnvironment, problem: &str) -> String {
    let stdout = lambda.stdout();
    let lines: Vec<&str> = stdout.lines().collect();
    let tail = lines[lines.len().saturating_sub(10)..].join("\n");
    format!("{}: {problem}\n--- stderr\n{}\n--- stdout (last lines)\n{tail}", target.name, lambda.stderr())
}

/// The process's peak resident set (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<f64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until the killed process is gone or a zombie, so that the next start does not share the
/// machine with its exit.
async fn wait_until_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let running = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .is_some_and(|stat| !stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')));
        if !running {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

struct SigningSecret {
    arn: String,
    version_id: String,
}

/// The signing secret in moto_server, holding the key the sample tokens are signed with.
async fn create_signing_secret(moto: &str) -> Result<SigningSecret, String> {
    let client = aws_sdk_secretsmanager::Client::new(&conduit_dynamodb_local::local_sdk_config(moto));
    let created = client
        .create_secret()
        .name(format!("conduit/bench/{}", ulid::Ulid::new()))
        .secret_string(String::from_utf8_lossy(SAMPLE_SIGNING_KEY))
        .send()
        .await
        .map_err(|error| format!("creating the signing secret in moto_server at {moto}: {error:?}"))?;
    Ok(SigningSecret {
        arn: created.arn.ok_or("the secret has no ARN")?,
        version_id: created.version_id.ok_or("the secret has no version")?,
    })
}

/// The sender of the mailing functions, verified in moto_server's SES as SES requires. A second
/// run on the same moto_server finds it verified already, which is as good.
async fn verify_mail_sender(moto: &str) {
    let client = aws_sdk_sesv2::Client::new(&conduit_dynamodb_local::local_sdk_config(moto));
    let _ = client.create_email_identity().email_identity(MAIL_SENDER).send().await;
}

/// A stand-in for the pre-signed S3 URL a custom resource handler answers CloudFormation on: takes
/// every request with 200 and keeps its body.
struct ResponseUrl {
    address: SocketAddr,
    answers: Mutex<mpsc::UnboundedReceiver<String>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ResponseUrl {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl ResponseUrl {
    async fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|error| format!("ResponseURL: {error}"))?;
        let address = listener.local_addr().map_err(|error| error.to_string())?;
        let (sender, answers) = mpsc::unbounded_channel();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sender = sender.clone();
                tokio::spawn(async move {
                    if let Some(body) = take_request(stream).await {
                        let _ = sender.send(body);
                    }
                });
            }
        });
        Ok(Self { address, answers: Mutex::new(answers), server })
    }

    fn url(&self) -> String {
        format!("http://{}/stack%7CMigrations%7Cbench?X-Amz-Expires=7200&X-Amz-Signature=local", self.address)
    }

    async fn answer(&self, limit: Duration) -> Option<String> {
        tokio::time::timeout(limit, self.answers.lock().await.recv()).await.ok().flatten()
    }
}

/// Reads one HTTP/1.1 request, answers 200 and returns its body.
async fn take_request(mut stream: TcpStream) -> Option<String> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while raw.len() < head_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..read]);
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    Some(String::from_utf8_lossy(&raw[head_end..]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_starts_each_function_once_with_the_floor_before_every_group() {
        let order = schedule(12);

        let floors = order.iter().filter(|slot| slot.is_none()).count();
        let functions: Vec<usize> = order.iter().flatten().copied().collect();
        assert_eq!(functions, (0..12).collect::<Vec<_>>());
        assert_eq!(floors, 3);
        assert_eq!(order[0], None);
        assert_eq!(order[FLOOR_EVERY + 1], None);
        assert_eq!(schedule(0), [None]);
    }

    #[test]
    fn peak_rss_is_read_from_vm_hwm() {
        let status = "Name:\tlist-tags\nVmPeak:\t  700000 kB\nVmHWM:\t    9876 kB\nVmRSS:\t    9000 kB\n";

        assert_eq!(parse_vm_hwm(status), Some(9876.0));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn the_answer_expected_follows_the_event_kind() {
        let http = serde_json::json!({"routeKey": "GET /api/tags"});

        assert_eq!(expectation("list-tags", &http), Ok(Expect::Http { status_class: 2 }));
        assert_eq!(expectation("route-not-found", &http), Ok(Expect::Http { status_class: 4 }));
        assert_eq!(expectation("authorizer", &serde_json::json!({"identitySource": []})), Ok(Expect::Authorized));
        assert_eq!(expectation("send-welcome-mail", &serde_json::json!({"Records": []})), Ok(Expect::NoBatchFailures));
        assert_eq!(
            expectation("run-migrations", &serde_json::json!({"ResponseURL": "x"})),
            Ok(Expect::CustomResourceSuccess)
        );
        assert_eq!(
            expectation(
                "rotate-signing-key",
                &serde_json::json!({"Step": "createSecret", "SecretId": "arn", "ClientRequestToken": "t"})
            ),
            Ok(Expect::RotationStepDone)
        );
        assert!(expectation("odd", &serde_json::json!({})).is_err());
    }

    #[tokio::test]
    async fn the_rotation_function_creates_a_pending_key_on_the_benchs_own_secret() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let secret = SigningSecret {
            arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:conduit/bench/x-AbCdEf".into(),
            version_id: "v1".into(),
        };
        let response_url = ResponseUrl::start().await.expect("a ResponseURL");

        let event = read_event(&root.join("events").join(event_file("rotate-signing-key")), &secret, &response_url)
            .expect("the rotation's sample event");

        assert_eq!(event["Step"], "createSecret");
        assert_eq!(event["SecretId"], secret.arn.as_str());
        assert_eq!(expectation("rotate-signing-key", &event), Ok(Expect::RotationStepDone));
    }

    #[test]
    fn every_function_of_the_template_has_its_sample_event_and_every_world_writer_is_a_function() {
        let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let template = template::parse(include_str!("../../../template.yaml")).expect("template");
        let functions: Vec<String> = function_template::function_configs(&template)
            .expect("functions")
            .into_iter()
            .map(|function| function.binary)
            .collect();

        let missing: Vec<String> = functions
            .iter()
            .map(|binary| event_file(binary))
            .chain([FLOOR_EVENT.to_owned()])
            .filter(|file| !root.join("events").join(file).is_file())
            .collect();
        let strangers: Vec<&&str> =
            WRITES_ITS_WORLD.iter().filter(|name| !functions.iter().any(|f| f == *name)).collect();

        assert!(missing.is_empty(), "no such sample events: {missing:?}");
        assert!(strangers.is_empty(), "not functions of the template: {strangers:?}");
    }

    #[test]
    fn the_floor_gets_the_global_environment_of_the_template() {
        let template = template::parse(include_str!("../../../template.yaml")).expect("template");
        let stack = LocalStack { template: &template, table_name: "t".into(), secret_arn: "s".into() };
        let services = Services::placeholders();

        let settings = function_template::lambda_settings(
            &function_template::global_function(&template, FLOOR),
            &stack,
            &services,
            Path::new("/"),
        )
        .expect("settings");

        assert_eq!(settings.environment["TABLE_NAME"], "t");
        assert_eq!(settings.environment["AWS_LAMBDA_FUNCTION_NAME"], FLOOR);
    }
}
