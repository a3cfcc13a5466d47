//! The rotation function of the signing secret. Secrets Manager invokes it once per rotation step
//! (on the template's RotationSchedule, or on `aws secretsmanager rotate-secret`), each time with
//! the secret and the token of the version being made. A step that fails answers an error: that is
//! how Secrets Manager learns of it, and it invokes the step again. See docs/authentication.md.

use aws_lambda_events::event::secretsmanager::SecretsManagerSecretRotationEvent;
use conduit_bootstrap::start::EventFunction;
use conduit_bootstrap::{Adapters, RotationError, RotationStep, SigningKeyRotation, StartupError, StepOutcome};
use conduit_telemetry::process::one_line;
use lambda_runtime::{Diagnostic, LambdaEvent};

pub type RotationEvent = SecretsManagerSecretRotationEvent;

pub struct RotateSigningKey {
    rotation: SigningKeyRotation,
}

impl RotateSigningKey {
    /// Builds a Secrets Manager client for `SIGNING_SECRET_ID`, the one secret it may rotate.
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { rotation: adapters.signing_key_rotation()? })
    }

    /// Runs the step the event names.
    pub async fn rotate(&self, event: &RotationEvent) -> Result<StepOutcome, RotationError> {
        let step = RotationStep::from_name(&event.step)?;
        self.rotation.run(step, &event.secret_id, &event.client_request_token).await
    }
}

impl EventFunction for RotateSigningKey {
    type Request = RotationEvent;
    /// Secrets Manager reads nothing from the answer, only whether the invocation failed.
    type Response = ();

    async fn handle(&self, event: LambdaEvent<RotationEvent>) -> Result<(), Diagnostic> {
        let rotation = &event.payload;
        match self.rotate(rotation).await {
            Ok(outcome) => {
                tracing::info!(
                    step = %rotation.step,
                    secret_id = %rotation.secret_id,
                    version = %rotation.client_request_token,
                    outcome = ?outcome,
                    "rotation step done"
                );
                Ok(())
            }
            Err(error) => {
                let message = one_line(&error);
                tracing::error!(
                    request_id = %event.context.request_id,
                    step = %rotation.step,
                    secret_id = %rotation.secret_id,
                    version = %rotation.client_request_token,
                    error = %message,
                    "rotation step failed"
                );
                Err(Diagnostic { error_type: "RotationStepFailed".to_owned(), error_message: message })
            }
        }
    }
}
