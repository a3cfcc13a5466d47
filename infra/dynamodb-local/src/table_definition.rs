//! The table definition, read from the `AWS::DynamoDB::Table` resource of `template.yaml`: keys,
//! attribute types, global secondary indexes, TTL and stream settings. CloudFormation-only settings
//! (billing, encryption, recovery, deletion protection) do not exist in DynamoDB Local and are skipped.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use serde::Deserialize;

/// `template.yaml`, compiled in so tools and tests need no path at run time.
const TEMPLATE: &str = include_str!("../../../template.yaml");

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<AttributeSpec>,
    pub key_schema: Vec<KeySpec>,
    #[serde(default)]
    pub global_secondary_indexes: Vec<IndexSpec>,
    pub time_to_live_specification: Option<TtlSpec>,
    pub stream_specification: Option<StreamSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeSpec {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct KeySpec {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: String,
    pub key_schema: Vec<KeySpec>,
    pub projection: ProjectionSpec,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionSpec {
    pub projection_type: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TtlSpec {
    pub attribute_name: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpec {
    pub stream_view_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TableDefinitionError {
    #[error("template.yaml is not valid YAML")]
    Yaml(#[from] serde_norway::Error),
    #[error("template.yaml must declare exactly one AWS::DynamoDB::Table resource, found {0}")]
    TableCount(usize),
    #[error("the table definition in template.yaml is invalid: {0}")]
    Invalid(String),
    #[error("DynamoDB refused the table")]
    Create(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TableDefinition {
    pub fn from_template() -> Result<Self, TableDefinitionError> {
        Self::from_template_text(TEMPLATE)
    }

    pub fn from_template_text(template: &str) -> Result<Self, TableDefinitionError> {
        let document: serde_norway::Value = serde_norway::from_str(template)?;
        let tables: Vec<&serde_norway::Value> = document
            .get("Resources")
            .and_then(serde_norway::Value::as_mapping)
            .into_iter()
            .flat_map(|resources| resources.values())
            .filter(|resource| {
                resource.get("Type").and_then(serde_norway::Value::as_str) == Some("AWS::DynamoDB::Table")
            })
            .collect();
        let [table] = tables.as_slice() else {
            return Err(TableDefinitionError::TableCount(tables.len()));
        };
        let properties = table.get("Properties").cloned().unwrap_or_default();
        Ok(serde_norway::from_value(properties)?)
    }

    /// Creates the table under `name` and applies its TTL setting.
    pub async fn create(&self, client: &Client, name: &str) -> Result<(), TableDefinitionError> {
        let failed = |error: Box<dyn std::error::Error + Send + Sync>| TableDefinitionError::Create(error);
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(self.attribute_definitions()?))
            .set_key_schema(Some(key_schema(&self.key_schema)?));
        for index in &self.global_secondary_indexes {
            request = request.global_secondary_indexes(index.to_sdk()?);
        }
        if let Some(stream) = &self.stream_specification {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(stream.stream_view_type.as_str()))
                    .build()
                    .map_err(|error| failed(error.into()))?,
            );
        }
        request.send().await.map_err(|error| failed(error.into()))?;
        if let Some(ttl) = self.time_to_live_specification.as_ref().filter(|ttl| ttl.enabled) {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(&ttl.attribute_name)
                        .enabled(true)
                        .build()
                        .map_err(|error| failed(error.into()))?,
                )
                .send()
                .await
                .map_err(|error| failed(error.into()))?;
        }
        Ok(())
    }

    fn attribute_definitions(&self) -> Result<Vec<AttributeDefinition>, TableDefinitionError> {
        self.attribute_definitions
            .iter()
            .map(|attribute| {
                AttributeDefinition::builder()
                    .attribute_name(&attribute.attribute_name)
                    .attribute_type(ScalarAttributeType::from(attribute.attribute_type.as_str()))
                    .build()
                    .map_err(|error| TableDefinitionError::Invalid(error.to_string()))
            })
            .collect()
    }
}

impl IndexSpec {
    fn to_sdk(&self) -> Result<GlobalSecondaryIndex, TableDefinitionError> {
        let projection = Projection::builder()
            .projection_type(ProjectionType::from(self.projection.projection_type.as_str()))
            .set_non_key_attributes(
                (!self.projection.non_key_attributes.is_empty()).then(|| self.projection.non_key_attributes.clone()),
            )
            .build();
        GlobalSecondaryIndex::builder()
            .index_name(&self.index_name)
            .set_key_schema(Some(key_schema(&self.key_schema)?))
            .projection(projection)
            .build()
            .map_err(|error| TableDefinitionError::Invalid(error.to_string()))
    }
}

fn key_schema(keys: &[KeySpec]) -> Result<Vec<KeySchemaElement>, TableDefinitionError> {
    keys.iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(&key.attribute_name)
                .key_type(KeyType::from(key.key_type.as_str()))
                .build()
                .map_err(|error| TableDefinitionError::Invalid(error.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_declares_the_single_table_with_its_keys() {
        let table = TableDefinition::from_template().expect("parsed");

        let keys: Vec<(&str, &str)> =
            table.key_schema.iter().map(|key| (key.attribute_name.as_str(), key.key_type.as_str())).collect();
        assert_eq!(keys, [("PK", "HASH"), ("SK", "RANGE")]);
    }

    #[test]
    fn a_template_without_exactly_one_table_is_refused() {
        let error = TableDefinition::from_template_text("Resources: {}").expect_err("refused");
        assert!(matches!(error, TableDefinitionError::TableCount(0)));
    }
}
