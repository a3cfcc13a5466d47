//! The sample events in `events/` (used with `cargo lambda invoke --data-file`) cannot rot: each
//! one names a real function and route, carries an authorizer context exactly when its route is
//! protected, and is invoked here through the function's real handler with the status checked.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use authorizer::{Authorizer, AuthorizerRequest};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_domain::User;
use conduit_domain::ports::{FollowWriter, PasswordHasher, UserWriter};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::values::{Email, Password, UserId, Username};
use conduit_http::routes::{Auth, FALLBACK_FUNCTION, ROUTES};
use serde_json::Value;

/// Must match `infra/scripts/make_sample_events.py`, which signed the sample tokens with it.
const SAMPLE_SIGNING_KEY: &[u8] = b"conduit-sample-events-signing-key-not-for-production";
const SAMPLE_KID: &str = "sample-key";
const JAKE: &str = "01J9ZQ6XKX2A5B8C9D0E1F2G3H";

/// What each function answers to its sample event, in the world `seed` builds.
const EXPECTED_STATUS: &[(&str, u16)] = &[
    ("register-user", 201),
    ("login-user", 200),
    ("get-current-user", 200),
    ("update-current-user", 200),
    ("get-profile", 200),
    ("follow-user", 200),
    ("unfollow-user", 200),
    ("list-articles", 200),
    ("feed-articles", 200),
    ("get-article", 200),
    ("create-article", 201),
    ("update-article", 200),
    ("delete-article", 204),
    ("add-comment", 200),
    ("list-comments", 200),
    ("delete-comment", 204),
    ("favorite-article", 200),
    ("unfavorite-article", 200),
    ("list-tags", 200),
    ("get-openapi", 200),
    ("get-docs", 200),
    ("route-not-found", 404),
];

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// (function, file) for every sample event; the function is the file name up to the first dot.
fn sample_events() -> Vec<(String, PathBuf)> {
    let mut events: Vec<(String, PathBuf)> = std::fs::read_dir(events_dir())
        .expect("events/ exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .map(|path| {
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let function = name.split('.').next().expect("prefix").to_owned();
            (function, path)
        })
        .collect();
    events.sort();
    events
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A world where every sample event makes sense: jake (the caller of the protected samples, with
/// password "jakejakejake"), celeb whom jake follows, jake's article "How to train your dragon"
/// and jake's comment 1 on it.
async fn seed() -> Adapters {
    let table = conduit_dynamodb_local::test_table().await;
    let keys = KeyRing { current: SigningKey::new(SAMPLE_KID, SAMPLE_SIGNING_KEY).expect("key"), previous: None };
    let adapters = Adapters::local(table.sdk_config, table.name, keys);
    let hash = adapters.password_hasher().hash(&Password::parse("jakejakejake").expect("valid")).expect("hashed");
    let mut jake = User::register(
        Username::parse("jake").expect("valid"),
        Email::parse("jake@example.com").expect("valid"),
        hash.clone(),
    );
    jake.id = UserId::parse(JAKE).expect("valid id");
    let celeb = User::register(
        Username::parse("celeb").expect("valid"),
        Email::parse("celeb@example.com").expect("valid"),
        hash,
    );
    adapters.users().insert(&jake).await.expect("jake");
    adapters.users().insert(&celeb).await.expect("celeb");
    adapters.follows().follow(jake.id, celeb.id).await.expect("follow");
    let draft = ArticleDraft {
        title: Some("How to train your dragon".into()),
        description: Some("Ever wonder how?".into()),
        body: Some("You have to believe".into()),
        tag_list: Some(vec!["dragons".into(), "training".into()]),
    };
    CreateArticle::new(adapters.articles(), adapters.relations()).execute(jake.id, draft).await.expect("article");
    AddComment::new(adapters.articles(), adapters.comments(), adapters.relations())
        .execute(jake.id, "how-to-train-your-dragon", Some("First!".into()))
        .await
        .expect("comment");
    adapters
}

#[test]
fn every_function_has_a_sample_event_and_every_event_names_a_function() {
    let functions_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let functions: BTreeSet<String> = std::fs::read_dir(functions_dir)
        .expect("functions/")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();

    let with_events: BTreeSet<String> = sample_events().into_iter().map(|(function, _)| function).collect();

    assert_eq!(with_events, functions);
}

#[test]
fn every_http_event_matches_its_route_and_authentication() {
    for (function, path) in sample_events().into_iter().filter(|(function, _)| function != "authorizer") {
        let event: Value = serde_json::from_str(&read(&path)).expect("JSON");
        let route_key = event["routeKey"].as_str().expect("routeKey");
        let has_authorizer_context = !event["requestContext"]["authorizer"]["lambda"].is_null();
        if function == FALLBACK_FUNCTION {
            assert_eq!(route_key, "$default", "{}", path.display());
            continue;
        }
        let route = ROUTES
            .iter()
            .find(|route| route.function == function)
            .unwrap_or_else(|| panic!("{} names no route's function", path.display()));
        assert_eq!(route_key, route.key(), "{}", path.display());
        assert_eq!(event["requestContext"]["routeKey"], route_key, "{}", path.display());
        assert_eq!(has_authorizer_context, route.auth == Auth::Required, "{}", path.display());
        assert!(route.match_path(event["rawPath"].as_str().expect("rawPath")).is_some(), "{}", path.display());
    }
}

#[tokio::test]
async fn every_http_event_gets_its_expected_status_from_its_function() {
    for (function, path) in sample_events().into_iter().filter(|(function, _)| function != "authorizer") {
        let expected = EXPECTED_STATUS
            .iter()
            .find(|(name, _)| *name == function)
            .map(|(_, status)| *status)
            .unwrap_or_else(|| panic!("no expected status for {function}"));
        let adapters = seed().await;
        let functions = conduit_local_gateway::build_functions(&adapters).expect("functions");
        let request = lambda_http::request::from_str(&read(&path)).expect("a valid API Gateway event");

        let response = functions[function.as_str()](request).await;

        let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        assert_eq!(response.status().as_u16(), expected, "{}: {body}", path.display());
    }
}

#[tokio::test]
async fn the_authorizer_events_get_their_decisions() {
    let adapters = seed().await;
    let authorizer = Authorizer::new(&adapters).expect("authorizer");
    let decide = |file: &str| {
        let request: AuthorizerRequest = serde_json::from_str(&read(&events_dir().join(file))).expect("event");
        let authorizer = &authorizer;
        async move { authorizer.authorize(&request).await.expect("decided") }
    };

    let valid = decide("authorizer.valid-token.json").await;
    let expired = decide("authorizer.expired-token.json").await;
    let missing = decide("authorizer.missing-header.json").await;

    assert!(valid.is_authorized);
    assert_eq!(valid.context["userId"], JAKE);
    assert_eq!(expired.context["refusal"], "expired");
    assert!(expired.context.get("userId").is_none());
    assert_eq!(missing.context["refusal"], "missing");
}
