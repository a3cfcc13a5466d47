//! An SDK request on its way, boxed: what an adapter's `send_boxed` returns.
//!
//! Why: the body of an `async` function, the SDK's included, is compiled into every crate that
//! awaits it, so each of the thirty function binaries compiled the SDK's request pipeline again
//! for every operation it reached (a third of each binary's build time). An adapter that sends
//! through a non-generic function returning this type has the pipeline compiled once, in its own
//! crate, and the binaries only call it. The box is one allocation per call, nothing beside the
//! network round trip it waits for.

use std::future::Future;
use std::pin::Pin;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

pub type Sending<Output, Error> = Pin<Box<dyn Future<Output = Result<Output, SdkError<Error, HttpResponse>>> + Send>>;
