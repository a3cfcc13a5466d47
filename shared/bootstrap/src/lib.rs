//! Builds the adapters a function needs from its environment, once per container (at cold start,
//! outside the handler). Each accessor builds only its own client, so a function that never signs
//! a token never creates a Secrets Manager client.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use conduit_auth::{SecretsManagerKeys, SigningKeySource};
use conduit_repository::Table;

pub mod aws_call_log;
mod aws_clients;

// The concrete adapters, re-exported so function crates name them without depending on each
// adapter crate.
pub use conduit_auth::{Argon2Hasher, JwtService, KeyRing, SigningKey, TokenError, VerifiedToken};
pub use conduit_repository::{
    DynamoArticles, DynamoComments, DynamoFavorites, DynamoFollows, DynamoRelations, DynamoTags, DynamoUsers,
};

/// Environment variables a function reads (set by `template.yaml`).
pub mod variables {
    pub const TABLE_NAME: &str = "TABLE_NAME";
    pub const SIGNING_SECRET_ID: &str = "SIGNING_SECRET_ID";
    pub const TOKEN_LIFETIME_SECONDS: &str = "TOKEN_LIFETIME_SECONDS";
    pub const SIGNING_KEY_CACHE_SECONDS: &str = "SIGNING_KEY_CACHE_SECONDS";
}

const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
    #[error("environment variable {name} is not a whole number of seconds: {value:?}")]
    InvalidSeconds { name: &'static str, value: String },
    #[error("a document served by the API cannot be built: {0}")]
    Document(String),
}

#[derive(Clone, Debug)]
enum KeySettings {
    SecretsManager { secret_id: Option<String>, cache_ttl: Duration },
    Static(Arc<KeyRing>),
}

/// What a function's adapters are built from.
#[derive(Clone, Debug)]
pub struct Adapters {
    sdk: SdkConfig,
    table_name: String,
    keys: KeySettings,
    token_lifetime: Duration,
    /// One DynamoDB client per container, shared by every repository the function uses.
    table: OnceLock<Table>,
}

impl Adapters {
    /// The deployed configuration: AWS settings from the Lambda environment, names from variables.
    pub async fn from_env() -> Result<Self, StartupError> {
        let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Ok(Self {
            sdk,
            table_name: required(variables::TABLE_NAME)?,
            keys: KeySettings::SecretsManager {
                secret_id: std::env::var(variables::SIGNING_SECRET_ID).ok(),
                cache_ttl: seconds(variables::SIGNING_KEY_CACHE_SECONDS, DEFAULT_KEY_CACHE_TTL)?,
            },
            token_lifetime: seconds(variables::TOKEN_LIFETIME_SECONDS, DEFAULT_TOKEN_LIFETIME)?,
            table: OnceLock::new(),
        })
    }

    /// A configuration for running without AWS: the given AWS settings (pointing at DynamoDB Local)
    /// and a fixed key ring instead of Secrets Manager.
    pub fn local(sdk: SdkConfig, table_name: impl Into<String>, keys: KeyRing) -> Self {
        Self {
            sdk,
            table_name: table_name.into(),
            keys: KeySettings::Static(Arc::new(keys)),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            table: OnceLock::new(),
        }
    }

    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    pub fn table(&self) -> Table {
        self.table.get_or_init(|| Table::new(aws_clients::dynamodb(&self.sdk), self.table_name.clone())).clone()
    }

    pub fn users(&self) -> DynamoUsers {
        DynamoUsers::new(self.table())
    }

    pub fn articles(&self) -> DynamoArticles {
        DynamoArticles::new(self.table())
    }

    pub fn follows(&self) -> DynamoFollows {
        DynamoFollows::new(self.table())
    }

    pub fn favorites(&self) -> DynamoFavorites {
        DynamoFavorites::new(self.table())
    }

    pub fn relations(&self) -> DynamoRelations {
        DynamoRelations::new(self.table())
    }

    pub fn comments(&self) -> DynamoComments {
        DynamoComments::new(self.table())
    }

    pub fn tags(&self) -> DynamoTags {
        DynamoTags::new(self.table())
    }

    pub fn password_hasher(&self) -> Argon2Hasher {
        Argon2Hasher
    }

    /// Token issuing and verifying. Only functions that call this need the signing secret.
    pub fn jwt(&self) -> Result<JwtService, StartupError> {
        let source = match &self.keys {
            KeySettings::Static(ring) => SigningKeySource::Static(Arc::clone(ring)),
            KeySettings::SecretsManager { secret_id, cache_ttl } => {
                let secret_id = secret_id.clone().ok_or(StartupError::MissingVariable(variables::SIGNING_SECRET_ID))?;
                let client = aws_clients::secrets_manager(&self.sdk);
                SigningKeySource::SecretsManager(Arc::new(SecretsManagerKeys::new(client, secret_id, *cache_ttl)))
            }
        };
        Ok(JwtService::new(source, self.token_lifetime))
    }
}

fn required(name: &'static str) -> Result<String, StartupError> {
    std::env::var(name).map_err(|_| StartupError::MissingVariable(name))
}

fn seconds(name: &'static str, default: Duration) -> Result<Duration, StartupError> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) => {
            value.trim().parse().map(Duration::from_secs).map_err(|_| StartupError::InvalidSeconds { name, value })
        }
    }
}
