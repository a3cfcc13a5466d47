//! The one start-up path of every function: telemetry, the check that Lambda started it, the
//! adapters from the environment, the function built from them, then the Lambda runtime's loop
//! for its kind of event until Lambda stops the process. A function's `main` only names its
//! handler and the constructor that builds it:
//!
//! ```ignore
//! use conduit_bootstrap::start;
//!
//! fn main() -> std::process::ExitCode {
//!     start::http_endpoint(env!("CARGO_PKG_NAME"), list_articles::ListArticlesEndpoint::new)
//! }
//! ```
//!
//! A failure to start is one line on standard error and a non-zero exit, so Lambda reports an
//! init error with that line in the function's log (`conduit_telemetry::process`).

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;

use conduit_http::Endpoint;
use conduit_streams::StreamConsumer;
use conduit_telemetry::process::{self, Failure};
use conduit_telemetry::traces::TracesSetup;
use conduit_telemetry::traces::lambda::{InvocationTracing, Trigger};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Adapters, StartupError};

/// How a function is built from the adapters (every function's `new`).
pub type Constructor<T> = fn(&Adapters) -> Result<T, StartupError>;

/// A function invoked with one event of its own shape (not API Gateway's HTTP event nor a stream
/// batch): the authorizer, the migration hook.
pub trait EventFunction: Send + Sync + 'static {
    type Request: DeserializeOwned + Send + 'static;
    type Response: Serialize + Send + 'static;

    /// The answer to one event; an `Err` is the invocation's error, which Lambda reports.
    fn handle(
        &self,
        event: LambdaEvent<Self::Request>,
    ) -> impl Future<Output = Result<Self::Response, Diagnostic>> + Send;
}

/// Starts an endpoint behind API Gateway (an HTTP API route) and serves it.
pub fn http_endpoint<E: Endpoint + 'static>(command: &str, new: Constructor<E>) -> ExitCode {
    start(command, async move || {
        let adapters = Adapters::from_env().await?;
        conduit_http::run(new(&adapters)?, adapters.time_budget().request).await
    })
}

/// Starts an endpoint that calls no dependency (the API's description, its documentation page,
/// the unknown route): no adapters are built, so its cold start pays for none.
pub fn self_contained_endpoint<E: Endpoint + 'static>(command: &str, new: fn() -> Result<E, Failure>) -> ExitCode {
    start(command, async move || conduit_http::run(new()?, conduit_http::CALLS_NOTHING_BUDGET).await)
}

/// Starts a consumer of the table's change stream and serves its batches.
pub fn stream_consumer<C: StreamConsumer + 'static>(command: &str, new: Constructor<C>) -> ExitCode {
    start(command, async move || {
        let adapters = Adapters::from_env().await?;
        conduit_streams::run(new(&adapters)?).await
    })
}

/// Starts a function of its own event shape and serves its events.
pub fn event_function<F: EventFunction>(command: &str, new: Constructor<F>) -> ExitCode {
    start(command, async move || {
        let adapters = Adapters::from_env().await?;
        let function = Arc::new(new(&adapters)?);
        // Boxed: the runtime's nested service futures are otherwise too deep a type to lay out.
        lambda_runtime::Runtime::new(lambda_runtime::service_fn(move |event: LambdaEvent<F::Request>| {
            let function = Arc::clone(&function);
            Box::pin(async move { function.handle(event).await })
        }))
        .layer(InvocationTracing::new(Trigger::Other))
        .run()
        .await
        .map_err(process::runtime_stopped)
    })
}

/// What every kind of function does before and after serving. Telemetry starts inside the
/// runtime: an OTLP exporter sends from it.
fn start(command: &str, serve: impl AsyncFnOnce() -> Result<(), Failure>) -> ExitCode {
    let served = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(async {
            conduit_telemetry::init_with_traces(TracesSetup::from_env(command));
            process::require_lambda_environment()?;
            serve().await
        }),
        Err(cannot_start) => Err(cannot_start.into()),
    };
    process::exit_code(command, served)
}
