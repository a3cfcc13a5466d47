//! A test binary of its own: it changes `DYNAMODB_LOCAL_DIR`, which no other test may see.

use conduit_dynamodb_local::{DynamoDbLocal, StartError};

#[test]
fn given_a_directory_without_the_engine_when_started_then_the_error_names_that_directory() {
    let empty = std::env::temp_dir().join(format!("no-dynamodb-local-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("an empty directory");
    // SAFETY: the only test of this binary, and nothing else of it runs or reads the environment.
    unsafe { std::env::set_var("DYNAMODB_LOCAL_DIR", &empty) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");

    let started = runtime.block_on(DynamoDbLocal::start(None));

    let _ = std::fs::remove_dir(&empty);
    let Err(error) = started else { panic!("started without an engine in {}", empty.display()) };
    assert!(matches!(&error, StartError::NotInstalled(dir) if *dir == empty), "{error:?}");
    assert!(error.to_string().contains(&empty.display().to_string()), "{error}");
}
