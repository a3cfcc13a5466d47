//! Whether a failed AWS call means "the dependency is unavailable, slow or throttling: try again
//! shortly" (a 503 for the client) or something that retrying will not fix (a 500: our defect or
//! our configuration).

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Error codes AWS services use for throttling and for their own passing trouble. DynamoDB's and
/// Secrets Manager's are here; the SDK's own retry classifier treats the same codes as retryable.
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "LimitExceededException",
    "TooManyRequestsException",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "RequestTimeout",
    "RequestTimeoutException",
];

/// True when the call failed because the service could not be reached in time, refused or reset
/// the connection, throttled us, or reported a fault of its own.
pub fn is_transient<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout() || failure.is_other(),
        SdkError::ServiceError(service) => {
            service.err().code().is_some_and(|code| TRANSIENT_CODES.contains(&code))
                || service.raw().status().is_server_error()
        }
        SdkError::ConstructionFailure(_) => false,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::client::result::{ConnectorError, DispatchFailure, ServiceError};
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn service_error(code: &str, status: u16) -> SdkError<ErrorMetadata, HttpResponse> {
        let raw = HttpResponse::new(StatusCode::try_from(status).expect("status"), SdkBody::empty());
        SdkError::ServiceError(
            ServiceError::builder().source(ErrorMetadata::builder().code(code).build()).raw(raw).build(),
        )
    }

    #[test]
    fn throttling_and_service_faults_are_transient() {
        assert!(is_transient(&service_error("ProvisionedThroughputExceededException", 400)));
        assert!(is_transient(&service_error("ThrottlingException", 400)));
        assert!(is_transient(&service_error("SomethingNew", 503)));
    }

    #[test]
    fn a_refused_request_of_ours_is_not_transient() {
        assert!(!is_transient(&service_error("ValidationException", 400)));
        assert!(!is_transient(&service_error("AccessDeniedException", 400)));
    }

    #[test]
    fn an_unreachable_or_silent_service_is_transient() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let dispatch: SdkError<ErrorMetadata, HttpResponse> =
            SdkError::DispatchFailure(DispatchFailure::builder().source(ConnectorError::io(refused.into())).build());
        let timeout: SdkError<ErrorMetadata, HttpResponse> = SdkError::timeout_error("attempt timed out");

        assert!(is_transient(&dispatch));
        assert!(is_transient(&timeout));
    }
}
