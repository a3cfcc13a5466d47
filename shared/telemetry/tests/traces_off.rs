//! Traces turned off (`OTEL_TRACES_EXPORTER=none`, the template's `TracesExporter: none`): no
//! provider is installed, and a sampled invocation, even beside a running daemon, exports nothing.

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Duration;

use conduit_telemetry::RequestContext;
use conduit_telemetry::traces::attributes::AwsCall;
use conduit_telemetry::traces::lambda::{InvocationTracing, Trigger};
use conduit_telemetry::traces::{TracesSetup, current_traceparent, installed};
use lambda_runtime::tower::{Layer, Service, service_fn};
use lambda_runtime::{Config, Context, LambdaInvocation};
use tracing::Instrument;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_traces_off_nothing_is_installed_and_nothing_is_sent() {
    // Given a daemon beside the function, and traces turned off.
    let daemon = UdpSocket::bind("127.0.0.1:0").expect("daemon socket");
    daemon.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    // SAFETY: set before anything else in this test binary, its only test, reads the environment.
    unsafe {
        std::env::set_var("AWS_XRAY_DAEMON_ADDRESS", daemon.local_addr().expect("address").to_string());
        std::env::set_var("OTEL_TRACES_EXPORTER", "none");
    }

    // When the function starts...
    let traces = conduit_telemetry::init_with_traces(TracesSetup::from_env("login-user"));

    // ...then no pipeline is installed...
    assert!(traces.is_none() && installed().is_none());

    // ...and a sampled invocation that calls DynamoDB sends nothing and has no trace context.
    let handler = service_fn(|_: LambdaInvocation| async {
        let (span, _) = RequestContext { request_id: "request-1".into(), ..RequestContext::default() }.span();
        let traceparent = async {
            let call = AwsCall::start("DynamoDB", "GetItem").on_table("conduit-test");
            call.finish(None, false);
            current_traceparent()
        }
        .instrument(span)
        .await;
        assert_eq!(traceparent, None);
        Ok::<(), lambda_runtime::Error>(())
    });
    let mut context = Context::default();
    context.xray_trace_id = Some("Root=1-6b14e1ac-8a0d6cbb9554cfeb1d397275;Parent=53995c3f42cd8ad8;Sampled=1".into());
    context.env_config = Arc::new(Config { function_name: "login-user".into(), ..Config::default() });
    let (parts, _) = http::Response::new(()).into_parts();
    let mut function = InvocationTracing::new(Trigger::Http).layer(handler);
    function.call(LambdaInvocation { parts, body: Default::default(), context }).await.expect("answered");
    let mut buffer = [0u8; 65_536];
    assert!(daemon.recv(&mut buffer).is_err(), "a datagram was sent");
}
