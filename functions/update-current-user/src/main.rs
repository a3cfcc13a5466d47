use conduit_bootstrap::start;

fn main() -> std::process::ExitCode {
    start::http_endpoint(env!("CARGO_PKG_NAME"), update_current_user::UpdateCurrentUserEndpoint::new)
}
