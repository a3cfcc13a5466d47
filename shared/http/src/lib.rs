//! The interface layer: turns API Gateway (HTTP API, payload 2.0) events into use-case calls and
//! their results into responses. Errors of every layer are rendered in exactly one place
//! ([`ApiError`]), in the API's `{"errors":{"body":[sentence],field:[message]}}` shape.

pub mod auth;
pub mod dto;
mod endpoint;
mod error;
mod error_body;
pub mod idempotency;
pub mod openapi;
pub mod request;
pub mod response;
pub mod routes;

pub use conduit_telemetry::metrics::BusinessEvent;
pub use endpoint::{CALLS_NOTHING_BUDGET, DynHandler, Endpoint, REQUEST_DEADLINE, erase, respond, run};
pub use error::ApiError;
pub use lambda_http::{Body, Request, Response};
