//! The chunk limits of the stream consumers whose work grows with what others did (see
//! `conduit_domain::work_chunks`) from the environment: each one is a template parameter deployed
//! and an environment variable of the local gateway locally, so tests can set small values and
//! the defaults hold everywhere else.

use std::time::Duration;

use conduit_domain::work_chunks::ChunkLimits;

use crate::whole_number::{self, OutOfRange};

/// The variables, each optional (absent means the default).
pub mod variables {
    pub const STREAM_CHUNK_ITEMS: &str = "STREAM_CHUNK_ITEMS";
    pub const STREAM_CHUNK_SECONDS: &str = "STREAM_CHUNK_SECONDS";

    /// Every one of them, in the order docs/streams.md lists them.
    pub const ALL: [&str; 2] = [STREAM_CHUNK_ITEMS, STREAM_CHUNK_SECONDS];
}

/// More items than this would make one chunk take minutes.
const MAX_ITEMS: usize = 100_000;
/// The consumers' timeout is 120 s and a chunk keeps a margin before it: 90 s is as far as a
/// chunk may go.
const MAX_SECONDS: u64 = 90;

/// The limits the process's environment sets.
pub fn from_env() -> Result<ChunkLimits, OutOfRange> {
    from_variables(|name| std::env::var(name).ok())
}

/// The limits `variable` sets, each absent one at its default.
pub fn from_variables(variable: impl Fn(&str) -> Option<String>) -> Result<ChunkLimits, OutOfRange> {
    use variables::*;
    let defaults = ChunkLimits::default();
    Ok(ChunkLimits {
        items: whole_number::read_count(&variable, STREAM_CHUNK_ITEMS, defaults.items, 1..=MAX_ITEMS)?,
        time: Duration::from_secs(whole_number::read(
            &variable,
            STREAM_CHUNK_SECONDS,
            defaults.time.as_secs(),
            1..=MAX_SECONDS,
        )?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whole_number::environment;

    #[test]
    fn given_no_variables_when_read_then_every_limit_is_at_its_default() {
        assert_eq!(from_variables(environment(&[])).expect("valid"), ChunkLimits::default());
    }

    #[test]
    fn given_each_variable_when_read_then_it_sets_its_own_limit() {
        let limits =
            from_variables(environment(&[("STREAM_CHUNK_ITEMS", "5"), ("STREAM_CHUNK_SECONDS", "2")])).expect("valid");

        assert_eq!(limits, ChunkLimits { items: 5, time: Duration::from_secs(2) });
    }

    #[test]
    fn given_a_value_out_of_range_when_read_then_start_up_fails_naming_it() {
        for (name, value) in [
            ("STREAM_CHUNK_ITEMS", "0"),
            ("STREAM_CHUNK_ITEMS", "100001"),
            ("STREAM_CHUNK_SECONDS", "91"),
            ("STREAM_CHUNK_SECONDS", "soon"),
        ] {
            let error = from_variables(environment(&[(name, value)])).expect_err(name).to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
