//! DynamoDB capacity consumed by one request, added up across every call made while serving it,
//! and the request's sequential round trips to DynamoDB: the longest chain of calls each started
//! after the one before it ended, so the figure is the latency a request pays in DynamoDB waits,
//! not its number of calls, and a slow call beside the chain does not hide a wait of it.
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
    /// Waits for DynamoDB one after the other: a call that starts while another is in flight
    /// joins that wait.
    pub round_trips: u32,
}

impl CapacityUsage {
    fn add(&mut self, other: CapacityUsage) {
        self.read_units += other.read_units;
        self.write_units += other.write_units;
        self.calls += other.calls;
        self.round_trips += other.round_trips;
    }
}

/// One request's usage so far, and its DynamoDB waits: each call is one wait deeper than the
/// deepest call that had ended when it started, so the deepest is the number of waits one after
/// the other (the critical path), whatever ran beside them.
#[derive(Debug, Default)]
struct Meter {
    usage: CapacityUsage,
    /// The deepest of the calls that have ended.
    ended_depth: u32,
    /// The deepest of all calls, ended or not.
    deepest: u32,
}

tokio::task_local! {
    static CURRENT: RefCell<Meter>;
}

/// Adds one call's consumption to the current request (a no-op outside any request scope).
pub fn record(operation: &'static str, read_units: f64, write_units: f64) {
    tracing::debug!(operation, read_units, write_units, "dynamodb call");
    let _ = CURRENT.try_with(|meter| {
        meter.borrow_mut().usage.add(CapacityUsage { read_units, write_units, calls: 1, round_trips: 0 })
    });
}

/// A DynamoDB call of the current request starts. Returns its depth, which [`call_ended`] takes
/// back: it waits after every call that has ended, and beside those still in flight, so a call
/// started while an unrelated one is in flight still counts as a wait of its own when it follows
/// another.
pub fn call_started() -> u32 {
    CURRENT
        .try_with(|meter| {
            let mut meter = meter.borrow_mut();
            let depth = meter.ended_depth + 1;
            meter.deepest = meter.deepest.max(depth);
            depth
        })
        .unwrap_or(0)
}

/// The DynamoDB call of `depth` (from [`call_started`]) has ended, answered or failed.
pub fn call_ended(depth: u32) {
    let _ = CURRENT.try_with(|meter| {
        let mut meter = meter.borrow_mut();
        meter.ended_depth = meter.ended_depth.max(depth);
    });
}

/// Runs `work` in a fresh scope and returns its output with what it consumed. A measurement
/// inside another one also counts towards the outer one.
pub async fn measure<F: Future>(work: F) -> (F::Output, CapacityUsage) {
    let (output, usage) = measure_apart(work).await;
    count(usage);
    (output, usage)
}

/// Like [`measure`], without rolling what `work` consumed up into the enclosing scope: for work
/// that runs beside the request's other calls (an idempotency claim), whose waits the caller
/// counts as it decides, with [`count`].
pub async fn measure_apart<F: Future>(work: F) -> (F::Output, CapacityUsage) {
    CURRENT
        .scope(RefCell::new(Meter::default()), async move {
            let output = work.await;
            let usage = CURRENT.with(|meter| {
                let meter = meter.borrow();
                CapacityUsage { round_trips: meter.usage.round_trips + meter.deepest, ..meter.usage }
            });
            (output, usage)
        })
        .await
}

/// Adds `usage` to the current scope, if there is one.
pub fn count(usage: CapacityUsage) {
    let _ = CURRENT.try_with(|meter| meter.borrow_mut().usage.add(usage));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_inner_scope_counts_its_calls_and_rolls_them_up() {
        let (_, outer) = measure(async {
            record("GetItem", 0.5, 0.0);
            let (_, inner) = measure(async { record("PutItem", 0.0, 1.0) }).await;
            assert_eq!(inner, CapacityUsage { read_units: 0.0, write_units: 1.0, calls: 1, round_trips: 0 });
            record("Query", 1.5, 0.0);
        })
        .await;

        assert_eq!(outer, CapacityUsage { read_units: 2.0, write_units: 1.0, calls: 3, round_trips: 0 });
    }

    #[tokio::test]
    async fn overlapping_calls_are_one_round_trip_and_sequential_ones_are_one_each() {
        // Given a request that makes two calls at once, then one after them
        let (_, usage) = measure(async {
            let (first, second) = (call_started(), call_started());
            call_ended(first);
            call_ended(second);
            let third = call_started();
            call_ended(third);
        })
        .await;

        // Then it waited on DynamoDB twice
        assert_eq!(usage.round_trips, 2);
    }

    #[tokio::test]
    async fn a_call_that_follows_another_is_a_wait_of_its_own_even_beside_a_slow_unrelated_call() {
        // Given a slow call (a session check) beside two calls made one after the other
        let (_, usage) = measure(async {
            let slow = call_started();
            let first = call_started();
            call_ended(first);
            let second = call_started();
            call_ended(second);
            call_ended(slow);
        })
        .await;

        // Then the request waited twice, not once
        assert_eq!(usage.round_trips, 2);
    }

    #[tokio::test]
    async fn calls_outside_a_scope_have_no_depth_and_are_harmless() {
        let depth = call_started();
        call_ended(depth);

        assert_eq!(depth, 0);
    }

    #[test]
    fn recording_outside_a_scope_is_harmless() {
        record("GetItem", 1.0, 0.0);
    }
}
