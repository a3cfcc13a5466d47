use std::error::Error as StdError;

/// Why a migration command could not do what was asked. Checkpoints already written stay: the
/// next run resumes from them.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("another run ({holder}) holds the migration lease until {until}; try again after that")]
    LeaseHeld { holder: String, until: String },
    #[error("this run lost the migration lease to another run, which carries on from the checkpoints")]
    LeaseLost,
    #[error("DynamoDB refused {action}")]
    DynamoDb {
        action: &'static str,
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    #[error("the migration record {key} is not readable: {problem}")]
    CorruptRecord { key: String, problem: String },
    #[error("item {key} kept changing while migration {migration} rewrote it")]
    Contended { migration: &'static str, key: String },
    #[error("out of time: migration {migration} stopped at its last checkpoint; run again to resume")]
    OutOfTime { migration: &'static str },
}

/// Wraps an SDK error as the failure of `action`.
pub(crate) fn dynamodb<E: StdError + Send + Sync + 'static>(action: &'static str) -> impl FnOnce(E) -> MigrationError {
    move |source| MigrationError::DynamoDb { action, source: Box::new(source) }
}
