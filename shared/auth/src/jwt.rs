//! JSON Web Tokens (HS256) through the `jsonwebtoken` crate: the de-facto standard JWT library of
//! the Rust ecosystem, with strict validation of `exp` and of the algorithm built in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::{TokenIssuer, TokenRejection, TokenVerifier};
use conduit_domain::values::{Session, SessionGeneration, UserId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::signing_keys::{KeyError, SigningKeySource};

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    iat: u64,
    exp: u64,
    /// The account's session generation when issued. Tokens from before generations existed
    /// carry none and count as the first.
    #[serde(default, rename = "gen")]
    generation: u32,
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

    #[tokio::test]
    async fn a_token_issued_before_generations_existed_is_of_the_first_generation() {
        let key = SigningKey::generate("k1");
        let jwt = service_with(&key, None, Duration::from_secs(60));
        let user = UserId::generate();
        let claims =
            serde_json::json!({ "sub": user.to_string(), "iss": "conduit", "iat": unix_now(), "exp": unix_now() + 60 });
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let legacy = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.secret())).expect("encoded");

        let verified = jwt.verify(&legacy).await.expect("verified");

        assert_eq!(verified.session, Session { user, generation: SessionGeneration::FIRST });
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
