//! The served OpenAPI document: it describes every route of the code, and its shapes agree with
//! the official RealWorld OpenAPI description (`tests/realworld/openapi.yml`).

use std::collections::{BTreeMap, BTreeSet};

use conduit_api_tests::TestApi;
use conduit_api_tests::error_contract::violations;
use conduit_http::routes::ROUTES;
use serde_json::{Value, json};

const OFFICIAL: &str = include_str!("../realworld/openapi.yml");

fn official() -> Value {
    serde_norway::from_str(OFFICIAL).expect("the official description parses")
}

/// Follows `$ref`s (`#/components/...`) until a concrete object.
fn resolve<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let path = reference.trim_start_matches("#/");
        value = path.split('/').fold(document, |node, part| &node[part]);
    }
    value
}

/// Required names and properties of an object schema, merging `allOf` parts.
fn object(document: &Value, schema: &Value) -> (BTreeSet<String>, BTreeMap<String, Value>) {
    let schema = resolve(document, schema);
    let mut required: BTreeSet<String> =
        schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
    let mut properties: BTreeMap<String, Value> =
        schema["properties"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (more_required, more_properties) = object(document, part);
        required.extend(more_required);
        properties.extend(more_properties);
    }
    (required, properties)
}

/// The JSON type of a schema ("string", "integer", ...), ignoring `null` in type unions.
fn type_of(document: &Value, schema: &Value) -> String {
    let schema = resolve(document, schema);
    if schema.get("allOf").is_some() || schema.get("properties").is_some() {
        return "object".to_owned();
    }
    match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => {
            kinds.iter().filter_map(Value::as_str).find(|kind| *kind != "null").unwrap_or("null").to_owned()
        }
        _ => "any".to_owned(),
    }
}

/// Every field the official schema requires, ours requires too, with the same type, recursively.
fn assert_compatible(where_: &str, official: &Value, theirs: &Value, ours_doc: &Value, ours: &Value, depth: usize) {
    assert_eq!(type_of(ours_doc, ours), type_of(official, theirs), "{where_}: type");
    match type_of(official, theirs).as_str() {
        "object" if depth < 4 => {
            let (their_required, their_properties) = object(official, theirs);
            let (our_required, our_properties) = object(ours_doc, ours);
            let missing: Vec<&String> = their_required.difference(&our_required).collect();
            assert!(
                missing.is_empty(),
                "{where_}: fields the official description requires and ours does not: {missing:?}"
            );
            for (name, their_property) in &their_properties {
                let our_property = our_properties.get(name).unwrap_or_else(|| panic!("{where_}: no property {name}"));
                assert_compatible(
                    &format!("{where_}.{name}"),
                    official,
                    their_property,
                    ours_doc,
                    our_property,
                    depth + 1,
                );
            }
        }
        "array" if depth < 4 => {
            let (theirs, ours) = (&resolve(official, theirs)["items"], &resolve(ours_doc, ours)["items"]);
            assert_compatible(&format!("{where_}[]"), official, theirs, ours_doc, ours, depth + 1);
        }
        _ => {}
    }
}

fn json_schema<'a>(document: &'a Value, holder: &'a Value) -> Option<&'a Value> {
    let content = &resolve(document, holder)["content"]["application/json"]["schema"];
    (!content.is_null()).then_some(content)
}

async fn served_document() -> Value {
    let api = TestApi::start().await;
    let reply = api.get("/openapi.json", None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    reply.body
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_describes_every_route_of_the_code() {
    let document = served_document().await;

    assert!(document["openapi"].as_str().is_some_and(|version| version.starts_with("3.1")));
    assert!(conduit_http::openapi::undocumented_routes().is_empty());
    for route in ROUTES {
        let operation = &document["paths"][route.path][route.method.to_ascii_lowercase()];
        assert_eq!(operation["operationId"], route.function, "{}", route.key());
    }
}

#[tokio::test]
async fn every_official_operation_exists_with_the_same_success_status_and_compatible_shapes() {
    let ours = served_document().await;
    let official = official();

    for (path, operations) in official["paths"].as_object().expect("paths") {
        for (method, their_operation) in operations.as_object().expect("operations") {
            if !["get", "post", "put", "delete"].contains(&method.as_str()) {
                continue;
            }
            let where_ = format!("{} /api{path}", method.to_uppercase());
            let our_operation = &ours["paths"][format!("/api{path}")][method];
            assert!(our_operation.is_object(), "{where_} is not described");
            let success = |operation: &Value| -> BTreeSet<String> {
                operation["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .filter(|code| code.starts_with('2'))
                    .cloned()
                    .collect()
            };
            assert_eq!(success(our_operation), success(their_operation), "{where_}: success status");
            for code in success(their_operation) {
                let their_response = &their_operation["responses"][&code];
                if let Some(theirs) = json_schema(&official, their_response) {
                    let ours_schema =
                        json_schema(&ours, &our_operation["responses"][&code]).expect("our response schema");
                    assert_compatible(&where_, &official, theirs, &ours, ours_schema, 0);
                }
            }
            if let Some(their_body) = their_operation.get("requestBody") {
                let theirs = json_schema(&official, their_body).expect("their request schema");
                let ours_schema = json_schema(&ours, &our_operation["requestBody"]).expect("our request schema");
                assert_compatible(&format!("{where_} request"), &official, theirs, &ours, ours_schema, 0);
            }
        }
    }
}

#[tokio::test]
async fn every_error_response_has_the_errors_shape() {
    let document = served_document().await;

    let (required, properties) = object(&document, &document["components"]["schemas"]["ErrorBody"]);

    assert!(required.contains("errors"));
    assert_eq!(type_of(&document, &properties["errors"]), "object");
    for operation in
        document["paths"].as_object().expect("paths").values().flat_map(|item| item.as_object().expect("item").values())
    {
        for (code, response) in operation["responses"].as_object().expect("responses") {
            if code.starts_with('4') {
                assert_eq!(json_schema(&document, response).expect("schema")["$ref"], "#/components/schemas/ErrorBody");
            }
        }
    }
}

#[tokio::test]
async fn the_docs_page_renders_the_served_document() {
    let api = TestApi::start().await;

    let page = api.raw("GET", "/docs", &[], Vec::<u8>::new()).await;

    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.body.as_str().expect("text").contains(r#"spec-url="openapi.json""#));
}

#[tokio::test]
async fn the_error_shape_is_the_official_generic_error_model_plus_field_keys() {
    let ours = served_document().await;
    let official = official();
    let error_body = &ours["components"]["schemas"]["ErrorBody"];

    let generic_error_model = &official["components"]["schemas"]["GenericErrorModel"];
    assert_compatible("ErrorBody", &official, generic_error_model, &ours, error_body, 0);
    let field_keys = &error_body["properties"]["errors"]["additionalProperties"];
    assert_eq!((&field_keys["type"], &field_keys["items"]["type"]), (&json!("array"), &json!("string")));
    assert!(error_body["description"].as_str().is_some_and(|rule| rule.contains("errors.body")));
    let examples = error_body["examples"].as_array().expect("examples");
    assert!(!examples.is_empty());
    for example in examples {
        assert_eq!(violations(example), Vec::<String>::new(), "{example}");
    }
}

#[tokio::test]
async fn every_write_that_takes_an_idempotency_key_documents_it_and_no_other_operation_does() {
    // Given the served document
    let document = served_document().await;

    // When each operation is read for the header parameter and the replay marker
    for route in ROUTES {
        let Some(operation) = document["paths"][route.path].get(route.method.to_ascii_lowercase()) else { continue };
        let takes_key = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|parameter| parameter["name"] == "Idempotency-Key" && parameter["in"] == "header");

        // Then exactly the keyed writes document the key, its 400 and 409, and the replay header
        let keyed = conduit_http::openapi::IDEMPOTENT_FUNCTIONS.contains(&route.function);
        assert_eq!(takes_key, keyed, "{} {}", route.method, route.path);
        if keyed {
            assert!(operation["responses"]["400"].is_object(), "{}", route.path);
            assert!(operation["responses"]["409"].is_object(), "{}", route.path);
            let success = operation["responses"].as_object().and_then(|responses| {
                responses.iter().find(|(status, _)| status.starts_with('2')).map(|(_, response)| response)
            });
            assert!(success.is_some_and(|response| response["headers"]["Idempotent-Replayed"].is_object()));
        }
    }
}
