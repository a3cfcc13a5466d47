//! `template.yaml`, read the way the contract tests need it: its functions with their binaries.

use serde_norway::Value;

pub const TEMPLATE: &str = include_str!("../../template.yaml");

pub fn template() -> Value {
    serde_norway::from_str(TEMPLATE).expect("template.yaml parses")
}

/// One `AWS::Serverless::Function` of the template.
#[derive(Debug, Clone)]
pub struct TemplateFunction {
    /// The resource's logical id, e.g. `UpdateCurrentUserFunction`.
    pub logical_id: String,
    /// Its `Properties`.
    pub properties: Value,
    /// The binary (and crate) it runs, from `Metadata.BuildProperties.Binary`.
    pub binary: String,
}

/// Every function of the template, in template order.
pub fn functions(template: &Value) -> Vec<TemplateFunction> {
    resources_of_type(template, "AWS::Serverless::Function")
        .map(|(logical_id, resource)| {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{logical_id} names no binary under Metadata.BuildProperties.Binary"))
                .to_owned();
            assert_eq!(resource["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{logical_id}");
            TemplateFunction { logical_id, properties: resource["Properties"].clone(), binary }
        })
        .collect()
}

/// (logical id, resource) of every resource of one type.
pub fn resources_of_type<'a>(template: &'a Value, kind: &'a str) -> impl Iterator<Item = (String, &'a Value)> + 'a {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(move |(_, resource)| resource["Type"].as_str() == Some(kind))
        .map(|(name, resource)| (name.as_str().expect("logical id").to_owned(), resource))
}

/// The argument of an intrinsic function with this tag: `!Ref X` gives `X`, `!GetAtt X.Y` gives
/// `X.Y`, `!Sub "..."` the string.
pub fn intrinsic<'a>(value: &'a Value, tag: &str) -> Option<&'a str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == tag => tagged.value.as_str(),
        _ => None,
    }
}
