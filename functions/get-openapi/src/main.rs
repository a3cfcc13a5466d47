use conduit_bootstrap::start;

fn main() -> std::process::ExitCode {
    start::self_contained_endpoint(env!("CARGO_PKG_NAME"), || Ok(get_openapi::GetOpenApiEndpoint::new()?))
}
