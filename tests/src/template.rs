//! `template.yaml`, read the way the contract tests need it: its functions with their binaries.

use serde_norway::Value;

pub const TEMPLATE: &str = include_str!("../../template.yaml");

pub fn template() -> Value {
    parse(TEMPLATE).unwrap_or_else(|error| panic!("{error}"))
}

/// The text of a `template.yaml`, parsed (the benchmark reads the one of the tree it measures).
pub fn parse(text: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|error| format!("template.yaml: {error}"))
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
    try_functions(template).unwrap_or_else(|error| panic!("{error}"))
}

/// [`functions`], with what makes a template's function unusable as an error: no binary named, or
/// one not built by cargo-lambda.
pub fn try_functions(template: &Value) -> Result<Vec<TemplateFunction>, String> {
    let resources = template["Resources"].as_mapping().ok_or("template.yaml has no Resources")?;
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, resource)| {
            let logical_id = name.as_str().ok_or_else(|| format!("{name:?} is not a logical id"))?.to_owned();
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| format!("{logical_id} names no binary under Metadata.BuildProperties.Binary"))?
                .to_owned();
            let build_method = resource["Metadata"]["BuildMethod"].as_str();
            if build_method != Some("rust-cargolambda") {
                return Err(format!("{logical_id}: BuildMethod {build_method:?}, expected rust-cargolambda"));
            }
            Ok(TemplateFunction { logical_id, properties: resource["Properties"].clone(), binary })
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
