//! The rotation of the signing key, step by step, against moto_server's Secrets Manager. Its
//! RotateSecret would invoke the rotation function in a Docker-run Lambda, so these tests send
//! the four steps to the function's handler themselves, as Secrets Manager would: in order, again
//! after a failure, or not at all after an interruption. Each test has a secret of its own.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::Client;
use conduit_bootstrap::aws_call_log::as_function;
use conduit_bootstrap::start::EventFunction;
use conduit_bootstrap::{Adapters, JwtService, RotationError, SigningKey, StepOutcome};
use conduit_domain::values::{Session, UserId};
use conduit_dynamodb_local::local_sdk_config;
use lambda_http::{Context, LambdaEvent};
use rotate_signing_key::{RotateSigningKey, RotationEvent};
use serde_json::json;

const ENDPOINT_VARIABLE: &str = "CONDUIT_TEST_SECRETSMANAGER_ENDPOINT";
/// The function the calls are made as, for the IAM contract.
const FUNCTION: &str = "rotate-signing-key";
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

fn moto_endpoint() -> String {
    std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VARIABLE} is not set: run the tests with infra/test.sh, which starts moto_server")
    })
}

/// A token as Secrets Manager sends it, a UUID (tokens are 32 to 64 characters): the id of the
/// version a rotation makes.
fn new_token() -> String {
    let hex = format!("{:032x}", u128::from(ulid::Ulid::new()));
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A signing secret of its own in moto_server, and the rotation function deployed for it.
struct SigningSecret {
    client: Client,
    arn: String,
    /// The version CloudFormation created it with.
    first_version: String,
    function: RotateSigningKey,
}

impl SigningSecret {
    async fn create() -> Self {
        let client = Client::new(&local_sdk_config(&moto_endpoint()));
        let created = client
            .create_secret()
            .name(format!("conduit/test/key-rotation/{}", ulid::Ulid::new()))
            .secret_string("k".repeat(64))
            .send()
            .await
            .expect("signing secret created in moto_server");
        let arn = created.arn.expect("ARN");
        let function = RotateSigningKey::new(&adapters(&arn)).expect("the rotation function starts");
        Self { client, arn, first_version: created.version_id.expect("version"), function }
    }

    /// One step, as Secrets Manager invokes it.
    async fn step(&self, step: &str, token: &str) -> Result<StepOutcome, RotationError> {
        as_function(FUNCTION, self.function.rotate(&event(step, &self.arn, token))).await
    }

    /// A whole rotation to `token`, every step succeeding.
    async fn rotate(&self, token: &str) {
        for step in STEPS {
            self.step(step, token).await.unwrap_or_else(|error| panic!("{step}: {error:?}"));
        }
    }

    /// Version id -> its stages, sorted.
    async fn stages(&self) -> BTreeMap<String, Vec<String>> {
        let described = self.client.describe_secret().secret_id(&self.arn).send().await.expect("described");
        described
            .version_ids_to_stages
            .unwrap_or_default()
            .into_iter()
            .map(|(version, mut stages)| {
                stages.sort();
                (version, stages)
            })
            .collect()
    }

    /// The one version holding `stage`.
    async fn version_in(&self, stage: &str) -> Option<String> {
        let holding: Vec<String> = self
            .stages()
            .await
            .into_iter()
            .filter(|(_, stages)| stages.iter().any(|held| held == stage))
            .map(|(version, _)| version)
            .collect();
        assert!(holding.len() <= 1, "{stage} on {holding:?}");
        holding.into_iter().next()
    }

    /// The key in `stage`. (Named always: moto_server's GetSecretValue without a stage answers the
    /// version the secret was created with, where Secrets Manager answers AWSCURRENT.)
    async fn key_in(&self, stage: &str) -> Option<String> {
        let read = self.client.get_secret_value().secret_id(&self.arn).version_stage(stage).send().await;
        read.ok().and_then(|value| value.secret_string)
    }

    /// The tokens of a container started now: it reads the keys afresh.
    fn tokens(&self) -> JwtService {
        adapters(&self.arn).jwt().expect("token service")
    }
}

/// What the functions are deployed with for `secret_arn` (the rotation touches no table).
fn adapters(secret_arn: &str) -> Adapters {
    let moto = local_sdk_config(&moto_endpoint());
    Adapters::local_with_secrets_manager(moto.clone(), "no-table", moto, secret_arn)
}

fn event(step: &str, secret_id: &str, token: &str) -> RotationEvent {
    serde_json::from_value(json!({ "Step": step, "SecretId": secret_id, "ClientRequestToken": token }))
        .expect("a rotation event")
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).expect("a JWT").kid.expect("a key id")
}

fn session() -> Session {
    Session::first(UserId::generate())
}

#[tokio::test]
async fn a_full_rotation_makes_the_new_version_current_and_the_old_one_previous() {
    // Given a signing secret as CloudFormation created it
    let secret = SigningSecret::create().await;
    let token = new_token();

    // When Secrets Manager runs the four steps of a rotation
    let mut outcomes = Vec::new();
    for step in STEPS {
        outcomes.push(secret.step(step, &token).await.expect(step));
    }

    // Then each did its part, and the new version is AWSCURRENT, the old one AWSPREVIOUS
    assert_eq!(
        outcomes,
        [
            StepOutcome::PendingKeyCreated,
            StepOutcome::NothingToSet,
            StepOutcome::PendingKeyWorks,
            StepOutcome::MadeCurrent { previous: secret.first_version.clone() },
        ]
    );
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(token.clone()));
    assert_eq!(secret.version_in("AWSPREVIOUS").await, Some(secret.first_version.clone()));
    let value = secret.key_in("AWSCURRENT").await.expect("a current key");
    assert_ne!(value, "k".repeat(64), "a new key");
    assert_eq!(value.len(), 64);
    assert!(value.bytes().all(|byte| byte.is_ascii_alphanumeric()), "{value}");
}

#[tokio::test]
async fn a_token_issued_before_a_rotation_verifies_after_it_and_new_tokens_name_the_new_key() {
    // Given a token signed with the key before the rotation
    let secret = SigningSecret::create().await;
    let before = secret.tokens().issue_for(session()).await.expect("issued");
    let token = new_token();

    // When the key is rotated, and a container starts that reads the keys afresh
    secret.rotate(&token).await;
    let after = secret.tokens();

    // Then the earlier token still verifies (with AWSPREVIOUS), and new tokens are signed with
    // the new version
    assert_eq!(kid(&before), secret.first_version);
    assert!(after.verify(&before).await.is_ok(), "the token of the previous key verifies");
    let issued = after.issue_for(session()).await.expect("issued");
    assert_eq!(kid(&issued), token);
    assert!(after.verify(&issued).await.is_ok());
}

#[tokio::test]
async fn a_token_signed_with_a_key_two_rotations_old_no_longer_verifies() {
    // Given a token signed before two rotations
    let secret = SigningSecret::create().await;
    let before = secret.tokens().issue_for(session()).await.expect("issued");

    // When the key is rotated twice
    secret.rotate(&new_token()).await;
    secret.rotate(&new_token()).await;

    // Then its key is neither current nor previous any more: the token is refused
    assert!(matches!(secret.tokens().verify(&before).await, Err(conduit_bootstrap::TokenError::UnknownKey)));
}

#[tokio::test]
async fn every_step_run_twice_has_no_second_effect() {
    // Given a secret
    let secret = SigningSecret::create().await;
    let token = new_token();

    // When every step is run twice, as Secrets Manager does after a failure it cannot tell apart
    // from a lost answer
    let create = (secret.step("createSecret", &token).await, secret.step("createSecret", &token).await);
    let pending_key = secret.key_in("AWSPENDING").await;
    let set = (secret.step("setSecret", &token).await, secret.step("setSecret", &token).await);
    let test = (secret.step("testSecret", &token).await, secret.step("testSecret", &token).await);
    let stages_before_finish = secret.stages().await;
    let finish = (secret.step("finishSecret", &token).await, secret.step("finishSecret", &token).await);

    // Then the second createSecret kept the key the first one made: one pending version, not two
    assert!(matches!(create, (Ok(StepOutcome::PendingKeyCreated), Ok(StepOutcome::PendingKeyExists))), "{create:?}");
    assert_eq!(stages_before_finish.len(), 2, "{stages_before_finish:?}");
    assert_eq!(stages_before_finish[&token], ["AWSPENDING"]);
    assert!(pending_key.is_some());
    assert_eq!(secret.key_in("AWSCURRENT").await, pending_key, "the key made first is the one made current");
    assert!(matches!(set, (Ok(StepOutcome::NothingToSet), Ok(StepOutcome::NothingToSet))), "{set:?}");
    assert!(matches!(test, (Ok(StepOutcome::PendingKeyWorks), Ok(StepOutcome::PendingKeyWorks))), "{test:?}");
    // And the second finishSecret found the rotation done, as does any step of it after that
    assert!(matches!(finish, (Ok(StepOutcome::MadeCurrent { .. }), Ok(StepOutcome::AlreadyCurrent))), "{finish:?}");
    for step in STEPS {
        assert_eq!(secret.step(step, &token).await.expect(step), StepOutcome::AlreadyCurrent, "{step}");
    }
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(token));
    assert_eq!(secret.version_in("AWSPREVIOUS").await, Some(secret.first_version.clone()));
    assert_eq!(secret.stages().await.len(), 2);
}

/// A rotation that stops after `steps_done` steps leaves the current key serving, and the next
/// rotation, with a token of its own, completes.
async fn interrupted_rotation_then_another(steps_done: usize) {
    // Given a token of the current key, and a rotation that stopped after some of its steps
    let secret = SigningSecret::create().await;
    let before = secret.tokens().issue_for(session()).await.expect("issued");
    let interrupted = new_token();
    for step in &STEPS[..steps_done] {
        secret.step(step, &interrupted).await.expect(step);
    }

    // Then the current key still signs and verifies
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(secret.first_version.clone()));
    assert_eq!(secret.version_in("AWSPENDING").await, Some(interrupted.clone()));
    let meanwhile = secret.tokens();
    assert_eq!(kid(&meanwhile.issue_for(session()).await.expect("issued")), secret.first_version);
    assert!(meanwhile.verify(&before).await.is_ok());

    // When a later rotation runs with a new token
    let later = new_token();
    secret.rotate(&later).await;

    // Then it completes: its version is current, the pending label moved off the stale version,
    // and the earlier token still verifies
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(later.clone()));
    assert_eq!(secret.version_in("AWSPREVIOUS").await, Some(secret.first_version.clone()));
    assert_ne!(secret.version_in("AWSPENDING").await, Some(interrupted.clone()), "the stale version is not pending");
    assert!(secret.tokens().verify(&before).await.is_ok());
    // And the stale rotation, should Secrets Manager still send one of its steps, cannot finish
    let stale = secret.step("finishSecret", &interrupted).await;
    assert!(matches!(stale, Err(RotationError::NotPending { .. })), "{stale:?}");
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(later));
}

#[tokio::test]
async fn a_rotation_interrupted_after_create_secret_leaves_the_current_key_serving_and_a_later_one_completes() {
    interrupted_rotation_then_another(1).await;
}

#[tokio::test]
async fn a_rotation_interrupted_after_test_secret_leaves_the_current_key_serving_and_a_later_one_completes() {
    interrupted_rotation_then_another(3).await;
}

#[tokio::test]
async fn test_secret_fails_on_a_pending_value_too_short_to_sign_with_and_the_current_key_stays() {
    // Given a pending version whose value is too short for HS256 (put by hand, say)
    let secret = SigningSecret::create().await;
    let token = new_token();
    secret
        .client
        .put_secret_value()
        .secret_id(&secret.arn)
        .client_request_token(&token)
        .secret_string("too-short")
        .version_stages("AWSPENDING")
        .send()
        .await
        .expect("pending value put");

    // When createSecret and testSecret run for it
    let created = secret.step("createSecret", &token).await;
    let tested = secret.step("testSecret", &token).await;

    // Then createSecret keeps it (it does not overwrite a version), testSecret refuses it, and the
    // current key is untouched
    assert!(matches!(created, Ok(StepOutcome::PendingKeyExists)), "{created:?}");
    let Err(RotationError::UnusablePendingKey { token: refused, source }) = tested else {
        panic!("expected the pending key refused: {tested:?}")
    };
    assert_eq!(refused, token);
    assert!(source.to_string().contains(&format!("at least {}", SigningKey::MIN_LENGTH)), "{source}");
    assert_eq!(secret.version_in("AWSCURRENT").await, Some(secret.first_version.clone()));
}

#[tokio::test]
async fn an_event_for_another_secret_is_refused_and_that_secret_is_left_alone() {
    // Given the rotation function of one secret, and another secret
    let secret = SigningSecret::create().await;
    let other = SigningSecret::create().await;

    // When it is sent a step for the other secret
    let refused = as_function(FUNCTION, secret.function.rotate(&event("createSecret", &other.arn, &new_token()))).await;

    // Then it refuses, naming both, and the other secret has no new version
    let Err(RotationError::OtherSecret { requested, configured }) = refused else {
        panic!("expected a refusal: {refused:?}")
    };
    assert_eq!((requested, configured), (other.arn.clone(), secret.arn.clone()));
    assert_eq!(other.stages().await.len(), 1);
}

#[tokio::test]
async fn a_step_of_a_rotation_that_was_never_created_or_of_no_known_kind_is_refused() {
    let secret = SigningSecret::create().await;

    let unknown_version = secret.step("setSecret", &new_token()).await;
    let unknown_step = secret.step("rotateEverything", &new_token()).await;

    assert!(matches!(unknown_version, Err(RotationError::UnknownVersion { .. })), "{unknown_version:?}");
    assert!(matches!(unknown_step, Err(RotationError::UnknownStep(_))), "{unknown_step:?}");
    assert_eq!(secret.stages().await.len(), 1, "nothing was written");
}

#[tokio::test]
async fn a_failed_step_fails_the_invocation_so_that_secrets_manager_retries_it() {
    // Given the rotation function, sent a step it cannot do (no rotation made this version)
    let secret = SigningSecret::create().await;
    let invocation = LambdaEvent::new(event("finishSecret", &secret.arn, &new_token()), Context::default());

    // When the runtime hands it the event
    let answered = as_function(FUNCTION, secret.function.handle(invocation)).await;

    // Then the invocation fails, with the reason on one line
    let failure = answered.expect_err("the invocation fails");
    assert_eq!(failure.error_type, "RotationStepFailed");
    assert!(failure.error_message.contains("a rotation starts with createSecret"), "{}", failure.error_message);
    assert!(!failure.error_message.contains('\n'));
}
