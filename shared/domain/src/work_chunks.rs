//! Work that follows a write and grows with what others did (purging a deleted article's
//! favorites, comments and feed entries; clearing an ended follow from a long feed) is done in
//! chunks, one per invocation of its stream consumer. Without a bound, anyone able to gather
//! thousands of favorites on an article, or a long feed, could make one invocation run into its
//! timeout and be retried from scratch until the record expires: unrestricted resource consumption
//! (OWASP API Security Top 10 API4:2023). Each chunk records where the work stands on the work's
//! own item, whose change brings the next chunk, so the work finishes however large it is and
//! resumes after a crash.

use std::time::{Duration, Instant};

/// How much one chunk may do. Each is a template parameter deployed and an environment variable
/// locally; these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkLimits {
    /// Items one chunk handles at most (favorites, comments and followers of a purge, feed entries
    /// of a clearing, each counted whether or not it is still there to remove). A thousand takes a
    /// few seconds on DynamoDB.
    pub items: usize,
    /// How long one invocation's chunks may run, from its start: far inside the consumers'
    /// two-minute timeout, however slow DynamoDB is that day.
    pub time: Duration,
}

impl Default for ChunkLimits {
    fn default() -> Self {
        Self { items: 1_000, time: Duration::from_secs(30) }
    }
}

/// What one chunk may do: at most `items` items, and no new step once `deadline` has passed (a
/// chunk that leaves work has always read at least one item, so every chunk moves the work on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkBudget {
    pub items: usize,
    pub deadline: Instant,
}

/// Whether work is left once a chunk is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remaining {
    /// The work is finished (now, or before: a repeated delivery finds nothing to do).
    Nothing,
    /// More is left, and the next chunk is already due: recorded on the work's item, whose change
    /// brings it (or another delivery is carrying the work on).
    More,
}

/// What one chunk did, and whether work is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<T> {
    pub done: T,
    pub remaining: Remaining,
}
