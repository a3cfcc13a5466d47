//! `Idempotency-Key` on writes that are not idempotent by themselves: a retried write takes effect
//! once, and the retry gets the first answer. See docs/idempotent-retries.md.

pub mod key_header;
mod keyed_endpoint;
mod receipt;
mod stored_answer;

pub use conduit_domain::idempotency::IdempotencySettings;
pub use keyed_endpoint::{Idempotent, KeyScope, KeyedEndpoint};
pub use receipt::Receipt;

/// Marks an answer replayed from an earlier request under the same key.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
