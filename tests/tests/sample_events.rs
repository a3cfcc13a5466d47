//! The sample events in `events/` (used with `cargo lambda invoke --data-file`) cannot rot: each
//! one names a real function and route, carries an authorizer context exactly when its route is
//! protected, and is invoked here through the function's real handler with the status checked.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use authorizer::{Authorizer, AuthorizerRequest};
use conduit_api_tests::custom_resource::ResponseUrl;
use conduit_api_tests::function_template::Services;
use conduit_api_tests::samples::{
    CUSTOM_RESOURCE_HANDLERS, JAKE, SAMPLE_SIGNING_KEY, SECRET_ROTATION_FUNCTIONS, STREAM_CONSUMERS, events_dir,
    expected_status, is_http_function, read, rotation_event_for, sample_events, sample_key_ring, seeded_world,
};
use conduit_bootstrap::Adapters;
use conduit_http::routes::{Auth, FALLBACK_FUNCTION, ROUTES};
use serde_json::Value;

async fn seed() -> Adapters {
    seeded_world(sample_key_ring()).await.adapters
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
    for (function, path) in sample_events().into_iter().filter(|(function, _)| is_http_function(function)) {
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
    for (function, path) in sample_events().into_iter().filter(|(function, _)| is_http_function(function)) {
        let expected = expected_status(&function);
        let adapters = seed().await;
        let functions = conduit_local_gateway::build_functions(&adapters).expect("functions");
        let request = lambda_http::request::from_str(&read(&path)).expect("a valid API Gateway event");

        let response = functions[function.as_str()](request).await;

        let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        assert_eq!(response.status().as_u16(), expected, "{}: {body}", path.display());
    }
}

#[tokio::test]
async fn the_keyed_sample_event_invoked_twice_publishes_once_and_replays_the_first_answer() {
    // Given the sample event of a publication with an Idempotency-Key
    let path = events_dir().join("create-article.keyed.json");
    let adapters = seed().await;
    let functions = conduit_local_gateway::build_functions(&adapters).expect("functions");
    let invoke = || async {
        let request = lambda_http::request::from_str(&read(&path)).expect("a valid API Gateway event");
        functions["create-article"](request).await
    };

    // When it is invoked twice, as `cargo lambda invoke --data-file` would
    let first = invoke().await;
    let second = invoke().await;

    // Then the second answer is the first one, marked as replayed
    assert_eq!(first.status().as_u16(), 201, "{:?}", String::from_utf8_lossy(first.body().as_ref()));
    assert_eq!(first.headers().get("idempotent-replayed"), None);
    assert_eq!(second.status().as_u16(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.body().as_ref(), first.body().as_ref());
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

#[tokio::test]
async fn every_stream_event_is_handled_by_its_consumer_without_failures() {
    for (function, path) in
        sample_events().into_iter().filter(|(function, _)| STREAM_CONSUMERS.contains(&function.as_str()))
    {
        let adapters = seed().await;
        let consumers = conduit_local_gateway::build_stream_consumers(&adapters).expect("consumers");
        let consumer = consumers.iter().find(|entry| entry.function == function).expect("a consumer of that name");
        let event: conduit_streams::StreamEvent = serde_json::from_str(&read(&path)).expect("a stream event");
        let matching = event.records.len();

        let response = (consumer.handler)(event).await;

        assert!(response.batch_item_failures.is_empty(), "{}: {:?}", path.display(), response.batch_item_failures);
        assert!(matching > 0, "{}: no records", path.display());
        let mailed = match function.as_str() {
            "send-welcome-mail" => Some("Welcome to Conduit"),
            "send-account-notices" => Some("Your Conduit password was changed"),
            _ => None,
        };
        if let Some(subject) = mailed {
            let outbox = adapters.outbox().expect("local adapters capture mail").messages();
            assert_eq!(outbox.len(), 1, "{}: one mail", path.display());
            assert_eq!(outbox[0].subject, subject, "{}", path.display());
        }
    }
}

#[tokio::test]
async fn every_custom_resource_event_is_answered_success_on_its_response_url() {
    for (function, path) in
        sample_events().into_iter().filter(|(function, _)| CUSTOM_RESOURCE_HANDLERS.contains(&function.as_str()))
    {
        assert_eq!(function, "run-migrations", "{}: teach this test the new handler", path.display());
        let hook = run_migrations::MigrationsHook::new(&seed().await);
        let cloudformation = ResponseUrl::start().await;
        let request = serde_json::from_str(&cloudformation.readdress(&read(&path))).expect("JSON");
        let invocation = run_migrations::Invocation {
            deadline: Instant::now() + Duration::from_secs(900),
            log_stream: "2026/01/01/[$LATEST]sample".to_owned(),
        };

        let handled = hook.handle(request, &invocation).await;

        assert!(handled.is_ok(), "{}: {handled:?}", path.display());
        let answer = cloudformation.answer(Duration::from_secs(5)).await.expect("an answer").json();
        assert_eq!(answer["Status"], "SUCCESS", "{}: {answer}", path.display());
        assert_eq!(answer["LogicalResourceId"], "Migrations", "{}", path.display());
    }
}

#[tokio::test]
async fn the_rotation_events_in_file_order_are_one_whole_rotation_of_a_secret() {
    for function in SECRET_ROTATION_FUNCTIONS {
        assert_eq!(*function, "rotate-signing-key", "teach this test the new rotation function");
    }
    // Given a signing secret of its own in moto_server, and the rotation function deployed for it
    let services = Services::from_test_environment("127.0.0.1:2000".into());
    let secret = services.create_signing_secret(SAMPLE_SIGNING_KEY).await;
    let moto = conduit_dynamodb_local::local_sdk_config(&services.secretsmanager_endpoint);
    let adapters = Adapters::local_with_secrets_manager(moto.clone(), "no-table", moto.clone(), &secret.arn);
    let function = rotate_signing_key::RotateSigningKey::new(&adapters).expect("the rotation function");
    let events: Vec<rotate_signing_key::RotationEvent> = sample_events()
        .into_iter()
        .filter(|(function, _)| function == "rotate-signing-key")
        .map(|(_, path)| {
            let event = rotation_event_for(&read(&path), &secret.arn).expect("a rotation step");
            serde_json::from_str(&event).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        })
        .collect();

    // When the events are sent in file order
    for event in &events {
        function.rotate(event).await.unwrap_or_else(|error| panic!("{}: {error:?}", event.step));
    }

    // Then they were the four steps of one rotation, and its version is now the current one
    let steps: Vec<&str> = events.iter().map(|event| event.step.as_str()).collect();
    assert_eq!(steps, ["createSecret", "setSecret", "testSecret", "finishSecret"]);
    let token = &events[0].client_request_token;
    assert!(events.iter().all(|event| &event.client_request_token == token), "one rotation, one token");
    let current = aws_sdk_secretsmanager::Client::new(&moto)
        .get_secret_value()
        .secret_id(&secret.arn)
        .version_stage("AWSCURRENT")
        .send()
        .await
        .expect("the current key");
    assert_eq!(current.version_id.as_ref(), Some(token));
}
