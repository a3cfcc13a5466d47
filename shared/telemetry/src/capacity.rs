//! DynamoDB capacity consumed by one request, added up across every call made while serving it.
//!
//! The meter is task-local: the interface layer opens a scope around each request, the repository
//! records into whichever scope is current. Correct in Lambda (one request per process at a time)
//! and in the local gateway alike (many requests at once, each on its own task).

use std::cell::RefCell;
use std::future::Future;

/// Read and write capacity units consumed, as DynamoDB reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CapacityUsage {
    pub read_units: f64,
    pub write_units: f64,
    pub calls: u32,
}

impl CapacityUsage {
    fn add(&mut self, other: CapacityUsage) {
        self.read_units += other.read_units;
        self.write_units += other.write_units;
        self.calls += other.calls;
    }
}

tokio::task_local! {
    static CURRENT: RefCell<CapacityUsage>;
}

/// Adds one call's consumption to the current request (a no-op outside any request scope).
pub fn record(operation: &'static str, read_units: f64, write_units: f64) {
    tracing::debug!(operation, read_units, write_units, "dynamodb call");
    let _ = CURRENT.try_with(|usage| usage.borrow_mut().add(CapacityUsage { read_units, write_units, calls: 1 }));
}

/// Runs `work` in a fresh scope and returns its output with what it consumed. A measurement
/// inside another one also counts towards the outer one.
pub async fn measure<F: Future>(work: F) -> (F::Output, CapacityUsage) {
    let (output, usage) = CURRENT
        .scope(RefCell::new(CapacityUsage::default()), async move {
            let output = work.await;
            let usage = CURRENT.with(|usage| *usage.borrow());
            (output, usage)
        })
        .await;
    let _ = CURRENT.try_with(|outer| outer.borrow_mut().add(usage));
    (output, usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_inner_scope_counts_its_calls_and_rolls_them_up() {
        let (_, outer) = measure(async {
            record("GetItem", 0.5, 0.0);
            let (_, inner) = measure(async { record("PutItem", 0.0, 1.0) }).await;
            assert_eq!(inner, CapacityUsage { read_units: 0.0, write_units: 1.0, calls: 1 });
            record("Query", 1.5, 0.0);
        })
        .await;

        assert_eq!(outer, CapacityUsage { read_units: 2.0, write_units: 1.0, calls: 3 });
    }

    #[test]
    fn recording_outside_a_scope_is_harmless() {
        record("GetItem", 1.0, 0.0);
    }
}
