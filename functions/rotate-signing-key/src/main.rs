use conduit_bootstrap::start;

fn main() -> std::process::ExitCode {
    start::event_function(env!("CARGO_PKG_NAME"), rotate_signing_key::RotateSigningKey::new)
}
