//! The DynamoDB Local process wrapper against the installed engine (infra/test.sh installs it and
//! sets `DYNAMODB_LOCAL_DIR`; without it the wrapper finds the copy under .tools/).

use std::net::TcpStream;
use std::time::{Duration, Instant};

use conduit_dynamodb_local::{DynamoDbLocal, local_sdk_config};

/// How long a killed engine may take to let go of its port.
const RELEASE_LIMIT: Duration = Duration::from_secs(20);

async fn table_names(endpoint: &str) -> Vec<String> {
    let client = aws_sdk_dynamodb::Client::new(&local_sdk_config(endpoint));
    let tables = client.list_tables().send().await.expect("DynamoDB Local answered");
    tables.table_names().to_vec()
}

async fn wait_until_closed(address: &str) {
    let deadline = Instant::now() + RELEASE_LIMIT;
    while TcpStream::connect(address).is_ok() {
        assert!(Instant::now() < deadline, "the dropped engine still listens on {address}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// One test, two engines one after the other: a port picked as free and then released could be
// taken by an engine started in parallel, and the check would then see the wrong one.
#[tokio::test]
async fn given_no_port_it_serves_on_a_free_one_until_dropped_and_given_that_port_it_serves_there() {
    let first = DynamoDbLocal::start(None).await.expect("DynamoDB Local started on a free port");
    let endpoint = first.endpoint().to_owned();
    let first_tables = table_names(&endpoint).await;
    let port = first.port();
    drop(first);
    wait_until_closed(&format!("127.0.0.1:{port}")).await;

    let second = DynamoDbLocal::start(Some(port)).await.expect("DynamoDB Local started on the given port");
    let second_tables = table_names(second.endpoint()).await;

    assert_eq!(endpoint, format!("http://127.0.0.1:{port}"));
    assert!(first_tables.is_empty(), "an in-memory engine starts empty: {first_tables:?}");
    assert_eq!(second.endpoint(), endpoint);
    assert_eq!(second.port(), port);
    assert!(second_tables.is_empty(), "nothing survives a dropped in-memory engine: {second_tables:?}");
}
