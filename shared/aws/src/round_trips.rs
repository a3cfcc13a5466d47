//! Tells the request's capacity meter when each DynamoDB call starts and ends, so it can count
//! sequential round trips (see `conduit_telemetry::capacity`). Once per operation, retries
//! included, whatever code made the call.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug)]
pub(crate) struct RoundTripInterceptor;

impl Intercept for RoundTripInterceptor {
    fn name(&self) -> &'static str {
        "RoundTripInterceptor"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        conduit_telemetry::capacity::call_started();
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        conduit_telemetry::capacity::call_ended();
        Ok(())
    }
}
