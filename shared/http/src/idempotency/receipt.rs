//! What a keyed endpoint hands its use case so the write commits the answer with the effect.

use std::sync::{Arc, Mutex};

use conduit_domain::idempotency::{AnswerOf, Claim};
use conduit_domain::ports::IdempotencyKeys;
use lambda_http::{Body, Response};

use super::stored_answer;

/// The request's claim, if it carries a key. Without one, [`Receipt::answer`] gives no completion
/// and the write is exactly what it is without this feature.
pub struct Receipt {
    keyed: Option<Keyed>,
}

struct Keyed {
    claim: Claim,
    keys: Arc<dyn IdempotencyKeys>,
    /// The stored form of the last answer handed to a write, to tell afterwards whether the answer
    /// sent is the one the write committed.
    last_answer: Mutex<Option<Vec<u8>>>,
}

impl Receipt {
    pub fn unkeyed() -> Self {
        Self { keyed: None }
    }

    pub(super) fn keyed(claim: Claim, keys: Arc<dyn IdempotencyKeys>) -> Self {
        Self { keyed: Some(Keyed { claim, keys, last_answer: Mutex::new(None) }) }
    }

    /// For a use case: renders its result with `render` (the same function that renders the answer
    /// sent) and seals it into the completion its write commits.
    pub fn answer<'r, T>(&'r self, render: impl Fn(&T) -> Response<Body> + Send + Sync + 'r) -> AnswerOf<'r, T> {
        let Some(keyed) = self.keyed.as_ref() else { return AnswerOf::unkeyed() };
        AnswerOf::keyed(move |result: &T| {
            let stored = stored_answer::encode(&render(result))?;
            let sealed = match keyed.keys.seal(&keyed.claim.record, &stored) {
                Ok(sealed) => sealed,
                Err(error) => {
                    // The write goes ahead without its answer, which is then stored after it.
                    tracing::warn!(error = %conduit_telemetry::process::ErrorChain(&error), "answer not sealed");
                    return None;
                }
            };
            if let Ok(mut last) = keyed.last_answer.lock() {
                *last = Some(stored);
            }
            Some(keyed.claim.completed_with(sealed))
        })
    }

    /// Whether `stored` (an answer's stored form) is the one the last write was given.
    pub(super) fn went_with_a_write(&self, stored: &[u8]) -> bool {
        self.keyed
            .as_ref()
            .and_then(|keyed| keyed.last_answer.lock().ok().map(|last| last.as_deref() == Some(stored)))
            .unwrap_or(false)
    }
}
