//! Reading CloudFormation's request. Any event that carries a ResponseURL gets an answer: a
//! request this function cannot read is answered FAILED rather than left to hold the stack until
//! the resource's ServiceTimeout.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use conduit_migrations::Migration;
use conduit_migrations::catalog::{CATALOG, fingerprint};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The properties of the `Migrations` resource in `template.yaml` that this function reads
/// (CloudFormation passes every value as a string; the others only make CloudFormation call it).
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MigrationsProperties {
    /// The ids of the migrations the stack's release carries, comma-separated.
    #[serde(default)]
    pub migrations: Option<String>,
}

type Request = CloudFormationCustomResourceRequest<MigrationsProperties, MigrationsProperties>;

/// What CloudFormation asks of the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update { physical_resource_id: String },
    Delete { physical_resource_id: String },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create => "Create",
            Self::Update { .. } => "Update",
            Self::Delete { .. } => "Delete",
        }
    }
}

/// Where the answer goes and what it must echo; read from the event whatever else it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressee {
    /// A pre-signed S3 URL: it grants writing the answer, so it is never logged.
    pub response_url: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    /// The resource's id, on Update and Delete.
    pub physical_resource_id: Option<String>,
}

impl Addressee {
    fn of(event: &Value) -> Option<Self> {
        let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            response_url: text("ResponseURL")?,
            stack_id: text("StackId").unwrap_or_default(),
            request_id: text("RequestId").unwrap_or_default(),
            logical_resource_id: text("LogicalResourceId").unwrap_or_default(),
            physical_resource_id: text("PhysicalResourceId"),
        })
    }
}

#[derive(Debug)]
pub(crate) struct CustomResourceRequest {
    pub addressee: Addressee,
    pub action: Action,
    /// The `Migrations` property: the migrations the stack's template expects applied.
    pub requested_migrations: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Unreadable {
    /// Nobody to answer.
    #[error("the event has no ResponseURL")]
    NoResponseUrl,
    /// Someone to answer, with FAILED.
    #[error("the custom resource request cannot be read: {problem}")]
    Request { addressee: Box<Addressee>, problem: String },
}

impl CustomResourceRequest {
    pub fn read(event: Value) -> Result<Self, Unreadable> {
        let addressee = Addressee::of(&event).ok_or(Unreadable::NoResponseUrl)?;
        let unreadable = |problem: String| Unreadable::Request { addressee: Box::new(addressee.clone()), problem };
        let request: Request = serde_json::from_value(event).map_err(|error| unreadable(error.to_string()))?;
        let (action, properties) = match request {
            Request::Create(create) => (Action::Create, create.resource_properties),
            Request::Update(update) => {
                (Action::Update { physical_resource_id: update.physical_resource_id }, update.resource_properties)
            }
            Request::Delete(delete) => {
                (Action::Delete { physical_resource_id: delete.physical_resource_id }, delete.resource_properties)
            }
            _ => return Err(unreadable("a RequestType other than Create, Update and Delete".to_owned())),
        };
        Ok(Self { addressee, action, requested_migrations: properties.migrations })
    }
}

/// The migrations to apply: the catalog's first ones, up to the last the request lists. A deploy
/// lists the whole catalog. The rollback of a deploy that added migrations lists the previous,
/// shorter catalog, and must then apply nothing more while the previous code comes back (this
/// function's new code is rolled back only after the resource). No list (a request made by hand)
/// means the whole catalog.
pub(crate) fn requested_catalog(listed: Option<&str>) -> Result<&'static [&'static dyn Migration], CatalogMismatch> {
    let Some(listed) = listed else { return Ok(CATALOG) };
    let requested: Vec<&str> = listed.split(',').map(str::trim).filter(|id| !id.is_empty()).collect();
    let known: Vec<&str> = CATALOG.iter().map(|migration| migration.id()).collect();
    if known.starts_with(&requested) {
        Ok(&CATALOG[..requested.len()])
    } else {
        Err(CatalogMismatch { requested: listed.to_owned(), known: fingerprint() })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "the stack asks for migrations \"{requested}\", which do not begin this release's catalog \"{known}\" \
     (the Migrations property in template.yaml lists the catalog's ids in order)"
)]
pub(crate) struct CatalogMismatch {
    requested: String,
    known: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(request_type: &str) -> Value {
        json!({
            "RequestType": request_type,
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:conduit-RunMigrationsFunction",
            "ResponseURL": "https://example.com/response?X-Amz-Signature=abc",
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/conduit/1",
            "RequestId": "request-1",
            "LogicalResourceId": "Migrations",
            "ResourceType": "Custom::Migrations",
            "ResourceProperties": {"ServiceToken": "arn", "TableName": "conduit-Table", "Migrations": "0001-shard-all-articles"}
        })
    }

    #[test]
    fn an_update_is_read_with_its_physical_id_and_the_migrations_it_asks_for() {
        let mut update = event("Update");
        update["PhysicalResourceId"] = json!("conduit-Table-migrations");
        update["OldResourceProperties"] = json!({"Migrations": ""});

        let request = CustomResourceRequest::read(update).expect("readable");

        assert_eq!(request.action, Action::Update { physical_resource_id: "conduit-Table-migrations".into() });
        assert_eq!(request.requested_migrations.as_deref(), Some("0001-shard-all-articles"));
        assert_eq!(request.addressee.logical_resource_id, "Migrations");
        assert_eq!(request.addressee.request_id, "request-1");
    }

    #[test]
    fn a_request_of_an_unknown_type_is_still_answerable_but_an_event_without_response_url_is_not() {
        let unknown = event("Replace");
        let mut anonymous = event("Create");
        anonymous.as_object_mut().expect("object").remove("ResponseURL");

        let unknown = CustomResourceRequest::read(unknown).expect_err("not a request type");
        let anonymous = CustomResourceRequest::read(anonymous).expect_err("no ResponseURL");

        assert!(matches!(unknown, Unreadable::Request { addressee, .. } if addressee.stack_id.ends_with("conduit/1")));
        assert!(matches!(anonymous, Unreadable::NoResponseUrl));
    }

    #[test]
    fn the_requested_migrations_are_a_prefix_of_the_catalog() {
        let ids = |catalog: &[&dyn Migration]| catalog.iter().map(|migration| migration.id()).collect::<Vec<_>>();

        assert_eq!(ids(requested_catalog(None).expect("whole")), ids(CATALOG));
        assert_eq!(ids(requested_catalog(Some(&fingerprint())).expect("whole")), ids(CATALOG));
        assert!(requested_catalog(Some("")).expect("none").is_empty(), "a rollback to before the first migration");
        let ahead = requested_catalog(Some(&format!("{},9999-from-a-newer-release", fingerprint())));
        let skipping = requested_catalog(Some("9999-from-a-newer-release"));
        assert!(ahead.is_err() && skipping.is_err());
        assert!(skipping.err().is_some_and(|mismatch| mismatch.to_string().contains("9999-from-a-newer-release")));
    }
}
