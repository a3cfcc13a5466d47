//! The Secrets Manager key source, against a real Secrets Manager protocol endpoint (moto_server,
//! started by the test command); each test uses a secret of its own.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_secretsmanager::Client;
use conduit_auth::{JwtService, KeyError, SecretsManagerKeys, SigningKeySource, TokenError};
use conduit_domain::values::{Session, SessionGeneration, UserId};

const ENDPOINT_VARIABLE: &str = "CONDUIT_TEST_SECRETSMANAGER_ENDPOINT";

fn client() -> Client {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VARIABLE} is not set: run the tests with infra/test.sh, which starts moto_server")
    });
    Client::new(&conduit_dynamodb_local::local_sdk_config(&endpoint))
}

async fn secret_with(client: &Client, value: &str) -> String {
    let name = format!("conduit/test/{}", UserId::generate());
    client.create_secret().name(&name).secret_string(value).send().await.expect("secret created");
    name
}

async fn rotate(client: &Client, secret_id: &str, value: &str) {
    client.put_secret_value().secret_id(secret_id).secret_string(value).send().await.expect("rotated");
}

fn jwt(keys: &Arc<SecretsManagerKeys>) -> JwtService {
    JwtService::new(SigningKeySource::SecretsManager(Arc::clone(keys)), Duration::from_secs(300))
}

#[tokio::test]
async fn signs_with_the_current_version_and_names_it_as_key_id() {
    let client = client();
    let secret_id = secret_with(&client, &"a".repeat(64)).await;
    let keys = SecretsManagerKeys::new(client.clone(), &secret_id, Duration::from_secs(300));

    let ring = keys.key_ring().await.expect("keys loaded");

    let version = client.get_secret_value().secret_id(&secret_id).send().await.expect("read").version_id;
    assert_eq!(Some(ring.current.kid.clone()), version);
    assert_eq!(ring.current.secret(), "a".repeat(64).as_bytes());
    assert!(ring.previous.is_none());
}

#[tokio::test]
async fn after_rotation_new_tokens_use_the_new_key_and_old_tokens_still_verify() {
    let client = client();
    let secret_id = secret_with(&client, &"a".repeat(64)).await;
    let keys = Arc::new(SecretsManagerKeys::new(client.clone(), &secret_id, Duration::ZERO));
    let old_token = jwt(&keys)
        .issue_for(Session { user: UserId::generate(), generation: SessionGeneration::FIRST })
        .await
        .expect("issued");
    let old_kid = keys.key_ring().await.expect("keys").current.kid.clone();

    rotate(&client, &secret_id, &"b".repeat(64)).await;

    let ring = keys.key_ring().await.expect("keys reloaded after the TTL");
    assert_ne!(ring.current.kid, old_kid);
    assert_eq!(ring.previous.as_ref().map(|key| key.kid.clone()), Some(old_kid));
    assert!(jwt(&keys).verify(&old_token).await.is_ok(), "a token of the previous key still verifies");
    let new_token = jwt(&keys)
        .issue_for(Session { user: UserId::generate(), generation: SessionGeneration::FIRST })
        .await
        .expect("issued");
    assert!(jwt(&keys).verify(&new_token).await.is_ok());
}

#[tokio::test]
async fn a_token_from_a_rotation_this_container_has_not_seen_triggers_a_rate_limited_refresh() {
    let client = client();
    let secret_id = secret_with(&client, &"a".repeat(64)).await;
    // Long TTLs: only the unknown key id can make these containers look again.
    let hour = Duration::from_secs(3600);
    let eager =
        Arc::new(SecretsManagerKeys::new(client.clone(), &secret_id, hour).with_min_refresh_interval(Duration::ZERO));
    let throttled = Arc::new(SecretsManagerKeys::new(client.clone(), &secret_id, hour).with_min_refresh_interval(hour));
    eager.key_ring().await.expect("keys loaded");
    throttled.key_ring().await.expect("keys loaded");
    rotate(&client, &secret_id, &"b".repeat(64)).await;
    let fresh = Arc::new(SecretsManagerKeys::new(client.clone(), &secret_id, hour));
    let token_from_elsewhere = jwt(&fresh)
        .issue_for(Session { user: UserId::generate(), generation: SessionGeneration::FIRST })
        .await
        .expect("issued");

    let accepted = jwt(&eager).verify(&token_from_elsewhere).await;
    let refused = jwt(&throttled).verify(&token_from_elsewhere).await;

    assert!(accepted.is_ok(), "the unknown key id made the container fetch the new version: {accepted:?}");
    assert!(matches!(refused, Err(TokenError::UnknownKey)), "refreshes are rate limited: {refused:?}");
}

#[tokio::test]
async fn a_missing_secret_is_an_error_and_a_short_key_is_refused() {
    let client = client();
    let missing = SecretsManagerKeys::new(client.clone(), "conduit/test/does-not-exist", Duration::from_secs(1));
    let short =
        SecretsManagerKeys::new(client.clone(), secret_with(&client, "too short").await, Duration::from_secs(1));

    assert!(matches!(missing.key_ring().await, Err(KeyError::Fetch { .. })));
    assert!(matches!(short.key_ring().await, Err(KeyError::TooShort(9))));
}
