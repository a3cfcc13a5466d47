//! Telemetry shared by every function and by the local gateway: structured logs (one JSON line per
//! event, each carrying the request's context), CloudWatch Embedded Metric Format lines, and the
//! per-request DynamoDB capacity meter.

pub mod capacity;
mod logging;
pub mod metrics;
pub mod process;
mod request;
pub mod xray;

pub use logging::{LOG_LEVEL_VARIABLE, init, init_with_writer};
pub use request::{RequestContext, record_user};
