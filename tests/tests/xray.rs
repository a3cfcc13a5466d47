//! X-Ray: with a sampled trace header, each request sends the daemon a subsegment for its handler
//! and one per DynamoDB call, in the trace and under the segment the header names.

use std::net::UdpSocket;
use std::time::Duration;

use conduit_api_tests::{TestApi, registration};
use serde_json::Value;

const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
const PARENT: &str = "53995c3f42cd8ad8";

fn received(daemon: &UdpSocket) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut buffer = [0u8; 65_536];
    while let Ok(length) = daemon.recv(&mut buffer) {
        let datagram = String::from_utf8_lossy(&buffer[..length]).into_owned();
        let (header, body) = datagram.split_once('\n').expect("a header line, then the document");
        assert_eq!(header, r#"{"format":"json","version":1}"#);
        documents.push(serde_json::from_str(body).expect("a JSON segment document"));
    }
    documents
}

#[tokio::test]
async fn a_traced_request_reports_its_handler_and_each_dynamodb_call() {
    // Given a daemon listening, and the trace header the Lambda runtime sets per invocation.
    let daemon = UdpSocket::bind("127.0.0.1:0").expect("daemon socket");
    daemon.set_read_timeout(Some(Duration::from_millis(300))).expect("timeout");
    // SAFETY: set before this test binary's only test starts any other thread that reads them.
    unsafe {
        std::env::set_var("AWS_XRAY_DAEMON_ADDRESS", daemon.local_addr().expect("address").to_string());
        std::env::set_var("_X_AMZN_TRACE_ID", format!("Root={ROOT};Parent={PARENT};Sampled=1"));
    }
    let api = TestApi::start().await;

    // When a user registers and then logs in.
    let (registered, _) = api.measure_with_body("POST", "/users", Some(registration("jake")), None).await;
    let login = serde_json::json!({"user": {"email": "jake@example.com", "password": "password-jake"}});
    let (logged_in, _) = api.measure_with_body("POST", "/users/login", Some(login), None).await;
    assert_eq!((registered.status, logged_in.status), (201, 200));

    // Then the daemon got the handlers and the DynamoDB calls, all in the trace.
    let documents = received(&daemon);
    let names: Vec<&str> = documents.iter().filter_map(|document| document["name"].as_str()).collect();
    assert!(names.contains(&"register-user") && names.contains(&"login-user"), "{names:?}");
    let dynamodb: Vec<&Value> = documents.iter().filter(|document| document["name"] == "DynamoDB").collect();
    let operations: Vec<&str> = dynamodb.iter().filter_map(|document| document["aws"]["operation"].as_str()).collect();
    assert!(operations.contains(&"TransactWriteItems") && operations.contains(&"GetItem"), "{operations:?}");
    for document in &documents {
        assert_eq!(document["trace_id"], ROOT);
        assert_eq!(document["parent_id"], PARENT);
        assert_eq!(document["type"], "subsegment");
        assert!(document["end_time"].as_f64() >= document["start_time"].as_f64());
    }
    assert!(
        dynamodb.iter().all(|document| document["namespace"] == "aws" && document["aws"]["table_name"].is_string())
    );

    // And an unsampled request sends nothing.
    // SAFETY: as above; no request is in flight.
    unsafe { std::env::set_var("_X_AMZN_TRACE_ID", format!("Root={ROOT};Parent={PARENT};Sampled=0")) };
    api.measure("GET", "/tags", None).await;
    assert!(received(&daemon).is_empty());
}
