//! The keys that sign and verify tokens.
//!
//! In AWS the key is the value of a Secrets Manager secret and its key id (`kid`) is the secret's
//! version id. Rotation makes a new version `AWSCURRENT` and the old one `AWSPREVIOUS`: new tokens
//! are signed with the current key while tokens signed with the previous one keep verifying until
//! they expire. Each container caches both for a TTL, and looks again (at most once per
//! [`SecretsManagerKeys::MIN_REFRESH_INTERVAL`]) when a token names a key it does not know yet.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::get_secret_value::builders::GetSecretValueFluentBuilder;
use aws_sdk_secretsmanager::operation::get_secret_value::{GetSecretValueError, GetSecretValueOutput};
use conduit_aws::sending::Sending;
use conduit_aws::traced::traced;
use conduit_domain::error::InfrastructureError;
use conduit_telemetry::traces::attributes::AwsCall;
use tokio::sync::Mutex;

/// An HMAC key and its id. `Debug` never shows the key material.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub kid: String,
    secret: Arc<[u8]>,
}

impl SigningKey {
    /// HS256 wants at least as many key bytes as the hash has (RFC 7518 §3.2).
    pub const MIN_LENGTH: usize = 32;

    pub fn new(kid: impl Into<String>, secret: impl Into<Arc<[u8]>>) -> Result<Self, KeyError> {
        let secret = secret.into();
        if secret.len() < Self::MIN_LENGTH {
            return Err(KeyError::TooShort(secret.len()));
        }
        Ok(Self { kid: kid.into(), secret })
    }

    /// A random key for running without AWS (the local gateway); it lives as long as the process.
    pub fn generate(kid: impl Into<String>) -> Self {
        use argon2::password_hash::rand_core::{OsRng, RngCore};
        let mut secret = [0u8; 64];
        OsRng.fill_bytes(&mut secret);
        Self { kid: kid.into(), secret: Arc::from(secret.as_slice()) }
    }

    pub fn secret(&self) -> &[u8] {
        &self.secret
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("secret", &"<redacted>").finish()
    }
}

/// The key to sign with, and the older ones that may still verify.
#[derive(Debug, Clone)]
pub struct KeyRing {
    pub current: SigningKey,
    pub previous: Option<SigningKey>,
}

impl KeyRing {
    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        std::iter::once(&self.current).chain(&self.previous).find(|key| key.kid == kid)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading secret {secret_id} ({stage}) from Secrets Manager failed")]
    Fetch {
        secret_id: String,
        stage: &'static str,
        /// Secrets Manager was unreachable, too slow or throttling (see `conduit_aws::errors`).
        transient: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("secret {0} has no usable value (neither a string nor binary)")]
    Empty(String),
    #[error("signing key is {0} bytes; at least {min} are required", min = SigningKey::MIN_LENGTH)]
    TooShort(usize),
}

impl KeyError {
    /// The keys could not be read just now; the same request may well succeed shortly.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Fetch { transient: true, .. })
    }

    /// This failure as the domain sees it, while doing `operation`.
    pub fn into_infrastructure(self, operation: &'static str) -> InfrastructureError {
        if self.is_transient() {
            InfrastructureError::unavailable(operation, "Secrets Manager", self)
        } else {
            InfrastructureError::new(operation, self)
        }
    }
}

/// Where keys come from: Secrets Manager in AWS, a fixed ring when running locally.
#[derive(Clone, Debug)]
pub enum SigningKeySource {
    SecretsManager(Arc<SecretsManagerKeys>),
    Static(Arc<KeyRing>),
}

impl SigningKeySource {
    pub async fn key_ring(&self) -> Result<Arc<KeyRing>, KeyError> {
        match self {
            Self::SecretsManager(keys) => keys.key_ring().await,
            Self::Static(ring) => Ok(Arc::clone(ring)),
        }
    }

    /// The key a token names, refreshing the cache once if it is unknown (it may be brand new).
    pub async fn key_for(&self, kid: &str) -> Result<Option<SigningKey>, KeyError> {
        match self {
            Self::SecretsManager(keys) => keys.key_for(kid).await,
            Self::Static(ring) => Ok(ring.find(kid).cloned()),
        }
    }
}

#[derive(Debug)]
struct Cached {
    ring: Arc<KeyRing>,
    fetched_at: Instant,
}

/// Signing keys read from one Secrets Manager secret and cached per container.
#[derive(Debug)]
pub struct SecretsManagerKeys {
    client: Client,
    secret_id: String,
    ttl: Duration,
    min_refresh_interval: Duration,
    // A mutex rather than a read-write lock: it also makes concurrent misses fetch once, not N times.
    cache: Mutex<Option<Cached>>,
}

impl SecretsManagerKeys {
    /// Bounds how often tokens naming unknown keys (forged, or from a rotation this container has
    /// not seen) can make us call Secrets Manager.
    pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

    pub fn new(client: Client, secret_id: impl Into<String>, ttl: Duration) -> Self {
        Self {
            client,
            secret_id: secret_id.into(),
            ttl,
            min_refresh_interval: Self::DEFAULT_MIN_REFRESH_INTERVAL,
            cache: Mutex::new(None),
        }
    }

    pub fn with_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    pub async fn key_ring(&self) -> Result<Arc<KeyRing>, KeyError> {
        let mut cache = self.cache.lock().await;
        match cache.as_ref() {
            Some(cached) if cached.fetched_at.elapsed() < self.ttl => Ok(Arc::clone(&cached.ring)),
            _ => self.refresh(&mut cache).await,
        }
    }

    pub async fn key_for(&self, kid: &str) -> Result<Option<SigningKey>, KeyError> {
        let ring = self.key_ring().await?;
        if let Some(key) = ring.find(kid) {
            return Ok(Some(key.clone()));
        }
        let mut cache = self.cache.lock().await;
        let recently_fetched =
            cache.as_ref().is_some_and(|cached| cached.fetched_at.elapsed() < self.min_refresh_interval);
        if recently_fetched {
            return Ok(cache.as_ref().and_then(|cached| cached.ring.find(kid).cloned()));
        }
        Ok(self.refresh(&mut cache).await?.find(kid).cloned())
    }

    /// Fetches both stages. When Secrets Manager fails but an older ring is cached, that ring keeps
    /// serving (a rotation is rare; an outage should not log everybody out).
    async fn refresh(&self, cache: &mut Option<Cached>) -> Result<Arc<KeyRing>, KeyError> {
        let fetched = async {
            let current = self.fetch("AWSCURRENT").await?.ok_or_else(|| KeyError::Empty(self.secret_id.clone()))?;
            let previous = self.fetch("AWSPREVIOUS").await?;
            Ok::<_, KeyError>(KeyRing { current, previous })
        }
        .await;
        match (fetched, cache.as_mut()) {
            (Ok(ring), _) => {
                let ring = Arc::new(ring);
                *cache = Some(Cached { ring: Arc::clone(&ring), fetched_at: Instant::now() });
                Ok(ring)
            }
            (Err(error), Some(stale)) => {
                tracing::warn!(error = %error, "keeping cached signing keys after a failed refresh");
                stale.fetched_at = Instant::now();
                Ok(Arc::clone(&stale.ring))
            }
            (Err(error), None) => Err(error),
        }
    }

    /// One version stage; `None` when the secret has no version in that stage (never rotated).
    async fn fetch(&self, stage: &'static str) -> Result<Option<SigningKey>, KeyError> {
        let request = self.client.get_secret_value().secret_id(&self.secret_id).version_stage(stage);
        // A missing AWSPREVIOUS version is an expected answer, not a failure.
        let not_found = |error: &SdkError<GetSecretValueError>| {
            matches!(error.as_service_error(), Some(GetSecretValueError::ResourceNotFoundException(_)))
        };
        let response = traced(AwsCall::start("SecretsManager", "GetSecretValue"), send_boxed(request), not_found).await;
        let output = match response {
            Ok(output) => output,
            Err(error)
                if stage != "AWSCURRENT"
                    && matches!(error.as_service_error(), Some(GetSecretValueError::ResourceNotFoundException(_))) =>
            {
                return Ok(None);
            }
            Err(error) => {
                let transient = conduit_aws::errors::is_transient(&error);
                return Err(KeyError::Fetch {
                    secret_id: self.secret_id.clone(),
                    stage,
                    transient,
                    source: Box::new(error),
                });
            }
        };
        let kid = output.version_id().unwrap_or(stage).to_owned();
        let secret: Arc<[u8]> = match (output.secret_string(), output.secret_binary()) {
            (Some(text), _) => Arc::from(text.as_bytes()),
            (None, Some(binary)) => Arc::from(binary.as_ref()),
            (None, None) => return Err(KeyError::Empty(self.secret_id.clone())),
        };
        SigningKey::new(kid, secret).map(Some)
    }
}

/// `send()` compiled in this crate, not in each binary (see `conduit_aws::sending`).
pub(crate) fn send_boxed(request: GetSecretValueFluentBuilder) -> Sending<GetSecretValueOutput, GetSecretValueError> {
    Box::pin(request.send())
}
