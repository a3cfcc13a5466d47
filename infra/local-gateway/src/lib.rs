//! A local stand-in for API Gateway (HTTP API, payload 2.0): it serves every route of the route
//! table by calling the same handler code the lambdas run, with the events API Gateway would send,
//! and applies the Lambda authorizer, CORS and the `$default` route the way the deployed API does.

mod authorizer_cache;
mod cors;
mod events;
mod functions;
mod gateway;
mod outbox;
mod server;
mod streams;

pub use events::IncomingRequest as GatewayRequest;
pub use functions::{
    FunctionRegistry, StreamConsumerEntry, build_functions, build_stream_consumers, missing_functions,
};
pub use gateway::{Gateway, GatewayResponse};
pub use outbox::{OUTBOX_PAGE_PATH, OUTBOX_PATH};
pub use server::serve;
pub use streams::{FailedBatch, STREAM_FAILURES_PATH, StreamFailures};
