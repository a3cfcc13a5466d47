//! JSON Web Tokens (HS256) through the `jsonwebtoken` crate: the de-facto standard JWT library of
//! the Rust ecosystem, with strict validation of `exp` and of the algorithm built in. It does not
//! check `iat`, so the start of a token's validity (`iat`, and `nbf` when present) is checked here.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::{TokenIssuer, TokenRejection, TokenVerifier};
use conduit_domain::values::{Session, SessionGeneration, UserId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::signing_keys::{KeyError, SigningKeySource};

/// How far ahead of this machine's clock a token's `iat` or `nbf` may be: the clocks of the
/// containers that issue and verify drift a little apart. `exp` gets no such allowance: a token
/// ends when it says.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    /// Required: every token this service issues carries it.
    iat: u64,
    exp: u64,
    /// Never issued here; honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
    /// The account's session generation when issued. Tokens from before generations existed
    /// carry none and count as the first.
    #[serde(default, rename = "gen")]
    generation: u32,
}

impl Claims {
    /// When the token starts to count: when it was issued, or its `nbf` if that is later.
    fn valid_from(&self) -> u64 {
        self.nbf.map_or(self.iat, |not_before| not_before.max(self.iat))
    }
}

/// A token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub session: Session,
    pub expires_at: u64,
}

/// Why a token was refused. Everything but `Keys` is the client's fault (401).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token has expired")]
    Expired,
    #[error("token is signed with an unknown key")]
    UnknownKey,
    #[error("token signature or claims are invalid")]
    Invalid,
    #[error("signing keys are unavailable")]
    Keys(#[from] KeyError),
}

#[derive(Clone, Debug)]
pub struct JwtService {
    keys: SigningKeySource,
    lifetime: Duration,
}

impl JwtService {
    pub const ISSUER: &'static str = "conduit";

    pub fn new(keys: SigningKeySource, lifetime: Duration) -> Self {
        Self { keys, lifetime }
    }

    pub async fn issue_for(&self, session: Session) -> Result<String, TokenError> {
        let ring = self.keys.key_ring().await?;
        let now = unix_now();
        let claims = Claims {
            sub: session.user.to_string(),
            iss: Self::ISSUER.to_owned(),
            iat: now,
            exp: now + self.lifetime.as_secs(),
            nbf: None,
            generation: session.generation.value(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(ring.current.kid.clone());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(ring.current.secret()))
            .map_err(|_| TokenError::Invalid)
    }

    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.key_for(&kid).await?.ok_or(TokenError::UnknownKey)?;

        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[Self::ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(key.secret()), &validation)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                    TokenError::Malformed
                }
                _ => TokenError::Invalid,
            })?;
        if data.claims.valid_from() > unix_now() + CLOCK_SKEW.as_secs() {
            return Err(TokenError::Invalid);
        }
        let user = UserId::parse(&data.claims.sub).map_err(|_| TokenError::Invalid)?;
        let session = Session { user, generation: SessionGeneration::from_stored(data.claims.generation) };
        Ok(VerifiedToken { session, expires_at: data.claims.exp })
    }
}

impl TokenIssuer for JwtService {
    async fn issue(&self, session: Session) -> Result<String, InfrastructureError> {
        self.issue_for(session).await.map_err(|error| match error {
            TokenError::Keys(keys) => keys.into_infrastructure("issuing a token"),
            other => InfrastructureError::new("issuing a token", other),
        })
    }
}

impl TokenVerifier for JwtService {
    async fn verify(&self, token: &str) -> Result<Session, TokenRejection> {
        match JwtService::verify(self, token).await {
            Ok(verified) => Ok(verified.session),
            Err(TokenError::Expired) => Err(TokenRejection::Expired),
            Err(TokenError::Malformed | TokenError::Invalid | TokenError::UnknownKey) => Err(TokenRejection::Invalid),
            Err(TokenError::Keys(keys)) => {
                Err(TokenRejection::Unavailable(keys.into_infrastructure("verifying a token")))
            }
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::signing_keys::{KeyRing, SigningKey};

    fn service_with(current: &SigningKey, previous: Option<&SigningKey>, lifetime: Duration) -> JwtService {
        let ring = KeyRing { current: current.clone(), previous: previous.cloned() };
        JwtService::new(SigningKeySource::Static(Arc::new(ring)), lifetime)
    }

    fn any_session() -> Session {
        Session { user: UserId::generate(), generation: SessionGeneration::FIRST }
    }

    #[tokio::test]
    async fn an_issued_token_verifies_to_its_session() {
        let jwt = service_with(&SigningKey::generate("k1"), None, Duration::from_secs(60));
        let session = Session { user: UserId::generate(), generation: SessionGeneration::FIRST.next() };

        let token = jwt.issue_for(session).await.expect("issued");

        assert_eq!(jwt.verify(&token).await.expect("verified").session, session);
    }

    #[tokio::test]
    async fn tokens_of_the_previous_key_still_verify_after_rotation() {
        let (old, new) = (SigningKey::generate("old"), SigningKey::generate("new"));
        let before = service_with(&old, None, Duration::from_secs(60));
        let token = before.issue_for(any_session()).await.expect("issued");

        let after = service_with(&new, Some(&old), Duration::from_secs(60));

        assert!(after.verify(&token).await.is_ok());
        let forgotten = service_with(&new, None, Duration::from_secs(60));
        assert!(matches!(forgotten.verify(&token).await, Err(TokenError::UnknownKey)));
    }

    #[tokio::test]
    async fn expired_tampered_foreign_and_garbage_tokens_are_refused() {
        let key = SigningKey::generate("k1");
        let expired = service_with(&key, None, Duration::ZERO).issue_for(any_session()).await.expect("issued");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let valid = jwt.issue_for(any_session()).await.expect("issued");
        let tampered = format!("{}x", &valid[..valid.len() - 1]);
        let foreign = service_with(&SigningKey::generate("k1"), None, Duration::from_secs(60))
            .issue_for(any_session())
            .await
            .expect("issued");
        tokio::time::sleep(Duration::from_millis(1100)).await;

        assert!(matches!(jwt.verify(&expired).await, Err(TokenError::Expired)));
        assert!(matches!(jwt.verify(&tampered).await, Err(TokenError::Invalid | TokenError::Malformed)));
        assert!(matches!(jwt.verify(&foreign).await, Err(TokenError::Invalid)));
        assert!(matches!(jwt.verify("not.a.token").await, Err(TokenError::Malformed)));
        assert!(matches!(jwt.verify("").await, Err(TokenError::Malformed)));
    }

    /// A token with exactly `claims`, signed with `key` as this service signs.
    fn signed(key: &SigningKey, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key.secret())).expect("encoded")
    }

    /// The claims this service issues for `user` at `iat`, valid for a minute from now.
    fn claims_issued_at(user: UserId, iat: u64) -> serde_json::Value {
        serde_json::json!({ "sub": user.to_string(), "iss": "conduit", "iat": iat, "exp": unix_now() + 60 })
    }

    #[tokio::test]
    async fn a_token_issued_before_generations_existed_is_of_the_first_generation() {
        let key = SigningKey::generate("k1");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let user = UserId::generate();
        let legacy = signed(&key, &claims_issued_at(user, unix_now()));

        let verified = jwt.verify(&legacy).await.expect("verified");

        assert_eq!(verified.session, Session { user, generation: SessionGeneration::FIRST });
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_beyond_the_clock_skew_is_refused_as_invalid() {
        // Given a token whose issuer's clock runs ahead, once a little and once too far.
        let key = SigningKey::generate("k1");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let user = UserId::generate();
        let skew = CLOCK_SKEW.as_secs();
        let slightly_ahead = signed(&key, &claims_issued_at(user, unix_now() + skew / 2));
        let from_the_future = signed(&key, &claims_issued_at(user, unix_now() + skew + 30));

        // When each is verified, then only the one within the clock skew is accepted.
        assert!(TokenVerifier::verify(&jwt, &slightly_ahead).await.is_ok());
        assert!(matches!(TokenVerifier::verify(&jwt, &from_the_future).await, Err(TokenRejection::Invalid)));
    }

    #[tokio::test]
    async fn a_token_without_iat_is_refused_as_invalid() {
        // Given a well-signed token that says nothing of when it was issued.
        let key = SigningKey::generate("k1");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let mut claims = claims_issued_at(UserId::generate(), unix_now());
        claims.as_object_mut().expect("claims").remove("iat");

        // When it is verified, then it is refused.
        assert!(matches!(TokenVerifier::verify(&jwt, &signed(&key, &claims)).await, Err(TokenRejection::Invalid)));
    }

    #[tokio::test]
    async fn a_token_is_refused_as_invalid_before_its_nbf_and_accepted_after_it() {
        // Given two well-signed tokens issued now, one valid only from later, one from earlier.
        let key = SigningKey::generate("k1");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let user = UserId::generate();
        let with_nbf = |nbf: u64| {
            let mut claims = claims_issued_at(user, unix_now());
            claims["nbf"] = nbf.into();
            signed(&key, &claims)
        };
        let not_yet = with_nbf(unix_now() + CLOCK_SKEW.as_secs() + 30);
        let already = with_nbf(unix_now() - 30);

        // When each is verified, then the one not valid yet is refused and the other accepted.
        assert!(matches!(TokenVerifier::verify(&jwt, &not_yet).await, Err(TokenRejection::Invalid)));
        assert_eq!(
            TokenVerifier::verify(&jwt, &already).await.ok(),
            Some(Session { user, generation: SessionGeneration::FIRST })
        );
    }

    #[tokio::test]
    async fn an_unsigned_token_is_refused() {
        let jwt = service_with(&SigningKey::generate("k1"), None, Duration::from_secs(60));
        // {"alg":"none","kid":"k1"} . {"sub":...} . (no signature)
        let unsigned =
            "eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.eyJzdWIiOiIwMUhaWFoiLCJpc3MiOiJjb25kdWl0IiwiZXhwIjo5OTk5OTk5OTk5fQ.";

        assert!(jwt.verify(unsigned).await.is_err());
    }
}
