//! The tracer provider: X-Ray's id format (a trace id starts with its time, which X-Ray requires
//! and any other backend accepts), the resource of a Lambda function, the exporter chosen, behind
//! a batch processor, and whatever processors the host adds.
//!
//! The batch processor runs on a thread of its own: ending a span only queues it, so nothing is
//! exported on the response path; [`Traces::flush`] exports after the answer.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_aws::detector::LambdaResourceDetector;
use opentelemetry_aws::trace::XrayIdGenerator;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanProcessor, TracerProviderBuilder,
};

use super::{ExporterChoice, TracesError, otlp, xray_daemon};

/// The instrumentation scope every span of ours is in.
const SCOPE: &str = "conduit";

type AddProcessor = Box<dyn FnOnce(TracerProviderBuilder) -> TracerProviderBuilder + Send>;

/// What to build: where spans go, the service they come from, and the host's own processors.
pub struct TracesSetup {
    service_name: String,
    exporter: Result<ExporterChoice, TracesError>,
    processors: Vec<AddProcessor>,
}

impl TracesSetup {
    /// The exporter the environment chooses ([`ExporterChoice::from_env`]) for `service_name`
    /// (the function's name; `OTEL_SERVICE_NAME` wins when set). A variable that does not make
    /// sense is reported by [`super::install`].
    pub fn from_env(service_name: &str) -> Self {
        Self { service_name: service_name.to_owned(), exporter: ExporterChoice::from_env(), processors: Vec::new() }
    }

    pub fn new(service_name: &str, exporter: ExporterChoice) -> Self {
        Self { service_name: service_name.to_owned(), exporter: Ok(exporter), processors: Vec::new() }
    }

    /// Also hands every span to `processor` (the local gateway keeps the recent traces this way).
    /// With a processor, the pipeline is built even when the exporter is `None`.
    pub fn with_span_processor(mut self, processor: impl SpanProcessor + 'static) -> Self {
        self.processors.push(Box::new(move |builder: TracerProviderBuilder| builder.with_span_processor(processor)));
        self
    }

    /// The pipeline, or `None` when it would export nowhere.
    pub(super) fn build(self) -> Result<Option<Traces>, TracesError> {
        let exporter = self.exporter?;
        if exporter == ExporterChoice::None && self.processors.is_empty() {
            return Ok(None);
        }
        let mut builder = SdkTracerProvider::builder()
            .with_id_generator(XrayIdGenerator::default())
            .with_resource(resource(&self.service_name));
        builder = match exporter {
            ExporterChoice::Xray { daemon } => {
                builder.with_span_processor(BatchSpanProcessor::builder(xray_daemon::exporter(daemon)?).build())
            }
            ExporterChoice::Otlp => {
                let runtime = tokio::runtime::Handle::try_current().map_err(|_| TracesError::NoRuntime)?;
                builder.with_span_processor(BatchSpanProcessor::builder(otlp::exporter(runtime)?).build())
            }
            ExporterChoice::None => builder,
        };
        for add in self.processors {
            builder = add(builder);
        }
        let provider = builder.build();
        let tracer = provider.tracer(SCOPE);
        Ok(Some(Traces { provider, tracer, exporter }))
    }
}

/// The resource: the Lambda function (cloud.*, faas.*, from Lambda's variables) and the service,
/// unless `OTEL_SERVICE_NAME` names it (`OTEL_RESOURCE_ATTRIBUTES` is read too).
fn resource(service_name: &str) -> Resource {
    let builder = Resource::builder().with_detector(Box::new(LambdaResourceDetector));
    let named_by_environment = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|name| !name.trim().is_empty());
    if named_by_environment { builder.build() } else { builder.with_service_name(service_name.to_owned()).build() }
}

/// An installed pipeline.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    exporter: ExporterChoice,
}

impl Traces {
    /// Exports every span ended so far; bounded by the exporter's timeout and the SDK's limit
    /// for a flush (five seconds). A failure is logged: a lost trace must not fail anything.
    pub fn flush(&self) {
        if let Err(error) = self.provider.force_flush() {
            tracing::warn!(error = %error, "traces could not be exported");
        }
    }

    /// Where the spans go.
    pub fn exporter(&self) -> ExporterChoice {
        self.exporter
    }

    pub fn provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    pub(crate) fn tracer(&self) -> &SdkTracer {
        &self.tracer
    }
}
