//! The error body: the official RealWorld `GenericErrorModel` (`errors.body`, a list of readable
//! sentences) and the field keys clients already read, in one body. Every reply of every API test
//! is also checked against this contract by the harness (`conduit_api_tests::error_contract`);
//! these tests say what the contract is, status by status, and that the checker bites.

mod common;

use common::{JSON, create_article};
use conduit_api_tests::error_contract::{generic_error_model, violations};
use conduit_api_tests::{Reply, TestApi, errors, registration, sentences};
use serde_json::{Value, json};

fn assert_keeps_the_contract(what: &str, reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{what}: {}", reply.body);
    let found = violations(&reply.body);
    assert!(found.is_empty(), "{what}: {found:?}\n{}", reply.body);
}

#[tokio::test]
async fn every_refusal_the_api_makes_validates_against_the_official_generic_error_model() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    let as_jake = [JSON[0], ("authorization", &format!("Token {jake}"))];

    let refusals = [
        ("invalid token", api.get("/user", Some("garbage")).await, 401),
        (
            "wrong password",
            api.post("/users/login", json!({"user": {"email": "jake@example.com", "password": "nope-nope"}}), None)
                .await,
            401,
        ),
        ("someone else's article", api.call("DELETE", &format!("/articles/{slug}"), None, Some(&anne)).await, 403),
        ("unknown route", api.get("/nothing", None).await, 404),
        ("unknown profile", api.get("/profiles/nobody", None).await, 404),
        ("unknown article", api.get("/articles/no-such-article", None).await, 404),
        ("huge body", api.raw("POST", "/users", JSON.as_slice(), "x".repeat(70_000)).await, 413),
        ("form body", api.raw("POST", "/users", &[("content-type", "text/plain")], "user=jake").await, 415),
        ("taken e-mail", api.post("/users", registration("jake"), None).await, 422),
        ("blank fields", api.post("/articles", json!({"article": {}}), Some(&jake)).await, 422),
        ("truncated JSON", api.raw("POST", "/articles", &as_jake, "{\"article\":").await, 422),
        ("wrong type", api.raw("POST", "/articles", &as_jake, r#"{"article":{"tagList":"x"}}"#).await, 422),
        ("bad paging", api.get("/articles?limit=0&offset=-1", None).await, 422),
    ];

    for (what, reply, status) in &refusals {
        assert_keeps_the_contract(what, reply, *status);
    }
}

#[tokio::test]
async fn a_field_error_keeps_its_key_and_is_also_a_readable_sentence() {
    let api = TestApi::start().await;
    api.register("jake").await;

    let taken = api.post("/users", registration("jake"), None).await;

    assert_eq!(
        (taken.status, &taken.body),
        (
            422,
            &json!({"errors": {
                "body": ["email has already been taken", "username has already been taken"],
                "email": ["has already been taken"],
                "username": ["has already been taken"],
            }})
        )
    );
}

#[tokio::test]
async fn the_field_named_body_is_reported_only_as_sentences_since_errors_body_is_the_official_list() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let blank = api.post("/articles", json!({"article": {"title": "Dragons", "description": "d"}}), Some(&jake)).await;

    assert_eq!((blank.status, &blank.body), (422, &json!({"errors": {"body": ["body can't be blank"]}})));
    // A client reading field keys finds the field `body` among the sentences.
    assert_eq!(errors(&blank, "body"), ["can't be blank"]);
}

#[tokio::test]
async fn malformed_json_names_the_field_and_the_position_and_never_a_rust_type() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let as_jake = [JSON[0], ("authorization", &format!("Token {jake}"))];

    let not_an_object = api.raw("POST", "/users", JSON.as_slice(), "[]").await;
    let wrong_type = api.raw("POST", "/articles", &as_jake, r#"{"article":{"title":"T","tagList":"x"}}"#).await;
    let wrong_item = api.raw("POST", "/articles", &as_jake, r#"{"article":{"tagList":["a",1]}}"#).await;
    let truncated = api.raw("POST", "/users", JSON.as_slice(), "{\"user\":").await;

    assert_eq!(sentences(&not_an_object), ["body must be an object (at line 1, column 2)"]);
    assert_eq!(errors(&wrong_type, "tagList"), ["must be a list (at article.tagList, line 1, column 37)"]);
    assert_eq!(errors(&wrong_item, "tagList"), ["must be a string (at article.tagList[1], line 1, column 28)"]);
    assert_eq!(sentences(&truncated), ["body is not valid JSON: EOF while parsing a value (at line 1, column 8)"]);
    for reply in [&not_an_object, &wrong_type, &wrong_item, &truncated] {
        assert_eq!(reply.status, 422, "{}", reply.body);
        let text = reply.body.to_string();
        for rust in ["struct", "Envelope", "Fields", "Vec<", "Option<", "element"] {
            assert!(!text.contains(rust), "{rust} in {text}");
        }
    }
}

#[tokio::test]
async fn every_answer_of_a_function_tells_browsers_not_to_sniff_and_the_docs_page_has_a_policy() {
    let api = TestApi::start().await;

    let ok = api.get("/tags", None).await;
    let refused = api.get("/nothing", None).await;
    let preflight = api
        .raw(
            "OPTIONS",
            "/user",
            &[("origin", "https://app.example.com"), ("access-control-request-method", "PUT")],
            Vec::<u8>::new(),
        )
        .await;
    let docs = api.raw("GET", "/docs", &[], Vec::<u8>::new()).await;

    for (reply, status) in [(&ok, 200), (&refused, 404), (&preflight, 204), (&docs, 200)] {
        assert_eq!((reply.status, reply.header("x-content-type-options")), (status, Some("nosniff")));
    }
    let policy = docs.header("content-security-policy").expect("a Content-Security-Policy");
    assert!(policy.starts_with("default-src 'none'; script-src https://cdn.jsdelivr.net/npm/redoc@"), "{policy}");
    assert!(docs.body.as_str().expect("a page").contains(r#"integrity="sha384-"#));
}

#[test]
fn the_checker_refuses_the_old_shape_a_body_that_is_not_a_list_and_a_missing_sentence() {
    let old_shape = json!({"errors": {"email": ["has already been taken"]}});
    let body_not_a_list = json!({"errors": {"body": "email has already been taken"}});
    let missing_sentence = json!({"errors": {"body": ["title can't be blank"], "email": ["is invalid"]}});
    let stray_sentence = json!({"errors": {"body": ["oops"]}});
    let kept = json!({"errors": {"body": ["body can't be blank", "email is invalid"], "email": ["is invalid"]}});

    for broken in [&old_shape, &body_not_a_list, &missing_sentence, &stray_sentence] {
        assert!(!violations(broken).is_empty(), "{broken} passed");
    }
    assert_eq!(violations(&kept), Vec::<String>::new());
}

#[test]
fn the_official_model_is_read_from_the_official_description_not_copied() {
    let model = generic_error_model();

    assert_eq!(model["properties"]["errors"]["required"], json!(["body"]));
    assert_eq!(model["properties"]["errors"]["properties"]["body"]["items"], json!({"type": "string"}));
    assert!(model.get("additionalProperties").is_none_or(|extra| *extra != Value::Bool(false)));
}
