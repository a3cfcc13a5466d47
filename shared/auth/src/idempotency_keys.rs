//! The secrets of idempotency records, derived from the token-signing key so they need no secret of
//! their own and rotate with it: a keyed MAC (HMAC-SHA256) fingerprints a request, and AES-256-GCM
//! seals a stored answer, bound to its record. Each output names the key id it was made with, so a
//! record made before a rotation still verifies and opens while that key is kept as the previous.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hmac;
use conduit_domain::error::InfrastructureError;
use conduit_domain::idempotency::{Fingerprint, RecordKey, SealedAnswer};
use conduit_domain::ports::{IdempotencyKeys, IdempotencySecrets};

use crate::signing_keys::{KeyRing, SigningKey, SigningKeySource};

/// Purpose labels: one derived key per use, so a MAC can never stand in for a ciphertext key.
const FINGERPRINT_PURPOSE: &[u8] = b"conduit idempotency fingerprint v1";
const SEAL_PURPOSE: &[u8] = b"conduit idempotency answer seal v1";

#[derive(Clone, Debug)]
pub struct SigningKeyIdempotency {
    source: SigningKeySource,
}

impl SigningKeyIdempotency {
    pub fn new(source: SigningKeySource) -> Self {
        Self { source }
    }
}

impl IdempotencySecrets for SigningKeyIdempotency {
    type Keys = IdempotencyKeyRing;

    async fn keys(&self) -> Result<IdempotencyKeyRing, InfrastructureError> {
        let ring = self.source.key_ring().await.map_err(|error| error.into_infrastructure("idempotency keys"))?;
        Ok(IdempotencyKeyRing { ring })
    }
}

/// The signing keys in hand, from which each operation derives its own key.
#[derive(Clone, Debug)]
pub struct IdempotencyKeyRing {
    ring: Arc<KeyRing>,
}

fn derived(key: &SigningKey, purpose: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key.secret()), purpose)
}

/// The MAC of `parts`, each length-prefixed so no two different splits of the same bytes meet.
fn mac(key: &SigningKey, parts: &[&[u8]]) -> hmac::Tag {
    let mac_key = hmac::Key::new(hmac::HMAC_SHA256, derived(key, FINGERPRINT_PURPOSE).as_ref());
    let mut context = hmac::Context::with_key(&mac_key);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    context.sign()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn sealing_key(key: &SigningKey) -> Result<LessSafeKey, InfrastructureError> {
    let unbound = UnboundKey::new(&AES_256_GCM, derived(key, SEAL_PURPOSE).as_ref())
        .map_err(|_| InfrastructureError::new("idempotency answer sealing", "the derived key was refused"))?;
    Ok(LessSafeKey::new(unbound))
}

impl IdempotencyKeyRing {
    fn key(&self, kid: &str) -> Result<&SigningKey, InfrastructureError> {
        self.ring.find(kid).ok_or_else(|| {
            InfrastructureError::new("idempotency answer opening", format!("key {kid} is no longer in the ring"))
        })
    }
}

impl IdempotencyKeys for IdempotencyKeyRing {
    fn record_key(&self, parts: &[&[u8]]) -> RecordKey {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        RecordKey(hex(context.finish().as_ref()))
    }

    fn fingerprint(&self, parts: &[&[u8]]) -> Fingerprint {
        let current = &self.ring.current;
        Fingerprint(format!("{}:{}", current.kid, hex(mac(current, parts).as_ref())))
    }

    fn same_request(&self, stored: &Fingerprint, parts: &[&[u8]]) -> bool {
        let Some((kid, _)) = stored.0.split_once(':') else { return false };
        let Some(key) = self.ring.find(kid) else { return false };
        let expected = format!("{kid}:{}", hex(mac(key, parts).as_ref()));
        // Compared in constant time, though a fingerprint is no secret the client could probe.
        aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), stored.0.as_bytes()).is_ok()
    }

    /// `kid length (1 byte) | kid | nonce | ciphertext and tag`, the record key as associated data.
    fn seal(&self, record: &RecordKey, answer: &[u8]) -> Result<SealedAnswer, InfrastructureError> {
        let current = &self.ring.current;
        let kid = current.kid.as_bytes();
        let kid_length = u8::try_from(kid.len())
            .map_err(|_| InfrastructureError::new("idempotency answer sealing", "the key id is too long"))?;
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| InfrastructureError::new("idempotency answer sealing", "no random nonce"))?;
        let mut sealed = answer.to_vec();
        sealing_key(current)?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(record.0.as_bytes()), &mut sealed)
            .map_err(|_| InfrastructureError::new("idempotency answer sealing", "encryption failed"))?;
        let mut out = Vec::with_capacity(1 + kid.len() + NONCE_LEN + sealed.len());
        out.push(kid_length);
        out.extend_from_slice(kid);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(SealedAnswer(out))
    }

    fn open(&self, record: &RecordKey, sealed: &SealedAnswer) -> Result<Vec<u8>, InfrastructureError> {
        let malformed = || InfrastructureError::new("idempotency answer opening", "the sealed answer is malformed");
        let (&kid_length, rest) = sealed.0.split_first().ok_or_else(malformed)?;
        let (kid, rest) = rest.split_at_checked(usize::from(kid_length)).ok_or_else(malformed)?;
        let (nonce, ciphertext) = rest.split_at_checked(NONCE_LEN).ok_or_else(malformed)?;
        let kid = std::str::from_utf8(kid).map_err(|_| malformed())?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| malformed())?;
        let mut opened = ciphertext.to_vec();
        let plain = sealing_key(self.key(kid)?)?
            .open_in_place(nonce, Aad::from(record.0.as_bytes()), &mut opened)
            .map_err(|_| InfrastructureError::new("idempotency answer opening", "the answer does not authenticate"))?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(kid: &str) -> IdempotencyKeyRing {
        IdempotencyKeyRing { ring: Arc::new(KeyRing { current: SigningKey::generate(kid), previous: None }) }
    }

    #[test]
    fn the_same_parts_fingerprint_alike_and_any_change_differs() {
        let keys = ring("v1");
        let first = keys.fingerprint(&[b"POST", b"/api/articles", b"{\"a\":1}"]);

        assert!(keys.same_request(&first, &[b"POST", b"/api/articles", b"{\"a\":1}"]));
        assert!(!keys.same_request(&first, &[b"POST", b"/api/articles", b"{\"a\":2}"]));
        // Moving bytes from one part to the next is another request too.
        assert!(!keys.same_request(&first, &[b"POST", b"/api/articles{", b"\"a\":1}"]));
    }

    #[test]
    fn a_fingerprint_is_a_keyed_mac_that_another_key_cannot_reproduce() {
        let parts: [&[u8]; 2] = [b"POST", b"{\"password\":\"hunter22\"}"];

        let mine = ring("v1").fingerprint(&parts);
        let theirs = ring("v1").fingerprint(&parts);

        assert_ne!(mine, theirs);
        assert!(!mine.0.contains("hunter22"));
    }

    #[test]
    fn a_sealed_answer_opens_for_its_record_only_and_hides_its_content() {
        let keys = ring("v1");
        let record = RecordKey("record-1".into());
        let answer = br#"{"user":{"token":"eyJ..."}}"#;

        let sealed = keys.seal(&record, answer).expect("sealed");

        assert!(!sealed.0.windows(5).any(|window| window == b"token"));
        assert_eq!(keys.open(&record, &sealed).expect("opened"), answer.to_vec());
        assert!(keys.open(&RecordKey("record-2".into()), &sealed).is_err());
    }

    #[test]
    fn an_answer_sealed_before_a_rotation_opens_with_the_previous_key() {
        let old = SigningKey::generate("v1");
        let before = IdempotencyKeyRing { ring: Arc::new(KeyRing { current: old.clone(), previous: None }) };
        let after =
            IdempotencyKeyRing { ring: Arc::new(KeyRing { current: SigningKey::generate("v2"), previous: Some(old) }) };
        let record = RecordKey("record-1".into());
        let parts: [&[u8]; 1] = [b"body"];

        let sealed = before.seal(&record, b"answer").expect("sealed");
        let fingerprint = before.fingerprint(&parts);

        assert_eq!(after.open(&record, &sealed).expect("opened"), b"answer".to_vec());
        assert!(after.same_request(&fingerprint, &parts));
    }
}
