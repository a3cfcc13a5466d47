use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::types::ConsumedCapacity;

/// Read and write capacity units consumed, as DynamoDB reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CapacityUsage {
    pub read_units: f64,
    pub write_units: f64,
    pub calls: u32,
}

/// Adds up the capacity DynamoDB reports for each call, so a request's cost can be logged and
/// measured. Every call asks for `ReturnConsumedCapacity::Total`, which costs nothing extra.
#[derive(Debug, Clone, Default)]
pub struct ConsumedCapacityMeter(Arc<Mutex<CapacityUsage>>);

impl ConsumedCapacityMeter {
    pub(crate) fn record<'a>(
        &self,
        operation: &'static str,
        reports: impl IntoIterator<Item = &'a ConsumedCapacity>,
    ) {
        let (mut read_units, mut write_units) = (0.0, 0.0);
        for report in reports {
            read_units += report.read_capacity_units().unwrap_or_default();
            write_units += report.write_capacity_units().unwrap_or_default();
        }
        tracing::debug!(operation, read_units, write_units, "dynamodb call");
        let mut usage = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        usage.read_units += read_units;
        usage.write_units += write_units;
        usage.calls += 1;
    }

    /// Returns what was consumed since the last call and starts counting afresh.
    pub fn take(&self) -> CapacityUsage {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}
