//! The interface layer of the table's change-stream consumers: it turns a batch of DynamoDB
//! Streams records (the event Lambda delivers) into use-case calls, one record at a time, and
//! answers with the partial batch failures Lambda retries (`ReportBatchItemFailures`). The local
//! gateway drives the same code with the same event shapes.
//!
//! Delivery is at least once: a record may come again after it was handled (a retried batch, a
//! bisected one), so every consumer must make a second handling of a record have no effect.

mod batch;
pub mod filter;
mod invocation;
pub mod settings;
mod trace_context;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use aws_lambda_events::event::dynamodb::{Event as StreamEvent, EventRecord as StreamRecord};
pub use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
pub use batch::process_batch;
use conduit_domain::error::InfrastructureError;
use conduit_telemetry::traces::lambda::{InvocationTracing, Trigger};
pub use invocation::Invocation;
pub use trace_context::TRACE_PARENT_ATTRIBUTE;

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The record's work was done now.
    Handled,
    /// Nothing to do: the work was done before (a redelivery), or the record is not this
    /// consumer's (the filter should have kept it away).
    Skipped,
}

/// Why a record could not be handled. Either way the record is reported as failed, so Lambda
/// retries it (and what follows it in the shard) until the retries run out and the batch goes to
/// the on-failure destination.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The record does not say what the consumer needs (a corrupt or unexpected image).
    #[error("record cannot be read: {0}")]
    Unreadable(String),
    /// A dependency failed; retrying may well succeed.
    #[error(transparent)]
    Infrastructure(#[from] InfrastructureError),
}

/// One consumer of the table's stream.
pub trait StreamConsumer: Send + Sync + 'static {
    /// The function's name (its binary), for logs and metrics.
    const NAME: &'static str;

    /// Handles one record of the batch `invocation` delivers (its deadline bounds work that
    /// comes in chunks).
    fn handle(
        &self,
        record: &StreamRecord,
        invocation: &Invocation,
    ) -> impl Future<Output = Result<RecordOutcome, RecordError>> + Send;
}

/// Serves the consumer on the Lambda runtime until the container is shut down.
pub async fn run<C: StreamConsumer>(consumer: C) -> Result<(), lambda_runtime::Error> {
    serve(batch_handler(consumer)).await
}

/// A consumer behind a uniform type, for the local gateway, which runs every consumer.
pub type DynStreamHandler =
    Arc<dyn Fn(StreamEvent) -> Pin<Box<dyn Future<Output = DynamoDbEventResponse> + Send>> + Send + Sync>;

pub fn erase<C: StreamConsumer>(consumer: C) -> DynStreamHandler {
    let handler = batch_handler(consumer);
    // The local gateway sets no deadline: only the consumers' own time limits apply.
    Arc::new(move |event| handler(event, Invocation::starting_now(None)))
}

/// A consumer's batches, each within its invocation, behind a uniform type.
type BatchHandler =
    Arc<dyn Fn(StreamEvent, Invocation) -> Pin<Box<dyn Future<Output = DynamoDbEventResponse> + Send>> + Send + Sync>;

fn batch_handler<C: StreamConsumer>(consumer: C) -> BatchHandler {
    let consumer = Arc::new(consumer);
    Arc::new(move |event, invocation| {
        let consumer = Arc::clone(&consumer);
        Box::pin(async move { process_batch(consumer.as_ref(), event, invocation).await })
    })
}

/// The Lambda runtime's loop for any consumer. A plain function returning a boxed future: the
/// runtime is then compiled once, in this crate, not in each consumer's binary, as the body of an
/// `async fn` would be. Not `Send`: the runtime's loop is not, and it runs on the main task. Each
/// invocation is traced, its spans flushed once the answer is posted.
fn serve(handler: BatchHandler) -> Pin<Box<dyn Future<Output = Result<(), lambda_runtime::Error>>>> {
    Box::pin(async move {
        lambda_runtime::Runtime::new(lambda_runtime::service_fn(
            move |event: lambda_runtime::LambdaEvent<StreamEvent>| {
                let invocation = Invocation::starting_now(Some(event.context.deadline()));
                let answer = handler(event.payload, invocation);
                async move { Ok::<_, std::convert::Infallible>(answer.await) }
            },
        ))
        .layer(InvocationTracing::new(Trigger::Datasource))
        .run()
        .await
    })
}
