//! Telemetry shared by every function and by the local gateway: logging set-up and the per-request
//! DynamoDB capacity meter.

pub mod capacity;

/// Installs the subscriber once per process: JSON lines when Lambda's `AWS_LAMBDA_LOG_FORMAT` is
/// `JSON`, level from `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`), INFO otherwise. The runtime's own
/// initialiser already honours Lambda's advanced logging controls, so it is reused, not rewritten.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
