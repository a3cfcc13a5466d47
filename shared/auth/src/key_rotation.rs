//! Secrets Manager's rotation of the signing key: its four steps, each safe to run again.
//!
//! Secrets Manager rotates a secret by invoking the rotation function once per step, all four
//! with the same token, which is the id of the version the rotation makes:
//! 1. `createSecret` puts a fresh key as that version, labelled `AWSPENDING`;
//! 2. `setSecret` would hand the key to whatever else uses it: nothing does (below);
//! 3. `testSecret` signs and verifies a token with the pending key;
//! 4. `finishSecret` moves `AWSCURRENT` to it, and Secrets Manager labels the old version
//!    `AWSPREVIOUS`, which [`crate::SecretsManagerKeys`] still verifies with.
//!
//! A step that fails is invoked again (with the same token), and a rotation may stop between any
//! two steps, so each step first reads where the secret stands and does only what is left.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::describe_secret::builders::DescribeSecretFluentBuilder;
use aws_sdk_secretsmanager::operation::describe_secret::{DescribeSecretError, DescribeSecretOutput};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use aws_sdk_secretsmanager::operation::put_secret_value::builders::PutSecretValueFluentBuilder;
use aws_sdk_secretsmanager::operation::put_secret_value::{PutSecretValueError, PutSecretValueOutput};
use aws_sdk_secretsmanager::operation::update_secret_version_stage::builders::UpdateSecretVersionStageFluentBuilder;
use aws_sdk_secretsmanager::operation::update_secret_version_stage::{
    UpdateSecretVersionStageError, UpdateSecretVersionStageOutput,
};
use conduit_aws::sending::Sending;
use conduit_aws::traced::traced;
use conduit_domain::values::{Session, UserId};
use conduit_telemetry::traces::attributes::AwsCall;

use crate::jwt::{JwtService, TokenError};
use crate::signing_keys::{KeyError, KeyRing, SigningKey, SigningKeySource, send_boxed};

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

/// The length of a new key, in characters of [`KEY_ALPHABET`]: 64 of 62 symbols carry 381 bits,
/// as long as the key CloudFormation generates for the secret.
const NEW_KEY_LENGTH: usize = 64;
/// Letters and digits: nothing a shell, JSON or a console would mangle.
const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One of Secrets Manager's rotation steps, by the name the event gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationStep {
    CreateSecret,
    SetSecret,
    TestSecret,
    FinishSecret,
}

impl RotationStep {
    pub fn from_name(name: &str) -> Result<Self, RotationError> {
        match name {
            "createSecret" => Ok(Self::CreateSecret),
            "setSecret" => Ok(Self::SetSecret),
            "testSecret" => Ok(Self::TestSecret),
            "finishSecret" => Ok(Self::FinishSecret),
            other => Err(RotationError::UnknownStep(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::CreateSecret => "createSecret",
            Self::SetSecret => "setSecret",
            Self::TestSecret => "testSecret",
            Self::FinishSecret => "finishSecret",
        }
    }
}

/// What a step did, for the log line of its invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// The token's version is `AWSCURRENT` already: this rotation has finished, nothing is left.
    AlreadyCurrent,
    /// A fresh key was put as the pending version.
    PendingKeyCreated,
    /// The pending version had its key already (a step run again).
    PendingKeyExists,
    /// `setSecret`: no other system holds the key, so there is nothing to hand it to.
    NothingToSet,
    /// `testSecret`: a token signed with the pending key verified with it.
    PendingKeyWorks,
    /// `finishSecret`: the pending version is now `AWSCURRENT`; `previous` held it before.
    MadeCurrent { previous: String },
}

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("the event names secret {requested}, but this function rotates {configured} only")]
    OtherSecret { requested: String, configured: String },
    #[error("{0:?} is not a rotation step (createSecret, setSecret, testSecret or finishSecret)")]
    UnknownStep(String),
    #[error("secret {secret_id} has no version {token}: a rotation starts with createSecret")]
    UnknownVersion { secret_id: String, token: String },
    #[error("version {token} of secret {secret_id} is not pending (its stages: {stages:?})")]
    NotPending { secret_id: String, token: String, stages: Vec<String> },
    #[error("secret {0} has no version labelled AWSCURRENT")]
    NoCurrentVersion(String),
    #[error("{operation} on secret {secret_id} failed")]
    Call {
        operation: &'static str,
        secret_id: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("the pending key (version {token}) cannot sign tokens")]
    UnusablePendingKey {
        token: String,
        #[source]
        source: KeyError,
    },
    #[error("a token signed with the pending key (version {token}) does not verify with it")]
    PendingKeyFailsVerification {
        token: String,
        #[source]
        source: TokenError,
    },
    #[error("step {step} did not finish within its time budget of {budget:?}")]
    OutOfTime { step: &'static str, budget: Duration },
}

/// The rotation of one signing secret.
#[derive(Debug, Clone)]
pub struct SigningKeyRotation {
    client: Client,
    secret_id: String,
    /// A whole step, every call in it: each call has its own budget in the client as well.
    step_budget: Duration,
}

impl SigningKeyRotation {
    pub fn new(client: Client, secret_id: impl Into<String>, step_budget: Duration) -> Self {
        Self { client, secret_id: secret_id.into(), step_budget }
    }

    /// Runs `step` of the rotation that makes version `token` of `secret_id`. Refuses any other
    /// secret than the one this rotation was built for: the function may be invoked by anyone
    /// allowed to, and must not be pointed at a secret it was not meant to change.
    pub async fn run(&self, step: RotationStep, secret_id: &str, token: &str) -> Result<StepOutcome, RotationError> {
        if secret_id != self.secret_id {
            return Err(RotationError::OtherSecret {
                requested: secret_id.to_owned(),
                configured: self.secret_id.clone(),
            });
        }
        tokio::time::timeout(self.step_budget, self.run_within_budget(step, token))
            .await
            .unwrap_or(Err(RotationError::OutOfTime { step: step.name(), budget: self.step_budget }))
    }

    async fn run_within_budget(&self, step: RotationStep, token: &str) -> Result<StepOutcome, RotationError> {
        let versions = self.versions().await?;
        match versions.get(token) {
            Some(stages) if stages.iter().any(|stage| stage == CURRENT) => return Ok(StepOutcome::AlreadyCurrent),
            Some(stages) if stages.iter().any(|stage| stage == PENDING) => {}
            // Secrets Manager labels the token's version before it calls createSecret; a version
            // not there yet is one createSecret is about to make (as when the steps are driven
            // directly, without RotateSecret).
            None if step == RotationStep::CreateSecret => {}
            None => {
                return Err(RotationError::UnknownVersion {
                    secret_id: self.secret_id.clone(),
                    token: token.to_owned(),
                });
            }
            Some(stages) => {
                return Err(RotationError::NotPending {
                    secret_id: self.secret_id.clone(),
                    token: token.to_owned(),
                    stages: stages.clone(),
                });
            }
        }
        match step {
            RotationStep::CreateSecret => self.create_pending_key(token).await,
            // The key signs and verifies tokens in this service's functions only, which read it
            // from the secret themselves: no database, no other service has to be told.
            RotationStep::SetSecret => Ok(StepOutcome::NothingToSet),
            RotationStep::TestSecret => self.test_pending_key(token).await,
            RotationStep::FinishSecret => self.make_current(token, &versions).await,
        }
    }

    /// Every version of the secret and its stages.
    async fn versions(&self) -> Result<HashMap<String, Vec<String>>, RotationError> {
        let described = traced(
            call("DescribeSecret"),
            send_describe(self.client.describe_secret().secret_id(&self.secret_id)),
            |_| false,
        )
        .await
        .map_err(|error| self.call_failed("DescribeSecret", error))?;
        Ok(described.version_ids_to_stages.unwrap_or_default())
    }

    async fn create_pending_key(&self, token: &str) -> Result<StepOutcome, RotationError> {
        // The version can exist without a value (RotateSecret labels it first), so whether the key
        // was created is read from the value itself.
        if self.pending_value(token).await?.is_some() {
            return Ok(StepOutcome::PendingKeyExists);
        }
        let request = self
            .client
            .put_secret_value()
            .secret_id(&self.secret_id)
            .client_request_token(token)
            .secret_string(new_key_text())
            // Moves the label off a version an interrupted rotation left pending.
            .version_stages(PENDING);
        let put = traced(call("PutSecretValue"), send_put(request), |_| false).await;
        match put {
            Ok(_) => Ok(StepOutcome::PendingKeyCreated),
            // A concurrent invocation of this step put its key first; that one stands.
            Err(error) if matches!(error.as_service_error(), Some(PutSecretValueError::ResourceExistsException(_))) => {
                Ok(StepOutcome::PendingKeyExists)
            }
            Err(error) => Err(self.call_failed("PutSecretValue", error)),
        }
    }

    async fn test_pending_key(&self, token: &str) -> Result<StepOutcome, RotationError> {
        let value = self.pending_value(token).await?.ok_or_else(|| RotationError::UnknownVersion {
            secret_id: self.secret_id.clone(),
            token: token.to_owned(),
        })?;
        let unusable = |source| RotationError::UnusablePendingKey { token: token.to_owned(), source };
        let key = SigningKey::new(token, value).map_err(unusable)?;
        // The round trip the functions make, through the same code, with only the pending key.
        let jwt = JwtService::new(
            SigningKeySource::Static(Arc::new(KeyRing { current: key, previous: None })),
            Duration::from_secs(60),
        );
        let session = Session::first(UserId::generate());
        let failed = |source| RotationError::PendingKeyFailsVerification { token: token.to_owned(), source };
        let signed = jwt.issue_for(session).await.map_err(failed)?;
        let verified = jwt.verify(&signed).await.map_err(failed)?;
        if verified.session != session {
            return Err(failed(TokenError::Invalid));
        }
        Ok(StepOutcome::PendingKeyWorks)
    }

    async fn make_current(
        &self,
        token: &str,
        versions: &HashMap<String, Vec<String>>,
    ) -> Result<StepOutcome, RotationError> {
        let previous = versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|stage| stage == CURRENT))
            .map(|(version, _)| version.clone())
            .ok_or_else(|| RotationError::NoCurrentVersion(self.secret_id.clone()))?;
        let request = self
            .client
            .update_secret_version_stage()
            .secret_id(&self.secret_id)
            .version_stage(CURRENT)
            .move_to_version_id(token)
            .remove_from_version_id(&previous);
        traced(call("UpdateSecretVersionStage"), send_update_stage(request), |_| false)
            .await
            .map_err(|error| self.call_failed("UpdateSecretVersionStage", error))?;
        Ok(StepOutcome::MadeCurrent { previous })
    }

    /// The pending version's value; `None` while it has none.
    async fn pending_value(&self, token: &str) -> Result<Option<Arc<[u8]>>, RotationError> {
        let request =
            self.client.get_secret_value().secret_id(&self.secret_id).version_id(token).version_stage(PENDING);
        let not_found = |error: &SdkError<GetSecretValueError>| {
            matches!(error.as_service_error(), Some(GetSecretValueError::ResourceNotFoundException(_)))
        };
        match traced(call("GetSecretValue"), send_boxed(request), not_found).await {
            Ok(output) => match (output.secret_string(), output.secret_binary()) {
                (Some(text), _) => Ok(Some(Arc::from(text.as_bytes()))),
                (None, Some(binary)) => Ok(Some(Arc::from(binary.as_ref()))),
                (None, None) => Ok(None),
            },
            Err(error) if not_found(&error) => Ok(None),
            Err(error) => Err(self.call_failed("GetSecretValue", error)),
        }
    }

    fn call_failed<E>(&self, operation: &'static str, error: SdkError<E>) -> RotationError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        RotationError::Call { operation, secret_id: self.secret_id.clone(), source: Box::new(error) }
    }
}

/// A new key: [`NEW_KEY_LENGTH`] characters drawn uniformly from [`KEY_ALPHABET`] with the
/// operating system's generator. Made here rather than by Secrets Manager's GetRandomPassword,
/// which would need one more permission (on every resource, as it names none) and one more call.
fn new_key_text() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    // The largest multiple of the alphabet's size that fits a byte: bytes beyond it are drawn
    // again, so that every character is equally likely.
    let accepted = u8::try_from(256 / KEY_ALPHABET.len() * KEY_ALPHABET.len()).unwrap_or(u8::MAX);
    let mut key = String::with_capacity(NEW_KEY_LENGTH);
    let mut bytes = [0u8; NEW_KEY_LENGTH];
    while key.len() < NEW_KEY_LENGTH {
        OsRng.fill_bytes(&mut bytes);
        for byte in bytes.iter().filter(|byte| **byte < accepted) {
            if key.len() == NEW_KEY_LENGTH {
                break;
            }
            key.push(char::from(KEY_ALPHABET[usize::from(*byte) % KEY_ALPHABET.len()]));
        }
    }
    key
}

/// The span of one Secrets Manager call.
fn call(operation: &'static str) -> AwsCall {
    AwsCall::start("SecretsManager", operation)
}

// `send()` compiled in this crate, not in the rotation function's binary (see `conduit_aws::sending`).

fn send_describe(request: DescribeSecretFluentBuilder) -> Sending<DescribeSecretOutput, DescribeSecretError> {
    Box::pin(request.send())
}

fn send_put(request: PutSecretValueFluentBuilder) -> Sending<PutSecretValueOutput, PutSecretValueError> {
    Box::pin(request.send())
}

fn send_update_stage(
    request: UpdateSecretVersionStageFluentBuilder,
) -> Sending<UpdateSecretVersionStageOutput, UpdateSecretVersionStageError> {
    Box::pin(request.send())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_64_letters_and_digits_and_never_the_same_twice() {
        // When two keys are made
        let first = new_key_text();
        let second = new_key_text();

        // Then each is 64 letters and digits, long enough to sign with, and they differ
        assert_eq!(first.len(), NEW_KEY_LENGTH);
        assert!(first.bytes().all(|byte| byte.is_ascii_alphanumeric()), "{first}");
        assert!(SigningKey::new("v", first.as_bytes()).is_ok());
        assert_ne!(first, second);
    }

    #[test]
    fn the_steps_are_known_by_the_names_secrets_manager_sends() {
        for step in
            [RotationStep::CreateSecret, RotationStep::SetSecret, RotationStep::TestSecret, RotationStep::FinishSecret]
        {
            assert_eq!(RotationStep::from_name(step.name()).expect("known"), step);
        }
        assert!(
            matches!(RotationStep::from_name("deleteSecret"), Err(RotationError::UnknownStep(name)) if name == "deleteSecret")
        );
    }
}
