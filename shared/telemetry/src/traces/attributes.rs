//! The attributes spans carry, in OpenTelemetry's semantic conventions, which both X-Ray's
//! translator and OTLP backends read: the request's (`http.*`, the request id), and each AWS
//! call's (`rpc.*`, `aws.*`, `cloud.region`). Without a pipeline these only touch a span nobody
//! exports.
//!
//! `rpc.system` and `rpc.service` are the conventions' older names: X-Ray's translator and the
//! AWS SDKs still use them (it shows a call with `rpc.system = aws-api` as an AWS call).

use std::sync::OnceLock;

use opentelemetry::trace::Status;
use opentelemetry::{Array, StringValue, Value};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The request id attribute, indexed in X-Ray (an annotation), as the logs name it.
pub const REQUEST_ID: &str = "request_id";

/// Describes the request `span` serves: its method and API Gateway's route (`GET /api/articles/{slug}`).
pub fn http_request(span: &Span, method: &str, route: &str) {
    span.set_attribute("http.request.method", method.to_owned());
    if !route.is_empty() {
        span.set_attribute("http.route", route.to_owned());
    }
}

/// The status the request was answered with; a 5xx marks the span as failed.
pub fn http_response(span: &Span, status: u16) {
    span.set_attribute("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.set_status(Status::error(""));
    }
}

/// One call to an AWS service (`DynamoDB.GetItem`): a client span under the current one.
#[must_use = "a call's span records nothing unless the call runs in it"]
pub struct AwsCall {
    span: Span,
}

impl AwsCall {
    /// `service` and `operation` as AWS names them (`DynamoDB`, `GetItem`).
    pub fn start(service: &'static str, operation: &'static str) -> Self {
        let span = tracing::info_span!(
            "aws_call",
            otel.name = %format_args!("{service}.{operation}"),
            otel.kind = "client",
            rpc.system = "aws-api",
            rpc.service = service,
            rpc.method = operation,
            cloud.region = Empty,
            aws.request_id = Empty,
        );
        if !region().is_empty() {
            span.record("cloud.region", region());
        }
        Self { span }
    }

    /// The DynamoDB table the call reads or writes (an array attribute, as the conventions say).
    pub fn on_table(self, table: &str) -> Self {
        let names = Array::String(vec![StringValue::from(table.to_owned())]);
        self.span.set_attribute("aws.dynamodb.table_names", Value::Array(names));
        self
    }

    /// The span to run the call in.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Records how the call ended: AWS's request id, when it answered, and whether it failed.
    pub fn finish(&self, request_id: Option<&str>, failed: bool) {
        if let Some(request_id) = request_id {
            self.span.record("aws.request_id", request_id);
        }
        if failed {
            self.span.set_status(Status::error(""));
        }
    }
}

/// The function's region, read once.
fn region() -> &'static str {
    static REGION: OnceLock<String> = OnceLock::new();
    REGION.get_or_init(|| std::env::var("AWS_REGION").unwrap_or_default())
}
