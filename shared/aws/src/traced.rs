//! An AWS call in its span of the trace: the call runs inside the span, which then records AWS's
//! request id and whether the call failed. Every adapter's calls go through [`traced`], so each
//! call's span is made the same way.

use std::future::Future;

use aws_sdk_dynamodb::operation::RequestId;
use conduit_telemetry::traces::attributes::AwsCall;
use tracing::Instrument;

/// Runs `call_future` in `call`'s span. An error `expected` says is an answer, not a failure (a
/// version that is not there yet), leaves the span's status alone.
pub async fn traced<T, E, F>(call: AwsCall, call_future: F, expected: impl Fn(&E) -> bool) -> Result<T, E>
where
    T: RequestId,
    E: RequestId,
    F: Future<Output = Result<T, E>>,
{
    let result = call_future.instrument(call.span().clone()).await;
    let request_id = match &result {
        Ok(output) => output.request_id(),
        Err(error) => error.request_id(),
    };
    call.finish(request_id, result.as_ref().is_err_and(|error| !expected(error)));
    result
}
