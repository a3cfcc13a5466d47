//! The deploy hook. `template.yaml` declares the custom resource `Migrations`, served by this
//! function, and makes every other function depend on it. On a deploy that changes the migration
//! catalog, CloudFormation therefore calls this function before it touches any other one: it
//! applies the pending data migrations and answers SUCCESS, and only then does CloudFormation
//! update the functions, so new code never serves a table without the migrations it reads. A
//! FAILED answer fails the deploy and CloudFormation rolls the stack back; the migrations only
//! expand, so the previous code keeps working on a partly migrated table, and the checkpoints
//! stay for the next deploy to resume from.
//!
//! Every request that can be answered is answered: an unanswered one holds the stack until the
//! resource's ServiceTimeout. The migrations stop [`ANSWER_MARGIN`] before the invocation's
//! deadline, to leave time for the answer.

mod answer;
mod request;
mod response;

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceResponse;
use conduit_bootstrap::start::EventFunction;
use conduit_bootstrap::{Adapters, StartupError};
use conduit_migrations::{Applied, MigrationError, Migrator, Progress, Settings, catalog};
use conduit_telemetry::process::one_line;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

pub use crate::answer::{AnswerBudget, ResponseSender, Unanswered};
use crate::request::{Action, CustomResourceRequest, Unreadable, requested_catalog};
use crate::response::{Outcome, response};

/// Kept free at the end of an invocation: the lease's release and the answer (with its retries,
/// see [`AnswerBudget`]) run in it.
pub const ANSWER_MARGIN: Duration = Duration::from_secs(60);
/// How often a run blocked by another run's lease tries again. A run that timed out or was killed
/// leaves its lease, which expires a minute after its last checkpoint.
pub const LEASE_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// What the hook needs to know of one invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// When Lambda stops the invocation.
    pub deadline: Instant,
    /// The CloudWatch log stream the invocation writes to, named in a failure's Reason.
    pub log_stream: String,
}

impl Invocation {
    pub fn of(context: &lambda_runtime::Context) -> Self {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
        let remaining_ms = u128::from(context.deadline).saturating_sub(now_ms);
        let remaining = Duration::from_millis(u64::try_from(remaining_ms).unwrap_or(u64::MAX));
        Self { deadline: Instant::now() + remaining, log_stream: context.env_config.log_stream.clone() }
    }
}

/// The handler of the `Migrations` custom resource, on one table.
pub struct MigrationsHook {
    client: aws_sdk_dynamodb::Client,
    table: String,
    sender: ResponseSender,
}

impl MigrationsHook {
    pub fn new(adapters: &Adapters) -> Self {
        Self {
            client: conduit_aws::clients::dynamodb(adapters.aws_settings(), &adapters.time_budget()),
            table: adapters.table_name().to_owned(),
            sender: ResponseSender::new(AnswerBudget::default()),
        }
    }

    /// [`Self::new`] shaped as every function's constructor is, for the start-up path.
    pub fn try_new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self::new(adapters))
    }

    /// The resource's id from its creation on: one per table, the same on every update (a new id
    /// would make CloudFormation delete the old resource).
    fn physical_resource_id(&self) -> String {
        format!("{}-migrations", self.table)
    }

    /// Does what CloudFormation asks and answers it; the response sent, or why none could be.
    pub async fn handle(
        &self,
        event: Value,
        invocation: &Invocation,
    ) -> Result<CloudFormationCustomResourceResponse, Unanswered> {
        let (addressee, physical_resource_id, outcome) = match CustomResourceRequest::read(event) {
            Ok(request) => {
                tracing::info!(
                    request_type = request.action.name(),
                    logical_resource_id = %request.addressee.logical_resource_id,
                    stack_id = %request.addressee.stack_id,
                    table = %self.table,
                    "CloudFormation request"
                );
                let requested = request.requested_migrations.as_deref();
                let (physical_resource_id, outcome) = match request.action {
                    Action::Create => (self.physical_resource_id(), self.migrate(requested, invocation).await),
                    Action::Update { physical_resource_id } => {
                        (physical_resource_id, self.migrate(requested, invocation).await)
                    }
                    // The table is retained when the stack goes (DeletionPolicy: Retain), in the
                    // shape the migrations gave it, which the previous release reads too: there is
                    // nothing to undo, on a stack's deletion as on a rollback.
                    Action::Delete { physical_resource_id } => (physical_resource_id, Outcome::NothingToUndo),
                };
                (request.addressee, physical_resource_id, outcome)
            }
            Err(Unreadable::NoResponseUrl) => return Err(Unanswered::NoResponseUrl),
            Err(Unreadable::Request { addressee, problem }) => {
                let physical_resource_id =
                    addressee.physical_resource_id.clone().unwrap_or_else(|| self.physical_resource_id());
                let failure = format!("the custom resource request cannot be read: {problem}");
                (*addressee, physical_resource_id, Outcome::Failed(failure.replace(['\n', '\r'], " ")))
            }
        };
        if let Outcome::Failed(failure) = &outcome {
            tracing::error!(failure = %failure, "answering CloudFormation FAILED");
        }
        let response =
            response(&addressee, physical_resource_id, &outcome, &invocation.log_stream, catalog::fingerprint());
        let body = serde_json::to_vec(&response).expect("a response of strings serialises");
        self.sender.send(&addressee.response_url, body).await?;
        tracing::info!(status = ?response.status, reason = response.reason.as_deref().unwrap_or_default(), "CloudFormation answered");
        Ok(response)
    }

    async fn migrate(&self, requested: Option<&str>, invocation: &Invocation) -> Outcome {
        let in_table = |failure: String| Outcome::Failed(format!("table {}: {failure}", self.table));
        let migrations = match requested_catalog(requested) {
            Ok(migrations) => migrations,
            Err(mismatch) => return in_table(one_line(&mismatch)),
        };
        let deadline = invocation.deadline.checked_sub(ANSWER_MARGIN).unwrap_or_else(Instant::now);
        let settings = Settings { deadline: Some(deadline), ..Settings::default() };
        let migrator = Migrator::new(self.client.clone(), &self.table).with_catalog(migrations).with_settings(settings);
        // Boxed: the runner's future nests deep enough to exceed the compiler's layout depth
        // limit inside the runtime's.
        let up = || Box::pin(migrator.up(&log_checkpoint));
        match up_once_lease_is_free(up, deadline, LEASE_RETRY_PAUSE).await {
            Ok(applied) => Outcome::Migrated(applied.into_iter().map(|applied| applied.id).collect()),
            Err(error @ MigrationError::OutOfTime { .. }) => in_table(format!(
                "{} (the next deploy resumes it; conduit-migrate up can apply it before the deploy)",
                one_line(&error)
            )),
            Err(error) => in_table(one_line(&error)),
        }
    }
}

/// Runs `up` again while another run holds the lease and there is time to wait for it.
async fn up_once_lease_is_free<Up, Running>(
    mut up: Up,
    deadline: Instant,
    pause: Duration,
) -> Result<Vec<Applied>, MigrationError>
where
    Up: FnMut() -> Running,
    Running: Future<Output = Result<Vec<Applied>, MigrationError>>,
{
    loop {
        match up().await {
            Err(MigrationError::LeaseHeld { holder, until }) if Instant::now() + pause < deadline => {
                tracing::info!(%holder, %until, "another run holds the migration lease; waiting for it to end or expire");
                tokio::time::sleep(pause).await;
            }
            outcome => return outcome,
        }
    }
}

/// One log line per finished scan segment; each checkpoint at DEBUG.
fn log_checkpoint(progress: &Progress) {
    if progress.segment_done {
        tracing::info!(
            migration = progress.migration,
            segment = progress.segment,
            segments = progress.segments,
            scanned = progress.scanned,
            rewritten = progress.rewritten,
            "migration segment done"
        );
    } else {
        tracing::debug!(
            migration = progress.migration,
            segment = progress.segment,
            scanned = progress.scanned,
            rewritten = progress.rewritten,
            "migration checkpoint"
        );
    }
}

/// CloudFormation's requests, served until Lambda stops the process. An invocation fails only
/// when CloudFormation could not be told (Lambda then retries it); a failed migration is a FAILED
/// answer, which fails the deploy.
impl EventFunction for MigrationsHook {
    type Request = Value;
    type Response = CloudFormationCustomResourceResponse;

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Self::Response, Diagnostic> {
        let invocation = Invocation::of(&event.context);
        // The inherent `handle`: the request and the invocation it came in.
        MigrationsHook::handle(self, event.payload, &invocation).await.map_err(|unanswered| {
            let message = one_line(&unanswered);
            tracing::error!(error = %message, "CloudFormation could not be answered");
            Diagnostic { error_type: "Unanswered".to_owned(), error_message: message }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn held() -> MigrationError {
        MigrationError::LeaseHeld { holder: "run-01".into(), until: "2026-01-01T00:01:00Z".into() }
    }

    #[tokio::test]
    async fn a_lease_left_by_an_earlier_run_is_waited_for_then_the_migrations_run() {
        // Given a lease that is still held on the first two tries
        let tries = AtomicUsize::new(0);
        let up = || {
            let attempt = tries.fetch_add(1, Ordering::SeqCst) + 1;
            async move { if attempt <= 2 { Err(held()) } else { Ok(Vec::new()) } }
        };

        // When the hook runs with time to spare
        let outcome =
            up_once_lease_is_free(up, Instant::now() + Duration::from_secs(5), Duration::from_millis(5)).await;

        // Then it tried again until the lease was free
        assert!(outcome.is_ok(), "{outcome:?}");
        assert_eq!(tries.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_lease_still_held_when_time_runs_out_is_the_failure() {
        let tries = AtomicUsize::new(0);
        let up = || {
            tries.fetch_add(1, Ordering::SeqCst);
            async { Err(held()) }
        };

        let outcome =
            up_once_lease_is_free(up, Instant::now() + Duration::from_millis(50), Duration::from_millis(20)).await;

        assert!(matches!(outcome, Err(MigrationError::LeaseHeld { .. })), "{outcome:?}");
        assert!((2..=3).contains(&tries.load(Ordering::SeqCst)), "{}", tries.load(Ordering::SeqCst));
    }
}
