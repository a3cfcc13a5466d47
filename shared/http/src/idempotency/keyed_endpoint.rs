//! The `Idempotency-Key` protocol around an endpoint whose write is not idempotent by itself.
//!
//! A keyed request claims its record while its handler starts (the claim is one conditional
//! write, sent alongside the handler's first read, so the key costs no extra round trip), and the
//! handler's write commits the record completed with its answer in the same transaction. A record
//! that stands decides what the request gets instead: the stored answer, a 409 while the first
//! request runs, or a 422 for a key reused with another request; the handler is then dropped, and
//! its write, should it have been sent, is refused by the record's condition.

use std::future::Future;
use std::sync::Arc;

use conduit_domain::idempotency::{Claim, ClaimId, ClaimOutcome, IdempotencySettings, Settlement, Verdict};
use conduit_domain::ports::{IdempotencyKeys, IdempotencyRecords, IdempotencySecrets, StoreError};
use conduit_domain::values::Timestamp;
use conduit_telemetry::capacity::{self, CapacityUsage};
use conduit_telemetry::metrics::BusinessEvent;
use conduit_telemetry::process::ErrorChain;
use lambda_http::http::header::HeaderValue;
use lambda_http::{Body, Request, RequestExt, Response};

use super::receipt::Receipt;
use super::{REPLAYED_HEADER, key_header, stored_answer};
use crate::request::{client_source, request_id};
use crate::{ApiError, Endpoint, auth};

/// Whom a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// The authenticated caller: the route sits behind the authorizer.
    Caller,
    /// The connecting source address as API Gateway saw it: a route anyone may call.
    Source,
}

/// An endpoint whose write takes an `Idempotency-Key`. Its handler passes
/// [`Receipt::answer`] to the use case, so the write commits the answer with the effect.
pub trait KeyedEndpoint: Send + Sync + 'static {
    const BUSINESS_EVENT: Option<BusinessEvent> = None;
    const PRIVATE: bool = false;
    const SCOPE: KeyScope;
    /// Whether the write may revoke the token that made it (a new password or e-mail, signing out
    /// everywhere): a retry then gets the stored answer only while its token is still current.
    const REVOKES_OWN_TOKEN: bool = false;

    fn handle(
        &self,
        request: Request,
        receipt: &Receipt,
    ) -> impl Future<Output = Result<Response<Body>, ApiError>> + Send;
}

/// `E` behind the `Idempotency-Key` protocol, with its records in `R` and its secrets from `S`.
pub struct Idempotent<E, R, S> {
    endpoint: E,
    records: R,
    secrets: S,
    settings: IdempotencySettings,
}

impl<E, R, S> Idempotent<E, R, S> {
    pub fn new(endpoint: E, records: R, secrets: S, settings: IdempotencySettings) -> Self {
        Self { endpoint, records, secrets, settings }
    }
}

/// Whichever of the claim and the handler finished first.
enum First<C, H> {
    Claim(C),
    Handler(H),
}

impl<E, R, S> Endpoint for Idempotent<E, R, S>
where
    E: KeyedEndpoint,
    R: IdempotencyRecords + 'static,
    S: IdempotencySecrets + 'static,
{
    const BUSINESS_EVENT: Option<BusinessEvent> = E::BUSINESS_EVENT;
    const PRIVATE: bool = E::PRIVATE;

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let Some(key) = key_header::key_of(&request)? else {
            return self.endpoint.handle(request, &Receipt::unkeyed()).await;
        };
        let scope = match E::SCOPE {
            KeyScope::Caller => auth::require_caller(&request)?.user_id.to_string(),
            KeyScope::Source => client_source(&request).as_str().to_owned(),
        };
        let keys: Arc<dyn IdempotencyKeys> = Arc::new(self.secrets.keys().await?);
        let route = route_of(&request);
        let path = request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |p| p.to_string());
        let method = request.method().as_str().to_owned();
        let body = request.body().as_ref().to_vec();
        let parts: [&[u8]; 4] = [method.as_bytes(), path.as_bytes(), scope.as_bytes(), &body];
        let now = Timestamp::now();
        let claim = Claim {
            record: keys.record_key(&[scope.as_bytes(), route.as_bytes(), key.as_str().as_bytes()]),
            claim: ClaimId::generate(),
            fingerprint: keys.fingerprint(&parts),
            now,
            in_progress_until: invocation_deadline(&request).unwrap_or(now.plus(self.settings.claim_without_deadline)),
            expires_at: now.plus(self.settings.expiry),
        };
        let id = request_id(&request);
        let receipt = Receipt::keyed(claim.clone(), Arc::clone(&keys));

        // Each measured apart: the claim, sent beside the handler's first call, must not make two
        // sequential calls of the handler look like one round trip (see `count_beside`).
        let mut claiming = std::pin::pin!(capacity::measure_apart(self.records.claim(&claim)));
        let mut handling = std::pin::pin!(capacity::measure_apart(self.endpoint.handle(request, &receipt)));
        // Biased to the claim: when both have news, the verdict comes first, so a request that
        // is to be replayed or refused stops its handler as early as it can.
        let first = tokio::select! {
            biased;
            claimed = &mut claiming => First::Claim(claimed),
            outcome = &mut handling => First::Handler(outcome),
        };
        let ((claimed, claim_usage), finished) = match first {
            First::Claim(claimed) => (claimed, None),
            First::Handler(outcome) => (claiming.await, Some(outcome)),
        };
        let verdict = match claimed {
            Ok(ClaimOutcome::Claimed) => Verdict::Run,
            Ok(ClaimOutcome::Exists(record)) => {
                record.verdict(&claim.claim, keys.same_request(&record.fingerprint, &parts), now)
            }
            // No claim could be made (DynamoDB busy): the handler still runs, and its write's
            // completion condition keeps the key's one effect.
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), "idempotency claim failed");
                Verdict::Run
            }
        };
        match verdict {
            Verdict::Run => {
                let (outcome, usage) = match finished {
                    Some(done) => done,
                    None => handling.await,
                };
                count_beside(claim_usage, usage);
                self.settle(&claim, keys.as_ref(), &receipt, outcome, &id).await
            }
            Verdict::KeyReused => {
                count_beside(claim_usage, CapacityUsage::default());
                Err(ApiError::IdempotencyKeyReused)
            }
            Verdict::InProgress { retry_after } => {
                count_beside(claim_usage, CapacityUsage::default());
                Err(ApiError::IdempotencyKeyInUse { retry_after })
            }
            Verdict::Replay(sealed) => {
                if E::REVOKES_OWN_TOKEN {
                    // The handler checks the caller's session first: a token the first request
                    // revoked gets its 401, never the answer (which may carry the new token).
                    let (outcome, usage) = match finished {
                        Some(done) => done,
                        None => handling.await,
                    };
                    count_beside(claim_usage, usage);
                    if let Err(refusal @ ApiError::Unauthorized(_)) = outcome {
                        return Err(refusal);
                    }
                } else {
                    count_beside(claim_usage, CapacityUsage::default());
                }
                let stored = keys.open(&claim.record, &sealed)?;
                let mut response = stored_answer::decode(&stored)
                    .ok_or_else(|| ApiError::Internal("a stored idempotent answer cannot be read back".into()))?;
                response.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
                Ok(response)
            }
        }
    }
}

impl<E, R, S> Idempotent<E, R, S>
where
    E: KeyedEndpoint,
    R: IdempotencyRecords,
    S: IdempotencySecrets,
{
    /// Keeps the answer for every retry, or releases the claim so a retry runs afresh (see
    /// [`Settlement`]). A failure here changes nothing the client gets: an answer that could not
    /// be stored leaves a claim that expires with the invocation.
    async fn settle(
        &self,
        claim: &Claim,
        keys: &dyn IdempotencyKeys,
        receipt: &Receipt,
        outcome: Result<Response<Body>, ApiError>,
        request_id: &str,
    ) -> Result<Response<Body>, ApiError> {
        let status = match &outcome {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.status().as_u16(),
        };
        let settled: Result<(), StoreError> = match Settlement::for_status(status) {
            Settlement::Release if failed_after_any_write(&outcome) => {
                self.records.withdraw(&claim.record, &claim.claim).await
            }
            Settlement::Release => match self.records.release(&claim.record, &claim.claim).await {
                Ok(false) => {
                    // Usually the write committed with its answer although this attempt failed
                    // after it (a reply lost, a deadline passed): a retry gets that answer.
                    tracing::info!(status, "idempotency claim not released: the record was completed or taken over");
                    Ok(())
                }
                other => other.map(drop),
            },
            Settlement::Keep => {
                let rendered = match &outcome {
                    Ok(response) => stored_answer::encode(response),
                    Err(error) => stored_answer::encode(&error.render(request_id)),
                };
                match rendered {
                    Some(stored) if !receipt.went_with_a_write(&stored) => match keys.seal(&claim.record, &stored) {
                        Ok(sealed) => self.records.complete(&claim.completed_with(sealed)).await,
                        Err(error) => Err(error.into()),
                    },
                    _ => Ok(()),
                }
            }
        };
        if let Err(error) = settled {
            tracing::warn!(error = %ErrorChain(&error), "idempotency record not settled");
        }
        outcome
    }
}

/// Counts a keyed request's DynamoDB usage: the handler's as it is, and the claim's units and
/// calls. The claim went out with the handler's first call, so it is a round trip of its own only
/// when the handler made none (a refusal before any read, or a handler dropped for a replay).
fn count_beside(claim: CapacityUsage, handler: CapacityUsage) {
    capacity::count(handler);
    let round_trips = if handler.round_trips == 0 { claim.round_trips } else { 0 };
    capacity::count(CapacityUsage { round_trips, ..claim });
}

/// Whether the request failed on a dependency that holds none of our writes (SES, Secrets
/// Manager). Such a failure happened before the write (nothing committed) or after it, as when a
/// reset mail cannot be sent once its link is stored: then the answer the write stored says
/// "done" for what was not, and the retry must run again rather than be told so. A failure of
/// DynamoDB itself or of the deadline may hide a write that did commit, and never withdraws it.
fn failed_after_any_write(outcome: &Result<Response<Body>, ApiError>) -> bool {
    matches!(outcome, Err(ApiError::Unavailable { dependency, .. })
        if *dependency != STORAGE_DEPENDENCY && *dependency != crate::REQUEST_DEADLINE)
}

/// The dependency name DynamoDB's outages are reported under (see `conduit_repository`).
const STORAGE_DEPENDENCY: &str = "DynamoDB";

/// The route the key is scoped to: API Gateway's route key, or the method and path of a request
/// that did not come through it.
fn route_of(request: &Request) -> String {
    match request.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    }
    .unwrap_or_else(|| format!("{} {}", request.method(), request.uri().path()))
}

/// When Lambda will stop this invocation, if it said.
fn invocation_deadline(request: &Request) -> Option<Timestamp> {
    let deadline_ms = request.lambda_context_ref().map_or(0, |context| context.deadline);
    i64::try_from(deadline_ms).ok().filter(|ms| *ms > 0).map(Timestamp::from_unix_millis)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use conduit_domain::error::InfrastructureError;
    use conduit_domain::idempotency::{
        Claim, ClaimId, ClaimOutcome, Completion, ExistingRecord, Fingerprint, RecordKey, RecordState, SealedAnswer,
    };
    use conduit_domain::ports::{IdempotencyKeys, IdempotencyRecords, IdempotencySecrets, StoreError};
    use lambda_http::{Body, Request, Response, http};

    use super::*;
    use crate::response;

    /// Records in memory, with the conditions the DynamoDB adapter writes.
    #[derive(Clone, Default)]
    struct MemoryRecords(Arc<Mutex<HashMap<String, ExistingRecord>>>);

    impl MemoryRecords {
        /// What a write's transaction does with its completion.
        fn commit(&self, completion: &Completion) {
            let record = ExistingRecord {
                claim: completion.claim.clone(),
                fingerprint: completion.fingerprint.clone(),
                state: RecordState::Completed { answer: completion.answer.clone() },
                expires_at: completion.expires_at,
            };
            self.0.lock().expect("lock").insert(completion.record.0.clone(), record);
        }
    }

    impl IdempotencyRecords for MemoryRecords {
        async fn claim(&self, claim: &Claim) -> Result<ClaimOutcome, StoreError> {
            let mut records = self.0.lock().expect("lock");
            if let Some(existing) = records.get(&claim.record.0) {
                return Ok(ClaimOutcome::Exists(existing.clone()));
            }
            let record = ExistingRecord {
                claim: claim.claim.clone(),
                fingerprint: claim.fingerprint.clone(),
                state: RecordState::InProgress { until: claim.in_progress_until },
                expires_at: claim.expires_at,
            };
            records.insert(claim.record.0.clone(), record);
            Ok(ClaimOutcome::Claimed)
        }

        async fn complete(&self, completion: &Completion) -> Result<(), StoreError> {
            self.commit(completion);
            Ok(())
        }

        async fn release(&self, record: &RecordKey, claim: &ClaimId) -> Result<bool, StoreError> {
            let mut records = self.0.lock().expect("lock");
            let held = records
                .get(&record.0)
                .is_some_and(|found| &found.claim == claim && matches!(found.state, RecordState::InProgress { .. }));
            Ok(held && records.remove(&record.0).is_some())
        }

        async fn withdraw(&self, record: &RecordKey, claim: &ClaimId) -> Result<(), StoreError> {
            let mut records = self.0.lock().expect("lock");
            if records.get(&record.0).is_some_and(|found| &found.claim == claim) {
                records.remove(&record.0);
            }
            Ok(())
        }
    }

    /// Keys without secrets: fingerprints and sealed answers in the clear.
    struct PlainKeys;

    impl IdempotencyKeys for PlainKeys {
        fn record_key(&self, parts: &[&[u8]]) -> RecordKey {
            RecordKey(parts.iter().map(|part| String::from_utf8_lossy(part)).collect::<Vec<_>>().join("|"))
        }
        fn fingerprint(&self, parts: &[&[u8]]) -> Fingerprint {
            Fingerprint(self.record_key(parts).0)
        }
        fn same_request(&self, stored: &Fingerprint, parts: &[&[u8]]) -> bool {
            stored == &self.fingerprint(parts)
        }
        fn seal(&self, _: &RecordKey, answer: &[u8]) -> Result<SealedAnswer, InfrastructureError> {
            Ok(SealedAnswer(answer.to_vec()))
        }
        fn open(&self, _: &RecordKey, sealed: &SealedAnswer) -> Result<Vec<u8>, InfrastructureError> {
            Ok(sealed.0.clone())
        }
    }

    struct PlainSecrets;

    impl IdempotencySecrets for PlainSecrets {
        type Keys = PlainKeys;
        async fn keys(&self) -> Result<PlainKeys, InfrastructureError> {
            Ok(PlainKeys)
        }
    }

    /// A write that commits its answer and then fails on `dependency`, as a reset request whose
    /// link is stored fails when its mail cannot be sent.
    struct CommitsThenFails {
        records: MemoryRecords,
        dependency: &'static str,
        runs: AtomicUsize,
    }

    impl KeyedEndpoint for CommitsThenFails {
        const SCOPE: KeyScope = KeyScope::Source;

        async fn handle(&self, _: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            let answer = receipt.answer(|_: &()| response::created(&"done"));
            if let Some(completion) = answer.completion(&()) {
                self.records.commit(&completion);
            }
            Err(ApiError::Unavailable { dependency: self.dependency, cause: "down".into() })
        }
    }

    fn keyed_request() -> Request {
        http::Request::builder()
            .method("POST")
            .uri("/api/things")
            .header("idempotency-key", "k-1")
            .body(Body::from("{}"))
            .expect("request")
    }

    /// The endpoint failing on `dependency` after its write, sent twice under one key.
    async fn sent_twice(dependency: &'static str) -> (Vec<u16>, usize, bool) {
        let records = MemoryRecords::default();
        let endpoint = CommitsThenFails { records: records.clone(), dependency, runs: AtomicUsize::new(0) };
        let keyed = Idempotent::new(endpoint, records, PlainSecrets, IdempotencySettings::default());
        let mut statuses = Vec::new();
        let mut replayed = false;
        for _ in 0..2 {
            match keyed.handle(keyed_request()).await {
                Ok(answer) => {
                    statuses.push(answer.status().as_u16());
                    replayed = answer.headers().contains_key(REPLAYED_HEADER);
                }
                Err(error) => statuses.push(error.status().as_u16()),
            }
        }
        (statuses, keyed.endpoint.runs.load(Ordering::SeqCst), replayed)
    }

    #[tokio::test]
    async fn a_request_that_failed_on_another_dependency_after_its_write_runs_again_on_retry() {
        // When the write committed its answer and the mail after it could not be sent
        let (statuses, runs, _) = sent_twice("Amazon SES").await;

        // Then the stored answer is withdrawn: the retry runs (and here fails) again
        assert_eq!((statuses, runs), (vec![503, 503], 2));
    }

    #[tokio::test]
    async fn a_request_whose_storage_failed_after_its_write_is_answered_by_that_write_on_retry() {
        // When the write committed its answer but DynamoDB's reply was lost
        let (statuses, runs, replayed) = sent_twice("DynamoDB").await;

        // Then the retry gets the committed answer, and the write runs once
        assert_eq!((statuses, runs, replayed), (vec![503, 201], 1, true));
    }
}
