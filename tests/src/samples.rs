//! The sample events in `events/` (one or more per function; the function is the file name up to
//! the first dot) and a world in which every one of them makes sense.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey, TimeBudget};
use conduit_domain::User;
use conduit_domain::password_reset::PasswordReset;
use conduit_domain::ports::{FollowWriter, OneTimeTokens, PasswordHasher, PasswordResets, StoreError, UserWriter};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::validation::InvalidValue;
use conduit_domain::values::{Email, Password, PasswordHash, ResetToken, Timestamp, UserId, Username};
use conduit_domain::write_quotas::WriteAction;
use conduit_dynamodb_local::TestTable;

/// Must match `infra/scripts/make_sample_events.py`, which signed the sample tokens with it.
pub const SAMPLE_SIGNING_KEY: &[u8] = b"conduit-sample-events-signing-key-not-for-production";
pub const SAMPLE_KID: &str = "sample-key";
/// The caller of the protected samples.
pub const JAKE: &str = "01J9ZQ6XKX2A5B8C9D0E1F2G3H";
/// The token of jake's pending password-reset link, as in the confirm-password-reset sample.
pub const SAMPLE_RESET_TOKEN: &str = "q8Vh3nX0bR2tL6yW9eK1mP4sA7dF5gJ0cZ3uN8iO2vB";

/// The functions fed by the table's change stream rather than by API Gateway.
pub const STREAM_CONSUMERS: &[&str] =
    &["send-welcome-mail", "send-account-notices", "purge-deleted-article", "update-feeds"];

/// The functions CloudFormation calls as custom resource handlers; they answer on the request's
/// ResponseURL.
pub const CUSTOM_RESOURCE_HANDLERS: &[&str] = &["run-migrations"];

/// The functions Secrets Manager invokes to rotate a secret, one event per step; their sample
/// events are the steps of one rotation, in file order.
pub const SECRET_ROTATION_FUNCTIONS: &[&str] = &["rotate-signing-key"];

/// Whether the function answers HTTP requests (not the authorizer, not a stream consumer, not a
/// custom resource handler, not a rotation function).
pub fn is_http_function(function: &str) -> bool {
    function != "authorizer"
        && !STREAM_CONSUMERS.contains(&function)
        && !CUSTOM_RESOURCE_HANDLERS.contains(&function)
        && !SECRET_ROTATION_FUNCTIONS.contains(&function)
}

/// A rotation step's sample event, for the secret `secret_arn` instead of the deployed one it
/// names (each test rotates a secret of its own).
pub fn rotation_event_for(event: &str, secret_arn: &str) -> Result<String, String> {
    let mut event: serde_json::Value = serde_json::from_str(event).map_err(|error| error.to_string())?;
    if !event["SecretId"].is_string() {
        return Err(format!("not a rotation step (no SecretId): {event}"));
    }
    event["SecretId"] = serde_json::Value::String(secret_arn.to_owned());
    Ok(event.to_string())
}

/// What each HTTP function answers to its sample event, in the world [`seeded_world`] builds.
pub const EXPECTED_STATUS: &[(&str, u16)] = &[
    ("register-user", 201),
    ("login-user", 200),
    ("get-current-user", 200),
    ("update-current-user", 200),
    ("revoke-sessions", 204),
    // An address without an account: the same answer, and no mail to send.
    ("request-password-reset", 202),
    // The token of the reset link the world holds for jake.
    ("confirm-password-reset", 200),
    ("get-profile", 200),
    ("follow-user", 200),
    ("unfollow-user", 200),
    ("list-articles", 200),
    ("feed-articles", 200),
    ("get-article", 200),
    ("create-article", 201),
    ("update-article", 200),
    ("delete-article", 204),
    ("add-comment", 200),
    ("list-comments", 200),
    ("delete-comment", 204),
    ("favorite-article", 200),
    ("unfavorite-article", 200),
    ("list-tags", 200),
    ("get-openapi", 200),
    ("get-docs", 200),
    ("route-not-found", 404),
];

pub fn expected_status(function: &str) -> u16 {
    EXPECTED_STATUS
        .iter()
        .find(|(name, _)| *name == function)
        .map(|(_, status)| *status)
        .unwrap_or_else(|| panic!("no expected status for {function}"))
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// (function, file) for every sample event, sorted.
pub fn sample_events() -> Vec<(String, PathBuf)> {
    let mut events: Vec<(String, PathBuf)> = std::fs::read_dir(events_dir())
        .expect("events/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let function = name.split('.').next().expect("prefix").to_owned();
            (function, path)
        })
        .collect();
    events.sort();
    events
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The key ring that verifies the sample tokens as they are in `events/`.
pub fn sample_key_ring() -> KeyRing {
    KeyRing { current: SigningKey::new(SAMPLE_KID, SAMPLE_SIGNING_KEY).expect("key"), previous: None }
}

/// DynamoDB's limit on the items of one BatchWriteItem.
const BATCH_WRITE_LIMIT: usize = 25;

/// Seeding is set-up, not what a test checks: DynamoDB Local on a loaded machine can stall past
/// the deployed budget (1 s an attempt), so the seed writes get a wider one. The world's adapters,
/// which answer the sample events, keep the deployed budget.
const SEEDING_BUDGET: TimeBudget = TimeBudget {
    connect: Duration::from_secs(2),
    attempt: Duration::from_secs(10),
    operation: Duration::from_secs(30),
    max_attempts: 3,
    request: Duration::from_secs(30),
};

/// A seeded table of its own, and adapters on it that use `keys`.
pub struct SampleWorld {
    /// With the deployed time budget: they answer the sample events.
    pub adapters: Adapters,
    pub table_name: String,
    client: aws_sdk_dynamodb::Client,
    /// With [`SEEDING_BUDGET`]: they write the seed.
    seeding: Adapters,
    /// jake's and celeb's password hash, computed once (argon2 is slow on purpose).
    password_hash: PasswordHash,
}

/// A world where every sample event makes sense, in a fresh table of the test command's DynamoDB
/// Local (see [`SampleWorld::seed_in`]).
pub async fn seeded_world(keys: KeyRing) -> SampleWorld {
    let table = conduit_dynamodb_local::test_table().await;
    let password_hash = SampleWorld::password_hash().expect("jake's password hashed");
    SampleWorld::seed_in(table, keys, password_hash).await.expect("sample world seeded")
}

impl SampleWorld {
    /// A world where every sample event makes sense, in `table` (new and empty): jake (the caller of
    /// the protected samples, with password "jakejakejake"), celeb whom jake follows, jake's article
    /// "How to train your dragon", jake's comment 1 on it, and a pending password-reset link of
    /// jake's ([`SAMPLE_RESET_TOKEN`]). `password_hash` is [`Self::password_hash`], computed once
    /// for any number of worlds.
    pub async fn seed_in(table: TestTable, keys: KeyRing, password_hash: PasswordHash) -> Result<Self, String> {
        let seeding = Adapters::local(table.sdk_config.clone(), table.name.clone(), keys.clone())
            .with_time_budget(SEEDING_BUDGET);
        let world = Self {
            adapters: Adapters::local(table.sdk_config, table.name.clone(), keys),
            table_name: table.name,
            client: table.client,
            seeding,
            password_hash,
        };
        world.seed().await?;
        Ok(world)
    }

    /// jake's and celeb's password hash ("jakejakejake").
    pub fn password_hash() -> Result<PasswordHash, String> {
        let password = Password::parse("jakejakejake").map_err(|error| format!("{error:?}"))?;
        conduit_bootstrap::Argon2Hasher.hash(&password).map_err(|error| format!("{error:?}"))
    }

    /// Back to the freshly seeded world, for a caller that invokes an event which changes what the
    /// next invocation finds: every item deleted, then seeded again.
    pub async fn reset(&self) -> Result<(), String> {
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table_name)
                .consistent_read(true)
                .projection_expression("PK, SK")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| format!("scanning {}: {error:?}", self.table_name))?;
            keys.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        for chunk in keys.chunks(BATCH_WRITE_LIMIT) {
            let mut requests = chunk
                .iter()
                .map(|key: &HashMap<String, AttributeValue>| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map_err(|error| format!("a delete request: {error}"))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, String>>()?;
            while !requests.is_empty() {
                let written = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table_name, requests)
                    .send()
                    .await
                    .map_err(|error| format!("clearing {}: {error:?}", self.table_name))?;
                requests =
                    written.unprocessed_items.and_then(|mut left| left.remove(&self.table_name)).unwrap_or_default();
            }
        }
        self.seed().await
    }

    async fn seed(&self) -> Result<(), String> {
        let adapters = &self.seeding;
        let failed = |what: &'static str| move |error: StoreError| format!("{what}: {error:?}");
        let invalid = |what: &'static str| move |error: InvalidValue| format!("{what}: {error:?}");
        let mut jake = User::register(
            Username::parse("jake").map_err(invalid("username"))?,
            Email::parse("jake@example.com").map_err(invalid("email"))?,
            self.password_hash.clone(),
        );
        jake.id = UserId::parse(JAKE).map_err(invalid("user id"))?;
        let celeb = User::register(
            Username::parse("celeb").map_err(invalid("username"))?,
            Email::parse("celeb@example.com").map_err(invalid("email"))?,
            self.password_hash.clone(),
        );
        adapters.users().insert(&jake, None).await.map_err(failed("jake"))?;
        adapters.users().insert(&celeb, None).await.map_err(failed("celeb"))?;
        let quotas = adapters.abuse_limits().account_writes;
        let follow = quotas.charge(WriteAction::Follow, Timestamp::now());
        adapters.follows().follow(jake.id, celeb.id, &follow).await.map_err(failed("follow"))?;
        let draft = ArticleDraft {
            title: Some("How to train your dragon".into()),
            description: Some("Ever wonder how?".into()),
            body: Some("You have to believe".into()),
            tag_list: Some(vec!["dragons".into(), "training".into()]),
        };
        CreateArticle::new(adapters.articles(), adapters.relations(), quotas)
            .execute(jake.id, draft)
            .await
            .map_err(|error| format!("article: {error:?}"))?;
        AddComment::new(adapters.articles(), adapters.comments(), adapters.relations(), quotas)
            .execute(jake.id, "how-to-train-your-dragon", Some("First!".into()))
            .await
            .map_err(|error| format!("comment: {error:?}"))?;
        let reset_token = ResetToken::parse(SAMPLE_RESET_TOKEN).map_err(invalid("reset token"))?;
        let pending = PasswordReset::none_yet(jake.id)
            .request(adapters.one_time_tokens().digest(&reset_token), &jake.email, Timestamp::now())
            .map_err(|error| format!("reset link: {error:?}"))?;
        adapters.password_resets().save_request(&pending, None).await.map_err(failed("reset link"))?;
        Ok(())
    }
}
