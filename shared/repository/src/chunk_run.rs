//! One chunk of work that may be large, kept within its budget: it goes in steps of at most
//! [`STEP`] items (a read and the writes it calls for), and takes no new step once its items are
//! used up or, once it has read an item, its deadline has passed. So every chunk that leaves work
//! has read at least one item, and each item read moves the work on (a cursor passes it, or it is
//! deleted): no chain of chunks can go on without end.

use std::time::Instant;

use conduit_domain::work_chunks::WorkBudget;

/// Items one step reads at most. The clock is looked at between steps, so a chunk overruns its
/// deadline by one step at most: a hundred transactions, eight at a time, take well under a second.
pub(crate) const STEP: usize = 100;

pub(crate) struct ChunkRun {
    budget: WorkBudget,
    used: usize,
}

impl ChunkRun {
    pub fn new(budget: WorkBudget) -> Self {
        Self { budget, used: 0 }
    }

    /// How many items the next step may read; `None` when the chunk stops here.
    pub fn next_step(&mut self) -> Option<usize> {
        // A budget of no items would never move the work on: one is the least a chunk does.
        let left = self.budget.items.max(1).saturating_sub(self.used);
        let late = self.used > 0 && Instant::now() >= self.budget.deadline;
        if left == 0 || late {
            return None;
        }
        Some(left.min(STEP))
    }

    /// Counts the items a step read against the budget.
    pub fn used(&mut self, items: usize) {
        self.used += items;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn budget(items: usize, deadline: Instant) -> WorkBudget {
        WorkBudget { items, deadline }
    }

    #[test]
    fn steps_take_at_most_a_step_of_what_the_budget_has_left() {
        let mut run = ChunkRun::new(budget(250, Instant::now() + Duration::from_secs(60)));

        let mut steps = Vec::new();
        while let Some(limit) = run.next_step() {
            steps.push(limit);
            run.used(limit);
        }

        assert_eq!(steps, [100, 100, 50]);
    }

    #[test]
    fn past_the_deadline_steps_go_on_until_one_reads_an_item_and_no_further() {
        let mut run = ChunkRun::new(budget(1_000, Instant::now()));

        let empty = run.next_step();
        run.used(0);
        let reading = run.next_step();
        run.used(10);

        assert_eq!((empty, reading, run.next_step()), (Some(100), Some(100), None));
    }

    #[test]
    fn a_budget_of_no_items_still_takes_one() {
        let mut run = ChunkRun::new(budget(0, Instant::now() + Duration::from_secs(60)));

        let first = run.next_step();
        run.used(1);

        assert_eq!((first, run.next_step()), (Some(1), None));
    }
}
