//! The benchmark's tables on DynamoDB Local, and the world the sample events in `events/` are
//! written for ([`SampleWorld`], as the tests seed it) in one of them per function, so that
//! resetting one function's world between its invocations touches nobody else's.

use conduit_api_tests::samples::{SampleWorld, sample_key_ring};
use conduit_domain::values::PasswordHash;
use conduit_dynamodb_local::{TableDefinition, TestTable, local_sdk_config};

/// A table of the benchmark's own on the DynamoDB at `endpoint`.
pub async fn create_table(endpoint: &str, purpose: &str) -> Result<(aws_sdk_dynamodb::Client, String), String> {
    let client = aws_sdk_dynamodb::Client::new(&local_sdk_config(endpoint));
    let name = format!("conduit-bench-{purpose}-{}", ulid::Ulid::new().to_string().to_lowercase());
    TableDefinition::from_template()
        .map_err(|error| error.to_string())?
        .create(&client, &name)
        .await
        .map_err(|error| format!("creating table {name}: {error:?}"))?;
    Ok((client, name))
}

/// A sample world in a new table of the benchmark's own; `password_hash` is
/// [`SampleWorld::password_hash`], computed once for every world.
pub async fn create_sample_world(
    endpoint: &str,
    purpose: &str,
    password_hash: PasswordHash,
) -> Result<SampleWorld, String> {
    let (client, name) = create_table(endpoint, purpose).await?;
    let table = TestTable { sdk_config: local_sdk_config(endpoint), client, name };
    // The world's adapters only write the seed here (the functions run as binaries): the key ring
    // is never used.
    SampleWorld::seed_in(table, sample_key_ring(), password_hash).await
}
