//! The DynamoDB Local process wrapper against the installed engine (infra/test.sh installs it and
//! sets `DYNAMODB_LOCAL_DIR`; without it the wrapper finds the copy under .tools/).

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use conduit_dynamodb_local::{DynamoDbLocal, local_sdk_config};

/// How long a killed engine may take to let go of its port.
const RELEASE_LIMIT: Duration = Duration::from_secs(20);

fn accepts_connections(address: &str) -> bool {
    TcpStream::connect(address).is_ok()
}

#[tokio::test]
async fn given_no_port_when_started_then_it_serves_dynamodb_on_a_free_one_until_dropped() {
    let engine = DynamoDbLocal::start(None).await.expect("DynamoDB Local started");
    let endpoint = engine.endpoint().to_owned();
    let client = aws_sdk_dynamodb::Client::new(&local_sdk_config(&endpoint));

    let tables = client.list_tables().send().await.expect("DynamoDB Local answered");
    drop(engine);

    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    assert!(tables.table_names().is_empty(), "an in-memory engine starts empty: {tables:?}");
    let address = endpoint.trim_start_matches("http://");
    let deadline = Instant::now() + RELEASE_LIMIT;
    while accepts_connections(address) {
        assert!(Instant::now() < deadline, "the dropped engine still listens on {address}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn given_a_port_when_started_then_it_listens_on_that_port() {
    let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("bound").port();

    let engine = DynamoDbLocal::start(Some(port)).await.expect("DynamoDB Local started");

    assert_eq!(engine.endpoint(), format!("http://127.0.0.1:{port}"));
    assert!(accepts_connections(&format!("127.0.0.1:{port}")));
}
