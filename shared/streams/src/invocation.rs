//! The invocation a batch arrives in: when it started and when Lambda ends it. Consumers whose
//! work comes in chunks stop taking new steps in time from it.

use std::time::{Duration, Instant, SystemTime};

/// Kept back from Lambda's deadline for what follows the last step: recording where the work
/// stands, answering, logging and the metrics.
pub const FINISH_MARGIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invocation {
    started: Instant,
    /// When Lambda stops the invocation; none where nothing does (the local gateway).
    lambda_deadline: Option<Instant>,
}

impl Invocation {
    /// An invocation starting now that Lambda ends at `lambda_deadline` (wall-clock time, as the
    /// runtime API states it).
    pub fn starting_now(lambda_deadline: Option<SystemTime>) -> Self {
        let (started, wall_clock) = (Instant::now(), SystemTime::now());
        let lambda_deadline =
            lambda_deadline.map(|deadline| started + deadline.duration_since(wall_clock).unwrap_or_default());
        Self { started, lambda_deadline }
    }

    /// When work must stop to take at most `limit` from the invocation's start (every record of
    /// the batch shares it), and never later than [`FINISH_MARGIN`] before Lambda's deadline.
    pub fn deadline_within(&self, limit: Duration) -> Instant {
        let own = self.started + limit;
        match self.lambda_deadline {
            Some(lambda) => own.min(lambda.checked_sub(FINISH_MARGIN).unwrap_or(self.started).max(self.started)),
            None => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_lambda_deadline_work_stops_at_the_limit_from_the_start() {
        let invocation = Invocation::starting_now(None);

        assert_eq!(invocation.deadline_within(Duration::from_secs(30)), invocation.started + Duration::from_secs(30));
    }

    #[test]
    fn a_lambda_deadline_nearer_than_the_limit_wins_less_the_finish_margin() {
        let lambda_deadline = SystemTime::now() + Duration::from_secs(40);
        let invocation = Invocation::starting_now(Some(lambda_deadline));

        let deadline = invocation.deadline_within(Duration::from_secs(60));

        let expected = invocation.started + Duration::from_secs(30);
        assert!(deadline <= expected && deadline + Duration::from_millis(100) > expected, "{deadline:?}");
        assert_eq!(invocation.deadline_within(Duration::from_secs(5)), invocation.started + Duration::from_secs(5));
    }

    #[test]
    fn a_lambda_deadline_already_within_the_margin_leaves_no_time() {
        let invocation = Invocation::starting_now(Some(SystemTime::now() + Duration::from_secs(3)));

        assert_eq!(invocation.deadline_within(Duration::from_secs(30)), invocation.started);
    }
}
