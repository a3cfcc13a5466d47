use std::future::Future;

use crate::error::InfrastructureError;
use crate::idempotency::{Claim, ClaimId, ClaimOutcome, Completion, Fingerprint, RecordKey, SealedAnswer};
use crate::ports::StoreError;

/// Where idempotency records live. The completion of a write that succeeds is committed by the
/// write itself (see [`Completion`]); these calls cover the rest of a record's life.
pub trait IdempotencyRecords: Send + Sync {
    /// Takes the record for a new attempt unless a live one stands (a completed record before its
    /// expiry, or a claim whose attempt may still be running), which is returned instead, in the
    /// same round trip.
    fn claim(&self, claim: &Claim) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;

    /// Completes a claim with an answer that no write carried (a refusal, an edit that changed
    /// nothing). Does nothing if the claim is no longer held in progress.
    fn complete(&self, completion: &Completion) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Gives up a claim so a retry runs afresh: `true`. `false`, and nothing changes, when the
    /// claim was completed meanwhile (its write committed even though its answer was lost) or
    /// taken by another attempt.
    fn release(&self, record: &RecordKey, claim: &ClaimId) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes this claim's record even if its write completed it: for an attempt known to have
    /// failed after its write, whose stored answer would tell a retry what did not happen.
    fn withdraw(&self, record: &RecordKey, claim: &ClaimId) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The secrets of idempotency: the keyed MAC that fingerprints a request, and the sealing of a
/// stored answer, which may carry a token and is therefore a credential at rest.
pub trait IdempotencySecrets: Send + Sync {
    type Keys: IdempotencyKeys;

    /// The keys in use now (and those still accepted), fetched once and cached by the adapter.
    fn keys(&self) -> impl Future<Output = Result<Self::Keys, InfrastructureError>> + Send;
}

/// Keys in hand: every operation is then local and synchronous, so a write can seal its answer
/// while it builds its transaction.
pub trait IdempotencyKeys: Send + Sync + 'static {
    /// The record a request's (scope, route, key) names: an unkeyed digest, so the same request
    /// names the same record across a key rotation.
    fn record_key(&self, parts: &[&[u8]]) -> RecordKey;

    /// The fingerprint of a request's parts under the current key.
    fn fingerprint(&self, parts: &[&[u8]]) -> Fingerprint;

    /// Whether `stored` fingerprints the same parts, under whichever key made it.
    fn same_request(&self, stored: &Fingerprint, parts: &[&[u8]]) -> bool;

    /// Encrypts an answer for the record it belongs to (it opens under no other record).
    fn seal(&self, record: &RecordKey, answer: &[u8]) -> Result<SealedAnswer, InfrastructureError>;

    fn open(&self, record: &RecordKey, sealed: &SealedAnswer) -> Result<Vec<u8>, InfrastructureError>;
}
