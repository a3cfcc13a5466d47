use conduit_domain::error::InfrastructureError;
use conduit_domain::ports::StoreError;

/// What can go wrong in this layer. SDK errors are kept whole as sources (never flattened into
/// strings) so the logs show the service's own code and message.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("DynamoDB {operation} failed")]
    Request {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored item {key} cannot be read back")]
    CorruptItem {
        key: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("DynamoDB {operation} left {unprocessed} items unprocessed after every retry")]
    Throttled { operation: &'static str, unprocessed: usize },
    #[error("item cannot be encoded")]
    Encoding(#[from] serde_dynamo::Error),
}

impl RepositoryError {
    pub(crate) fn request(operation: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Request { operation, source: Box::new(source) }
    }
}

impl From<RepositoryError> for StoreError {
    fn from(error: RepositoryError) -> Self {
        StoreError::Infrastructure(InfrastructureError::new("storage", error))
    }
}
