//! Runs a Lambda function binary the way Lambda runs it, on this machine: one process per execution
//! environment, started with exactly the environment it is given (nothing inherited), speaking the
//! [Lambda Runtime API](https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) to a
//! server on loopback. Each invocation reports the function's answer, or why there is none (its
//! function error, its init error, the process ending, a timeout), and how long it took; the
//! process's output is kept for diagnostics.
//!
//! Timings follow Lambda's definitions: the init duration runs from starting the process to its
//! first poll for an event, an invocation's duration from handing the event out to the answer.
//!
//! ```no_run
//! # async fn example() {
//! use conduit_lambda_runtime_emulator::{ExecutionEnvironment, Function, Outcome};
//! let environment = [("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "list-tags".to_owned())].into();
//! let mut lambda = ExecutionEnvironment::start(Function::new("target/debug/list-tags", environment))
//!     .await
//!     .expect("started");
//! let invocation = lambda.invoke(&serde_json::json!({"rawPath": "/api/tags"})).await;
//! if let Outcome::Response(body) = &invocation.outcome {
//!     println!("{} after {:?} of init", String::from_utf8_lossy(body), lambda.init_duration());
//! }
//! # }
//! ```

mod process;
mod runtime_api;
pub mod xray_daemon;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use process::FunctionProcess;
use runtime_api::{RuntimeApi, Settings};

/// The variable through which Lambda tells the runtime where its Runtime API is.
pub const RUNTIME_API_VARIABLE: &str = "AWS_LAMBDA_RUNTIME_API";

/// Lambda's limit on the init phase of an on-demand function.
pub const LAMBDA_INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Lambda's default function timeout.
pub const LAMBDA_DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// What to run and how Lambda would configure it.
#[derive(Debug, Clone)]
pub struct Function {
    program: PathBuf,
    args: Vec<String>,
    environment: BTreeMap<String, String>,
    working_dir: Option<PathBuf>,
    function_arn: String,
    timeout: Duration,
    init_timeout: Duration,
    active_tracing: bool,
}

impl Function {
    /// `environment` is the process's whole environment; only [`RUNTIME_API_VARIABLE`] is added,
    /// because only the started emulator knows its value. The invoked function ARN is derived from
    /// `AWS_LAMBDA_FUNCTION_NAME` and `AWS_REGION` when present.
    pub fn new(program: impl Into<PathBuf>, environment: BTreeMap<String, String>) -> Self {
        let name = environment.get("AWS_LAMBDA_FUNCTION_NAME").map_or("function", String::as_str);
        let region = environment.get("AWS_REGION").map_or("us-east-1", String::as_str);
        let function_arn = format!("arn:aws:lambda:{region}:123456789012:function:{name}");
        let program = program.into();
        Self {
            working_dir: program.parent().filter(|dir| !dir.as_os_str().is_empty()).map(Path::to_path_buf),
            program,
            args: Vec::new(),
            environment,
            function_arn,
            timeout: LAMBDA_DEFAULT_TIMEOUT,
            init_timeout: LAMBDA_INIT_TIMEOUT,
            active_tracing: false,
        }
    }

    pub fn args(mut self, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// The directory the process starts in (default: the program's, as Lambda starts in the code's).
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    pub fn function_arn(mut self, arn: impl Into<String>) -> Self {
        self.function_arn = arn.into();
        self
    }

    /// The function's timeout: the deadline the runtime is told and the limit on each invocation.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit from starting the process to its first poll.
    pub fn init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = timeout;
        self
    }

    /// With X-Ray active tracing, every invocation carries a sampled trace header, as in Lambda.
    pub fn active_tracing(mut self, active: bool) -> Self {
        self.active_tracing = active;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on loopback for the Runtime API")]
    Listen(#[source] std::io::Error),
    #[error("cannot start {program}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An error the runtime reported: its `Lambda-Runtime-Function-Error-Type` header and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    pub error_type: Option<String>,
    pub body: Vec<u8>,
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type.as_deref().unwrap_or("(no type)"), String::from_utf8_lossy(&self.body))
    }
}

/// Which phase a timeout cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Init,
    Invoke,
}

/// How an invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The body the runtime posted as the function's response.
    Response(Vec<u8>),
    /// The runtime reported that the function failed on this event.
    FunctionError(ErrorReport),
    /// The runtime reported that it could not start.
    InitError(ErrorReport),
    /// The process ended without answering (a failed start usually looks like this: `main`
    /// returned an error before the runtime took over).
    Exited(ExitStatus),
    /// No answer within the limit; the process was killed, as Lambda discards such environments.
    TimedOut { phase: Phase, limit: Duration },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Response(body) => write!(f, "response {}", String::from_utf8_lossy(body)),
            Self::FunctionError(report) => write!(f, "function error {report}"),
            Self::InitError(report) => write!(f, "init error {report}"),
            Self::Exited(status) => write!(f, "the process ended ({status}) without answering"),
            Self::TimedOut { phase: Phase::Init, limit } => write!(f, "no poll for an event within {limit:?} of start"),
            Self::TimedOut { phase: Phase::Invoke, limit } => write!(f, "no answer within the timeout of {limit:?}"),
        }
    }
}

/// One event's result and timings.
#[derive(Debug)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// From handing the event to the runtime to its answer (what Lambda reports as `Duration`);
    /// `None` when there was no answer.
    pub duration: Option<Duration>,
    /// From calling `invoke` to knowing the outcome, including any wait for the process's init.
    pub latency: Duration,
}

impl Invocation {
    pub fn response(&self) -> Option<&[u8]> {
        match &self.outcome {
            Outcome::Response(body) => Some(body),
            _ => None,
        }
    }
}

/// One function process and the Runtime API it talks to. Dropping it kills the process.
pub struct ExecutionEnvironment {
    function: Function,
    process: FunctionProcess,
    // Declared after the process: the server outlives the process while both are dropped.
    api: RuntimeApi,
    runtime_api: String,
}

/// How a wait for the process ended.
enum Waited<T> {
    Done(T),
    Exited(ExitStatus),
    TimedOut,
}

impl ExecutionEnvironment {
    /// Starts the Runtime API, then the process; does not wait for its init.
    pub async fn start(function: Function) -> Result<Self, StartError> {
        let api = RuntimeApi::start(Settings {
            function_arn: function.function_arn.clone(),
            timeout: function.timeout,
            active_tracing: function.active_tracing,
        })
        .await
        .map_err(StartError::Listen)?;
        let runtime_api = api.address().to_string();
        let mut environment = function.environment.clone();
        environment.insert(RUNTIME_API_VARIABLE.to_owned(), runtime_api.clone());
        let process =
            FunctionProcess::spawn(&function.program, &function.args, &environment, function.working_dir.as_deref())
                .map_err(|source| StartError::Spawn { program: function.program.clone(), source })?;
        Ok(Self { function, process, api, runtime_api })
    }

    /// `127.0.0.1:<port>`, as the process got it in `AWS_LAMBDA_RUNTIME_API`.
    pub fn runtime_api(&self) -> &str {
        &self.runtime_api
    }

    pub fn process_id(&self) -> Option<u32> {
        self.process.id()
    }

    /// From starting the process to its first poll for an event, once it has polled.
    pub fn init_duration(&self) -> Option<Duration> {
        self.api.first_poll().map(|polled| polled.saturating_duration_since(self.process.spawned_at()))
    }

    /// Everything the process wrote to standard output so far (Lambda's log stream).
    pub fn stdout(&self) -> String {
        self.process.stdout()
    }

    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Requests outside the emulated Runtime API (e.g. an extension registering), which were
    /// answered 404.
    pub fn unexpected_requests(&self) -> Vec<String> {
        self.api.unexpected_requests()
    }

    /// Waits for the end of init: the init duration, or the outcome that ended the environment.
    pub async fn wait_until_ready(&mut self) -> Result<Duration, Outcome> {
        let limit = self.function.init_timeout;
        let deadline = self.process.spawned_at() + limit;
        let waited = tokio::select! {
            biased;
            initialized = self.api.initialized() => Waited::Done(initialized),
            status = self.process.exited() => Waited::Exited(status),
            () = tokio::time::sleep_until(deadline.into()) => Waited::TimedOut,
        };
        match waited {
            Waited::Done(Ok(first_poll)) => Ok(first_poll.saturating_duration_since(self.process.spawned_at())),
            Waited::Done(Err(report)) => Err(Outcome::InitError(report)),
            Waited::Exited(status) => Err(self.ended(status)),
            Waited::TimedOut => {
                self.process.stop().await;
                Err(Outcome::TimedOut { phase: Phase::Init, limit })
            }
        }
    }

    /// Invokes the function with a JSON event, waiting for init first when the process is new.
    pub async fn invoke(&mut self, event: &serde_json::Value) -> Invocation {
        self.invoke_raw(event.to_string().into_bytes()).await
    }

    /// Invokes the function with an event given as bytes, exactly as they will be delivered.
    pub async fn invoke_raw(&mut self, event: Vec<u8>) -> Invocation {
        self.invoke_delivered(event, None).await
    }

    /// Invokes the function with a JSON event under the X-Ray trace header `trace_header`
    /// (`Root=...;Parent=...;Sampled=...`), as Lambda does for a request X-Ray traces.
    pub async fn invoke_traced(&mut self, event: &serde_json::Value, trace_header: &str) -> Invocation {
        self.invoke_delivered(event.to_string().into_bytes(), Some(trace_header.to_owned())).await
    }

    async fn invoke_delivered(&mut self, event: Vec<u8>, trace_header: Option<String>) -> Invocation {
        let started = Instant::now();
        let request_id = runtime_api::new_request_id();
        if let Err(outcome) = self.wait_until_ready().await {
            return Invocation { request_id, outcome, duration: None, latency: started.elapsed() };
        }
        let answer = self.api.submit(request_id.clone(), event, trace_header);
        // The process is polling already, so the event is handed out at once: the function's
        // timeout can be counted from here.
        let limit = self.function.timeout;
        let deadline = Instant::now() + limit;
        let waited = tokio::select! {
            // An answer posted just before the process ended still counts.
            biased;
            answer = answer => Waited::Done(answer.expect("the Runtime API keeps every queued event until it is answered")),
            status = self.process.exited() => Waited::Exited(status),
            () = tokio::time::sleep_until(deadline.into()) => Waited::TimedOut,
        };
        let (outcome, duration) = match waited {
            Waited::Done(answer) => {
                let duration = answer.answered_at.saturating_duration_since(answer.delivered_at);
                (answer.result.map_or_else(Outcome::FunctionError, Outcome::Response), Some(duration))
            }
            Waited::Exited(status) => (self.ended(status), None),
            Waited::TimedOut => {
                self.process.stop().await;
                (Outcome::TimedOut { phase: Phase::Invoke, limit }, None)
            }
        };
        Invocation { request_id, outcome, duration, latency: started.elapsed() }
    }

    /// A runtime that reported its failed start and then exited failed with that report.
    fn ended(&self, status: ExitStatus) -> Outcome {
        self.api.init_error().map_or(Outcome::Exited(status), Outcome::InitError)
    }
}

#[cfg(test)]
mod tests;
