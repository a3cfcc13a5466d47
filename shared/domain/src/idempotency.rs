//! Idempotent writes: a client names one intended write with a key, and every retry under that key
//! gets the first answer instead of a second effect. The model follows the IETF draft "The
//! Idempotency-Key HTTP Header Field" and the record design of Powertools for AWS Lambda's
//! idempotency utility: one record per (caller, route, key), claimed *in progress* while the first
//! request runs and *completed* with its answer, committed in the same transaction as the write.
//!
//! The answer is opaque here: the interface layer renders and seals it, the domain only decides
//! what a request under a key gets.

use std::time::Duration;

use crate::values::Timestamp;

/// How long records live, and how long a claim holds when the invocation states no deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdempotencySettings {
    /// A completed record answers retries this long (24 hours unless configured).
    pub expiry: Duration,
    pub claim_without_deadline: Duration,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self { expiry: Duration::from_secs(24 * 60 * 60), claim_without_deadline: Duration::from_secs(30) }
    }
}

/// Which record a request's key names: derived by the interface layer from the caller (or source),
/// the route and the key, so two callers' keys never meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordKey(pub String);

/// One attempt's claim on a record: only the attempt holding it may complete or release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimId(pub String);

impl ClaimId {
    /// A fresh claim id, unique to one attempt.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new().to_string())
    }
}

/// A keyed MAC of what was asked (method, path, body, caller): the same key with another request
/// is refused, and a password in a body is never stored in a form that can be guessed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(pub String);

/// An answer as stored: sealed by the interface layer (it may carry a token), opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedAnswer(pub Vec<u8>);

/// What a new attempt writes to take a record.
#[derive(Debug, Clone)]
pub struct Claim {
    pub record: RecordKey,
    pub claim: ClaimId,
    pub fingerprint: Fingerprint,
    pub now: Timestamp,
    /// When the attempt's function will have been stopped: a claim older than this was abandoned
    /// (crash, timeout) and may be taken by a retry.
    pub in_progress_until: Timestamp,
    /// When the record stops mattering: removed by the table's TTL, and ignored by the code from
    /// then on even before the TTL sweep comes.
    pub expires_at: Timestamp,
}

impl Claim {
    /// The completion of this claim with `answer`.
    pub fn completed_with(&self, answer: SealedAnswer) -> Completion {
        Completion {
            record: self.record.clone(),
            claim: self.claim.clone(),
            fingerprint: self.fingerprint.clone(),
            answer,
            expires_at: self.expires_at,
        }
    }
}

/// What a keyed write commits along with its effect, in the same transaction: the record,
/// completed with the answer the client is given. Either both commit or neither does.
#[derive(Debug, Clone)]
pub struct Completion {
    pub record: RecordKey,
    pub claim: ClaimId,
    pub fingerprint: Fingerprint,
    pub answer: SealedAnswer,
    pub expires_at: Timestamp,
}

/// Turns a use case's result into the completion its write commits, for a request with a key;
/// for one without, [`AnswerOf::unkeyed`], and the write costs what it always did.
pub struct AnswerOf<'a, T>(Option<CompleteFn<'a, T>>);

type CompleteFn<'a, T> = Box<dyn Fn(&T) -> Option<Completion> + Send + Sync + 'a>;

impl<'a, T> AnswerOf<'a, T> {
    pub fn unkeyed() -> Self {
        Self(None)
    }

    pub fn keyed(complete: impl Fn(&T) -> Option<Completion> + Send + Sync + 'a) -> Self {
        Self(Some(Box::new(complete)))
    }

    pub fn is_keyed(&self) -> bool {
        self.0.is_some()
    }

    /// The completion the write of `result` commits (`None` without a key).
    pub fn completion(&self, result: &T) -> Option<Completion> {
        self.0.as_ref().and_then(|complete| complete(result))
    }
}

/// A record as found when a claim could not be taken.
#[derive(Debug, Clone)]
pub struct ExistingRecord {
    pub claim: ClaimId,
    pub fingerprint: Fingerprint,
    pub state: RecordState,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone)]
pub enum RecordState {
    InProgress { until: Timestamp },
    Completed { answer: SealedAnswer },
}

/// How a claim attempt went.
#[derive(Debug, Clone)]
pub enum ClaimOutcome {
    /// The record is ours: the request runs.
    Claimed,
    /// A live record (of this attempt's write, or of another attempt) stands.
    Exists(ExistingRecord),
}

/// What a request under a key gets, given the record it met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Run the request: the record is ours (or was written by our own write already).
    Run,
    /// The first request completed: answer what it answered.
    Replay(SealedAnswer),
    /// The first request is still running: come back after the wait (409).
    InProgress { retry_after: Duration },
    /// The key was used for another request (422).
    KeyReused,
}

/// The shortest and longest wait a request that met a running one is told to take.
const IN_PROGRESS_WAIT: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(2));

impl ExistingRecord {
    /// The verdict for the attempt `mine`, whose request has the fingerprint `same_request` says.
    pub fn verdict(&self, mine: &ClaimId, same_request: bool, now: Timestamp) -> Verdict {
        if &self.claim == mine {
            return Verdict::Run;
        }
        if !same_request {
            return Verdict::KeyReused;
        }
        match &self.state {
            RecordState::Completed { answer } => Verdict::Replay(answer.clone()),
            RecordState::InProgress { until } => {
                let left = if *until > now { until.since(now) } else { Duration::ZERO };
                Verdict::InProgress { retry_after: left.clamp(IN_PROGRESS_WAIT.0, IN_PROGRESS_WAIT.1) }
            }
        }
    }
}

/// What happens to the record once the request under it has been answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The answer is final and replayed to every retry (successes and client errors).
    Keep,
    /// The answer says "not now" (a dependency failed, a limit refused, a conflict) or is our own
    /// fault: the claim is released, so a retry is judged afresh.
    Release,
}

impl Settlement {
    /// By the answer's HTTP-like status class, which is how the draft states the rule.
    pub fn for_status(status: u16) -> Self {
        match status {
            200..=299 => Self::Keep,
            409 | 429 => Self::Release,
            400..=499 => Self::Keep,
            _ => Self::Release,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_millis(seconds * 1000)
    }

    fn record(claim: &str, state: RecordState) -> ExistingRecord {
        ExistingRecord {
            claim: ClaimId(claim.into()),
            fingerprint: Fingerprint("f".into()),
            state,
            expires_at: at(100_000),
        }
    }

    #[test]
    fn a_completed_record_of_the_same_request_is_replayed() {
        let answer = SealedAnswer(b"stored".to_vec());
        let existing = record("first", RecordState::Completed { answer: answer.clone() });

        assert_eq!(existing.verdict(&ClaimId("retry".into()), true, at(10)), Verdict::Replay(answer));
    }

    #[test]
    fn the_same_key_with_another_request_is_refused_whatever_the_first_ones_state() {
        let running = record("first", RecordState::InProgress { until: at(20) });
        let done = record("first", RecordState::Completed { answer: SealedAnswer(Vec::new()) });

        assert_eq!(running.verdict(&ClaimId("other".into()), false, at(10)), Verdict::KeyReused);
        assert_eq!(done.verdict(&ClaimId("other".into()), false, at(10)), Verdict::KeyReused);
    }

    #[test]
    fn a_request_meeting_a_running_one_waits_one_to_two_seconds() {
        let running = record("first", RecordState::InProgress { until: at(100) });
        let ending = record("first", RecordState::InProgress { until: at(10) });

        let long = running.verdict(&ClaimId("retry".into()), true, at(10));
        let short = ending.verdict(&ClaimId("retry".into()), true, at(10));

        assert_eq!(long, Verdict::InProgress { retry_after: Duration::from_secs(2) });
        assert_eq!(short, Verdict::InProgress { retry_after: Duration::from_secs(1) });
    }

    #[test]
    fn a_record_our_own_write_completed_lets_the_request_finish() {
        let ours = record("mine", RecordState::Completed { answer: SealedAnswer(Vec::new()) });

        assert_eq!(ours.verdict(&ClaimId("mine".into()), true, at(10)), Verdict::Run);
    }

    #[test]
    fn successes_and_client_errors_are_kept_but_not_now_answers_are_released() {
        for kept in [200, 201, 204, 400, 401, 403, 404, 413, 422] {
            assert_eq!(Settlement::for_status(kept), Settlement::Keep, "{kept}");
        }
        for released in [409, 429, 500, 503] {
            assert_eq!(Settlement::for_status(released), Settlement::Release, "{released}");
        }
    }
}
