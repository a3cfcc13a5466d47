use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};

use crate::TableDefinition;

/// AWS settings that point every client at a local endpoint, with fixed dummy credentials (local
/// engines check only that a request is signed, not by whom).
pub fn local_sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "local",
            "local",
            None,
            None,
            "conduit-local",
        )))
        .endpoint_url(endpoint)
        .build()
}

/// A table of its own for one test, on the DynamoDB Local the test command started, so tests run
/// in parallel without seeing each other's data.
pub struct TestTable {
    pub sdk_config: SdkConfig,
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

/// The variable through which the test command hands the running DynamoDB Local to the tests.
const ENDPOINT_VARIABLE: &str = "CONDUIT_TEST_DYNAMODB_ENDPOINT";

pub async fn test_table() -> TestTable {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VARIABLE} is not set: run the tests with infra/test.sh, which starts DynamoDB Local")
    });
    test_table_on(&endpoint).await
}

/// A new table on the DynamoDB at `endpoint` (a test's own engine, e.g. one it pauses or kills).
pub async fn test_table_on(endpoint: &str) -> TestTable {
    let sdk_config = local_sdk_config(endpoint);
    let client = aws_sdk_dynamodb::Client::new(&sdk_config);
    let name = format!("conduit-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    TableDefinition::from_template()
        .expect("template.yaml defines the table")
        .create(&client, &name)
        .await
        .expect("test table created");
    TestTable { sdk_config, client, name }
}
