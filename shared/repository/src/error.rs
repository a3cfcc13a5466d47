use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::StoreError;

/// What can go wrong in this layer. SDK errors are kept whole as sources (never flattened into
/// strings) so the logs show the service's own code and message.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("DynamoDB {operation} failed")]
    Request {
        operation: &'static str,
        /// DynamoDB was unreachable, too slow or throttling (see `conduit_aws::errors`).
        transient: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored item {key} cannot be read back")]
    CorruptItem {
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Unprocessed items or transaction conflicts outlived every retry: contention or throttling.
    #[error("DynamoDB {operation} left {unprocessed} items unprocessed after every retry")]
    Throttled { operation: &'static str, unprocessed: usize },
    #[error("item cannot be encoded")]
    Encoding(#[from] serde_dynamo::Error),
}

impl RepositoryError {
    /// A request we could not even build: a defect, never worth retrying.
    pub(crate) fn request(operation: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Request { operation, transient: false, source: Box::new(source) }
    }

    /// A call DynamoDB failed, classified as an outage or not.
    pub(crate) fn sdk<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Self::Request { operation, transient: conduit_aws::errors::is_transient(&error), source: Box::new(error) }
    }

    /// DynamoDB could not serve us just now; the same request may well succeed shortly.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Request { transient: true, .. } | Self::Throttled { .. })
    }
}

impl From<RepositoryError> for StoreError {
    fn from(error: RepositoryError) -> Self {
        let failure = if error.is_transient() {
            InfrastructureError::unavailable("storage", "DynamoDB", error)
        } else {
            InfrastructureError::new("storage", error)
        };
        StoreError::Infrastructure(failure)
    }
}
