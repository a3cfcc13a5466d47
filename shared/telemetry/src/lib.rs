//! Telemetry shared by every function and by the local gateway: structured logs (one JSON line per
//! event, each carrying the request's context), CloudWatch Embedded Metric Format lines, the
//! per-request DynamoDB capacity meter, and traces exported with OpenTelemetry.

pub mod capacity;
mod logging;
pub mod metrics;
pub mod process;
mod request;
pub mod traces;

pub use logging::{LOG_LEVEL_VARIABLE, init, init_with_traces, init_with_writer};
pub use request::{RequestContext, record_user};
