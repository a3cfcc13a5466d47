//! A local stand-in for API Gateway (HTTP API, payload 2.0): it serves every route of the route
//! table by calling the same handler code the lambdas run, with the events API Gateway would send,
//! and applies the Lambda authorizer, CORS and the `$default` route the way the deployed API does,
//! and Lambda's function timeouts and response limit the way Lambda does.

mod authorizer_cache;
mod aws_limits;
mod cors;
mod events;
mod function_timeouts;
mod functions;
mod gateway;
mod gateway_response;
mod html;
mod lambda_response;
mod local_traces;
mod outbox;
mod recent_traces;
mod server;
mod streams;
mod trace_view;
mod traces_page;

pub use aws_limits::{API_GATEWAY_INTEGRATION_TIMEOUT, AwsLimitError, AwsLimits};
pub use events::IncomingRequest as GatewayRequest;
pub use function_timeouts::{FunctionTimeouts, FunctionTimeoutsError};
pub use functions::{
    FunctionRegistry, StreamConsumerEntry, build_functions, build_stream_consumers, missing_functions,
};
pub use gateway::{Gateway, GatewayError};
pub use gateway_response::GatewayResponse;
pub use lambda_response::LAMBDA_RESPONSE_LIMIT_BYTES;
pub use local_traces::{TRACES_PAGE_PATH, TRACES_PATH};
pub use outbox::{OUTBOX_PAGE_PATH, OUTBOX_PATH};
pub use recent_traces::{RecentTrace, RecentTraceLimits, RecentTraces};
pub use server::serve;
pub use streams::{FailedBatch, STREAM_FAILURES_PATH, StreamFailures};
