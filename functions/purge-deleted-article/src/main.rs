use conduit_bootstrap::start;

fn main() -> std::process::ExitCode {
    start::stream_consumer(env!("CARGO_PKG_NAME"), purge_deleted_article::PurgeConsumer::new)
}
