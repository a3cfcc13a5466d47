//! Builds the adapters a function needs from its environment, once per container (at cold start,
//! outside the handler). Each accessor builds only its own client, so a function that never signs
//! a token never creates a Secrets Manager client.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use conduit_auth::{SecretsManagerKeys, SigningKeySource};
use conduit_domain::ports::SystemClock;
use conduit_domain::usecases::Authenticate;
use conduit_mail::SesMailer;
use conduit_repository::Table;

pub mod abuse_limits;
pub use conduit_domain::throttling::AbuseLimits;
pub mod read_limits;
pub mod start;
pub mod whole_number;
pub use conduit_domain::read_limits::ReadLimits;
pub mod chunk_limits;
pub mod idempotency_settings;
pub use conduit_domain::idempotency::IdempotencySettings;
pub use conduit_domain::work_chunks::ChunkLimits;

// The AWS call log, under the name functions' hosts know it by.
pub use conduit_aws::call_log as aws_call_log;
use conduit_aws::clients as aws_clients;
pub use conduit_aws::{BudgetError, TimeBudget};

// The concrete adapters, re-exported so function crates name them without depending on each
// adapter crate.
pub use conduit_auth::SigningKeyIdempotency;
pub use conduit_auth::{Argon2Hasher, JwtService, KeyRing, RandomOneTimeTokens, SigningKey, TokenError, VerifiedToken};
pub use conduit_auth::{RotationError, RotationStep, SigningKeyRotation, StepOutcome};
pub use conduit_mail::{CapturedMail, ConfiguredMailer, Outbox, OutboxMailer};
pub use conduit_repository::{
    AccountNoticeItem, DynamoAccountNotices, DynamoArticlePurges, DynamoArticles, DynamoComments, DynamoFavorites,
    DynamoFeed, DynamoFollows, DynamoIdempotencyRecords, DynamoPasswordResets, DynamoRelations, DynamoTags,
    DynamoThrottles, DynamoUsers, DynamoWelcomeMails,
};

/// An endpoint behind the `Idempotency-Key` protocol, over its DynamoDB records and the secrets
/// derived from the signing key.
pub type Keyed<E> = conduit_http::idempotency::Idempotent<E, DynamoIdempotencyRecords, SigningKeyIdempotency>;

/// The abuse limits over their DynamoDB counters, as the account endpoints consult them.
pub type AccountGuard = conduit_domain::usecases::AbuseGuard<DynamoThrottles, SystemClock>;

/// Environment variables a function reads (set by `template.yaml`).
pub mod variables {
    pub const TABLE_NAME: &str = "TABLE_NAME";
    pub const SIGNING_SECRET_ID: &str = "SIGNING_SECRET_ID";
    pub const TOKEN_LIFETIME_SECONDS: &str = "TOKEN_LIFETIME_SECONDS";
    pub const SIGNING_KEY_CACHE_SECONDS: &str = "SIGNING_KEY_CACHE_SECONDS";
    /// The address mail is sent from, an identity verified in SES.
    pub const MAIL_SENDER: &str = "MAIL_SENDER";
    /// Where the front end lives: links in mails point there.
    pub const APP_BASE_URL: &str = "APP_BASE_URL";
}

/// Where links in mails point when run locally, unless told otherwise: a front end's usual
/// development address.
pub const LOCAL_APP_BASE_URL: &str = "http://localhost:4100";

/// Tokens end within a working day unless `TOKEN_LIFETIME_SECONDS` says otherwise.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);
/// The longest lifetime a function accepts (the template's `MaxValue` too): a misconfigured stack
/// fails at start rather than issue tokens that outlive a day.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("environment variable {0} is not set")]
    MissingVariable(&'static str),
    #[error("environment variable {name} is not a whole number of seconds: {value:?}")]
    InvalidSeconds { name: &'static str, value: String },
    #[error("environment variable {name} must be 1 to {max} seconds, not {value}")]
    SecondsOutOfRange { name: &'static str, value: u64, max: u64 },
    #[error("a document served by the API cannot be built: {0}")]
    Document(String),
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error(transparent)]
    Limits(#[from] abuse_limits::LimitError),
    #[error(transparent)]
    LimitOutOfRange(#[from] whole_number::OutOfRange),
}

#[derive(Clone, Debug)]
enum KeySettings {
    SecretsManager {
        secret_id: Option<String>,
        cache_ttl: Duration,
        /// AWS settings of its own, when Secrets Manager is not where the other clients go.
        sdk: Option<Box<SdkConfig>>,
    },
    Static(Arc<KeyRing>),
}

/// What a function's adapters are built from.
#[derive(Clone, Debug)]
pub struct Adapters {
    sdk: SdkConfig,
    table_name: String,
    keys: KeySettings,
    token_lifetime: Duration,
    budget: TimeBudget,
    /// One DynamoDB client per container, shared by every repository the function uses.
    table: OnceLock<Table>,
    mail: MailSettings,
    /// `None` until configured: only functions that mail links need it.
    app_base_url: Option<String>,
    /// Pushed followers an author has at most (see `conduit_repository::DEFAULT_PUSH_LIMIT`).
    feed_push_limit: usize,
    abuse_limits: AbuseLimits,
    read_limits: ReadLimits,
    chunk_limits: ChunkLimits,
    idempotency: IdempotencySettings,
    /// One cache of the signing keys per container, shared by tokens and idempotency records.
    key_source: OnceLock<SigningKeySource>,
}

impl Adapters {
    /// The deployed configuration: AWS settings from the Lambda environment, names from variables.
    ///
    /// A plain function returning a boxed future, not an `async fn`: the body of an `async fn` is
    /// compiled into every crate that awaits it, and this one carries the SDK's whole
    /// configuration loader (credentials, region, retries), which each function binary then
    /// compiled again. Boxed here, it is compiled once.
    pub fn from_env() -> Pin<Box<dyn Future<Output = Result<Self, StartupError>> + Send>> {
        Box::pin(async {
            let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
            Ok(Self {
                sdk,
                table_name: required(variables::TABLE_NAME)?,
                keys: KeySettings::SecretsManager {
                    secret_id: std::env::var(variables::SIGNING_SECRET_ID).ok(),
                    cache_ttl: seconds(variables::SIGNING_KEY_CACHE_SECONDS, DEFAULT_KEY_CACHE_TTL)?,
                    sdk: None,
                },
                token_lifetime: token_lifetime(std::env::var(variables::TOKEN_LIFETIME_SECONDS).ok())?,
                budget: TimeBudget::from_env()?,
                table: OnceLock::new(),
                mail: MailSettings::from_env(),
                app_base_url: std::env::var(variables::APP_BASE_URL).ok().filter(|url| !url.trim().is_empty()),
                feed_push_limit: conduit_repository::DEFAULT_PUSH_LIMIT,
                abuse_limits: abuse_limits::from_env()?,
                read_limits: read_limits::from_env()?,
                chunk_limits: chunk_limits::from_env()?,
                idempotency: idempotency_settings::from_env()?,
                key_source: OnceLock::new(),
            })
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
            budget: TimeBudget::default(),
            table: OnceLock::new(),
            mail: MailSettings::Outbox(Outbox::new()),
            app_base_url: Some(LOCAL_APP_BASE_URL.to_owned()),
            feed_push_limit: conduit_repository::DEFAULT_PUSH_LIMIT,
            abuse_limits: AbuseLimits::default(),
            read_limits: ReadLimits::default(),
            chunk_limits: ChunkLimits::default(),
            idempotency: IdempotencySettings::default(),
            key_source: OnceLock::new(),
        }
    }

    /// A configuration for running without AWS whose signing keys come from Secrets Manager, as
    /// deployed: `sdk` points at DynamoDB Local, `secrets_manager` at a Secrets Manager endpoint
    /// (moto_server) holding `secret_id`. One `SdkConfig` has one endpoint, hence two. Keys are
    /// cached per function for the deployed default TTL, so each function fetches them on first use.
    pub fn local_with_secrets_manager(
        sdk: SdkConfig,
        table_name: impl Into<String>,
        secrets_manager: SdkConfig,
        secret_id: impl Into<String>,
    ) -> Self {
        let keys = KeySettings::SecretsManager {
            secret_id: Some(secret_id.into()),
            cache_ttl: DEFAULT_KEY_CACHE_TTL,
            sdk: Some(Box::new(secrets_manager)),
        };
        Self {
            sdk,
            table_name: table_name.into(),
            keys,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            budget: TimeBudget::default(),
            table: OnceLock::new(),
            mail: MailSettings::Outbox(Outbox::new()),
            app_base_url: Some(LOCAL_APP_BASE_URL.to_owned()),
            feed_push_limit: conduit_repository::DEFAULT_PUSH_LIMIT,
            abuse_limits: AbuseLimits::default(),
            read_limits: ReadLimits::default(),
            chunk_limits: ChunkLimits::default(),
            idempotency: IdempotencySettings::default(),
            key_source: OnceLock::new(),
        }
    }

    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Replaces the time budget (the default, or the environment's for [`Self::from_env`]).
    pub fn with_time_budget(mut self, budget: TimeBudget) -> Self {
        self.budget = budget;
        self
    }

    /// Another limit of pushed followers per author than the deployed one, so tests can meet
    /// pulled authors without thousands of followers.
    pub fn with_feed_push_limit(mut self, limit: usize) -> Self {
        self.feed_push_limit = limit;
        self
    }

    /// Other abuse limits than the defaults (or the environment's, for [`Self::from_env`]).
    pub fn with_abuse_limits(mut self, limits: AbuseLimits) -> Self {
        self.abuse_limits = limits;
        self
    }

    pub fn abuse_limits(&self) -> AbuseLimits {
        self.abuse_limits
    }

    /// Other read limits than the defaults (or the environment's, for [`Self::from_env`]).
    pub fn with_read_limits(mut self, limits: ReadLimits) -> Self {
        self.read_limits = limits;
        self
    }

    pub fn read_limits(&self) -> ReadLimits {
        self.read_limits
    }

    /// Other chunk limits for the stream consumers than the defaults (or the environment's, for
    /// [`Self::from_env`]): small ones make tests go through several chunks.
    pub fn with_chunk_limits(mut self, limits: ChunkLimits) -> Self {
        self.chunk_limits = limits;
        self
    }

    pub fn chunk_limits(&self) -> ChunkLimits {
        self.chunk_limits
    }

    /// The abuse limits and their counters, for the endpoints that check passwords, create
    /// accounts or mail links.
    pub fn account_guard(&self) -> AccountGuard {
        AccountGuard::new(DynamoThrottles::new(self.table()), SystemClock, self.abuse_limits)
    }

    pub fn time_budget(&self) -> TimeBudget {
        self.budget
    }

    /// The table's name (`TABLE_NAME`), for code that works on the table itself rather than
    /// through a repository (the migrations).
    pub fn table_name(&self) -> &str {
        &self.table_name
    }

    /// The AWS settings the clients are built from (the local gateway's stream reader uses them
    /// too).
    pub fn aws_settings(&self) -> &SdkConfig {
        &self.sdk
    }

    pub fn table(&self) -> Table {
        self.table
            .get_or_init(|| Table::new(aws_clients::dynamodb(&self.sdk, &self.budget), self.table_name.clone()))
            .clone()
    }

    pub fn users(&self) -> DynamoUsers {
        DynamoUsers::new(self.table())
    }

    pub fn articles(&self) -> DynamoArticles {
        DynamoArticles::new(self.table()).with_combined_filter_window(self.read_limits.combined_filter_window)
    }

    pub fn article_purges(&self) -> DynamoArticlePurges {
        DynamoArticlePurges::new(self.table())
    }

    pub fn follows(&self) -> DynamoFollows {
        DynamoFollows::new(self.table()).with_push_limit(self.feed_push_limit)
    }

    pub fn feed(&self) -> DynamoFeed {
        DynamoFeed::new(self.table())
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
        Ok(JwtService::new(self.key_source()?, self.token_lifetime))
    }

    /// The signing keys, read (and cached) once per container whoever asks first.
    fn key_source(&self) -> Result<SigningKeySource, StartupError> {
        if let Some(source) = self.key_source.get() {
            return Ok(source.clone());
        }
        let source = match &self.keys {
            KeySettings::Static(ring) => SigningKeySource::Static(Arc::clone(ring)),
            KeySettings::SecretsManager { secret_id, cache_ttl, sdk } => {
                let secret_id = secret_id.clone().ok_or(StartupError::MissingVariable(variables::SIGNING_SECRET_ID))?;
                let client = aws_clients::secrets_manager(sdk.as_deref().unwrap_or(&self.sdk), &self.budget);
                SigningKeySource::SecretsManager(Arc::new(SecretsManagerKeys::new(client, secret_id, *cache_ttl)))
            }
        };
        Ok(self.key_source.get_or_init(|| source).clone())
    }

    /// The rotation of the signing secret (`SIGNING_SECRET_ID`), each step within the request's
    /// time budget. Builds a client only: nothing is read from Secrets Manager before a step runs.
    /// Fixed keys (running without AWS) have no secret to rotate.
    pub fn signing_key_rotation(&self) -> Result<SigningKeyRotation, StartupError> {
        let missing = StartupError::MissingVariable(variables::SIGNING_SECRET_ID);
        let KeySettings::SecretsManager { secret_id, sdk, .. } = &self.keys else { return Err(missing) };
        let secret_id = secret_id.clone().ok_or(missing)?;
        let client = aws_clients::secrets_manager(sdk.as_deref().unwrap_or(&self.sdk), &self.budget);
        Ok(SigningKeyRotation::new(client, secret_id, self.budget.request))
    }

    /// Records live this long instead of the environment's (a test's short expiry).
    pub fn with_idempotency(mut self, settings: IdempotencySettings) -> Self {
        self.idempotency = settings;
        self
    }

    /// `endpoint` behind the `Idempotency-Key` protocol. A claim holds for the request's budget
    /// when the invocation states no deadline (the local gateway).
    pub fn keyed<E: conduit_http::idempotency::KeyedEndpoint>(&self, endpoint: E) -> Result<Keyed<E>, StartupError> {
        let settings = IdempotencySettings { claim_without_deadline: self.budget.request, ..self.idempotency };
        Ok(Keyed::new(
            endpoint,
            DynamoIdempotencyRecords::new(self.table()),
            SigningKeyIdempotency::new(self.key_source()?),
            settings,
        ))
    }
}

// ---------------------------------------------------------------- account lifecycle

impl Adapters {
    /// Links in mails point at `url` (the local gateway's own front page, when run locally).
    pub fn with_app_base_url(mut self, url: impl Into<String>) -> Self {
        self.app_base_url = Some(url.into());
        self
    }

    pub fn app_base_url(&self) -> Result<String, StartupError> {
        self.app_base_url.clone().ok_or(StartupError::MissingVariable(variables::APP_BASE_URL))
    }

    /// Whether a token may act for its account: its signature, expiry and session generation.
    pub fn authenticate(&self) -> Result<Authenticate<JwtService, DynamoUsers>, StartupError> {
        Ok(Authenticate::new(self.jwt()?, self.users()))
    }

    pub fn password_resets(&self) -> DynamoPasswordResets {
        DynamoPasswordResets::new(self.table())
    }

    pub fn welcome_mails(&self) -> DynamoWelcomeMails {
        DynamoWelcomeMails::new(self.table())
    }

    pub fn account_notices(&self) -> DynamoAccountNotices {
        DynamoAccountNotices::new(self.table())
    }

    pub fn one_time_tokens(&self) -> RandomOneTimeTokens {
        RandomOneTimeTokens
    }

    pub fn clock(&self) -> SystemClock {
        SystemClock
    }
}

fn required(name: &'static str) -> Result<String, StartupError> {
    std::env::var(name).map_err(|_| StartupError::MissingVariable(name))
}

fn seconds(name: &'static str, default: Duration) -> Result<Duration, StartupError> {
    std::env::var(name).map_or(Ok(default), |value| parse_seconds(name, value))
}

fn parse_seconds(name: &'static str, value: String) -> Result<Duration, StartupError> {
    value.trim().parse().map(Duration::from_secs).map_err(|_| StartupError::InvalidSeconds { name, value })
}

/// The configured token lifetime (`TOKEN_LIFETIME_SECONDS`), else the default; none or more than
/// [`MAX_TOKEN_LIFETIME`] is refused.
fn token_lifetime(configured: Option<String>) -> Result<Duration, StartupError> {
    let name = variables::TOKEN_LIFETIME_SECONDS;
    let lifetime = configured.map_or(Ok(DEFAULT_TOKEN_LIFETIME), |value| parse_seconds(name, value))?;
    if lifetime.is_zero() || lifetime > MAX_TOKEN_LIFETIME {
        return Err(StartupError::SecondsOutOfRange {
            name,
            value: lifetime.as_secs(),
            max: MAX_TOKEN_LIFETIME.as_secs(),
        });
    }
    Ok(lifetime)
}

// ---------------------------------------------------------------- mail

/// Where a function's mail goes: Amazon SES when deployed, an in-memory outbox when run locally.
#[derive(Clone, Debug)]
enum MailSettings {
    Ses {
        /// `None` when unset: only functions that send mail need it, and they fail at start-up.
        sender: Option<String>,
        /// One SES client per container, built on first use.
        mailer: OnceLock<SesMailer>,
    },
    Outbox(Outbox),
}

impl MailSettings {
    fn from_env() -> Self {
        let sender = std::env::var(variables::MAIL_SENDER).ok().filter(|sender| !sender.trim().is_empty());
        Self::Ses { sender, mailer: OnceLock::new() }
    }
}

impl Adapters {
    /// Mail goes to `outbox` instead of SES: the local gateway shows what is captured there.
    pub fn with_outbox(mut self, outbox: Outbox) -> Self {
        self.mail = MailSettings::Outbox(outbox);
        self
    }

    /// The outbox mail goes to; `None` when mail goes to SES.
    pub fn outbox(&self) -> Option<Outbox> {
        match &self.mail {
            MailSettings::Outbox(outbox) => Some(outbox.clone()),
            MailSettings::Ses { .. } => None,
        }
    }

    /// The mailer; deployed, only functions that call this need `MAIL_SENDER`.
    pub fn mailer(&self) -> Result<ConfiguredMailer, StartupError> {
        match &self.mail {
            MailSettings::Outbox(outbox) => Ok(ConfiguredMailer::Outbox(outbox.mailer())),
            MailSettings::Ses { sender, mailer } => {
                let sender = sender.as_ref().ok_or(StartupError::MissingVariable(variables::MAIL_SENDER))?;
                let mailer =
                    mailer.get_or_init(|| SesMailer::new(aws_clients::ses(&self.sdk, &self.budget), sender.clone()));
                Ok(ConfiguredMailer::Ses(mailer.clone()))
            }
        }
    }
}

#[cfg(test)]
mod mail_tests {
    use conduit_domain::ports::{MailMessage, Mailer};
    use conduit_domain::values::Email;

    use super::*;

    fn local() -> Adapters {
        let keys = KeyRing { current: SigningKey::generate("test"), previous: None };
        Adapters::local(SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build(), "t", keys)
    }

    fn deployed(sender: Option<&str>) -> Adapters {
        Adapters { mail: MailSettings::Ses { sender: sender.map(str::to_owned), mailer: OnceLock::new() }, ..local() }
    }

    #[tokio::test]
    async fn locally_mail_is_captured_in_the_outbox_the_adapters_were_given() {
        // Given local adapters handed the outbox the gateway shows
        let outbox = Outbox::new();
        let adapters = local().with_outbox(outbox.clone());
        let message = MailMessage {
            to: Email::parse("jake@example.com").expect("valid"),
            subject: "Welcome to Conduit".into(),
            text: String::new(),
            html: String::new(),
        };

        // When a function's mailer sends a message
        adapters.mailer().expect("a mailer").send(&message).await.expect("captured");

        // Then that outbox holds it, and the adapters name it as theirs
        assert_eq!(outbox.messages().len(), 1);
        assert_eq!(adapters.outbox().map(|outbox| outbox.messages().len()), Some(1));
    }

    #[test]
    fn deployed_mail_goes_through_ses_from_the_configured_sender_which_only_mailing_functions_need() {
        let configured = deployed(Some("noreply@conduit.example"));
        let unconfigured = deployed(None);

        assert!(matches!(configured.mailer(), Ok(ConfiguredMailer::Ses(_))));
        assert!(configured.outbox().is_none());
        assert!(matches!(unconfigured.mailer(), Err(StartupError::MissingVariable("MAIL_SENDER"))));
    }
}

#[cfg(test)]
mod token_lifetime_tests {
    use super::*;

    #[test]
    fn without_a_configured_lifetime_tokens_live_twelve_hours() {
        assert_eq!(token_lifetime(None).expect("the default"), Duration::from_secs(43_200));
    }

    #[test]
    fn a_lifetime_of_one_second_to_a_day_is_taken_as_configured() {
        assert_eq!(token_lifetime(Some("1".into())).expect("accepted"), Duration::from_secs(1));
        assert_eq!(token_lifetime(Some(" 86400 ".into())).expect("accepted"), Duration::from_secs(86_400));
    }

    #[test]
    fn a_lifetime_of_zero_or_beyond_a_day_fails_the_start_in_one_line_naming_the_variable() {
        for (configured, value) in [("0", 0), ("86401", 86_401), ("31536000", 31_536_000)] {
            let refused = token_lifetime(Some(configured.into())).expect_err(configured);

            assert!(matches!(refused, StartupError::SecondsOutOfRange { value: seen, .. } if seen == value));
            assert_eq!(
                refused.to_string(),
                format!("environment variable TOKEN_LIFETIME_SECONDS must be 1 to 86400 seconds, not {value}")
            );
        }
        assert!(matches!(token_lifetime(Some("a day".into())), Err(StartupError::InvalidSeconds { .. })));
    }
}

#[cfg(test)]
mod rotation_tests {
    use super::*;

    fn sdk() -> SdkConfig {
        SdkConfig::builder().behavior_version(BehaviorVersion::latest()).build()
    }

    #[test]
    fn the_signing_secret_is_rotatable_where_keys_come_from_secrets_manager_and_nowhere_else() {
        // Given adapters on a signing secret, and adapters with fixed keys
        let on_secret = Adapters::local_with_secrets_manager(sdk(), "t", sdk(), "arn:aws:secretsmanager:signing");
        let fixed = Adapters::local(sdk(), "t", KeyRing { current: SigningKey::generate("k"), previous: None });

        // Then only the first has a rotation (built without calling anything), the second names
        // the variable it lacks
        assert!(on_secret.signing_key_rotation().is_ok());
        assert!(matches!(fixed.signing_key_rotation(), Err(StartupError::MissingVariable("SIGNING_SECRET_ID"))));
    }
}
