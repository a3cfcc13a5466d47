//! The world the sample events in `events/` are written for, as `tests/src/samples.rs` seeds it:
//! jake (the caller of the protected samples), celeb whom jake follows, jake's article "How to
//! train your dragon" with jake's comment 1, and a pending password-reset link of jake's. One table
//! per function, so that resetting one function's world between its invocations touches nobody
//! else's.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use conduit_bootstrap::{Adapters, KeyRing, SigningKey};
use conduit_domain::User;
use conduit_domain::password_reset::PasswordReset;
use conduit_domain::ports::{FollowWriter, OneTimeTokens, PasswordHasher, PasswordResets, StoreError, UserWriter};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::validation::InvalidValue;
use conduit_domain::values::{Email, Password, PasswordHash, ResetToken, Timestamp, UserId, Username};
use conduit_dynamodb_local::{TableDefinition, local_sdk_config};

/// Must match `infra/scripts/make_sample_events.py`, which signed the sample tokens with it.
pub const SAMPLE_SIGNING_KEY: &[u8] = b"conduit-sample-events-signing-key-not-for-production";
pub const SAMPLE_KID: &str = "sample-key";
/// The caller of the protected samples.
const JAKE: &str = "01J9ZQ6XKX2A5B8C9D0E1F2G3H";
/// The token of jake's pending password-reset link, as in the confirm-password-reset sample.
const SAMPLE_RESET_TOKEN: &str = "q8Vh3nX0bR2tL6yW9eK1mP4sA7dF5gJ0cZ3uN8iO2vB";
/// DynamoDB's limit on one BatchWriteItem.
const BATCH: usize = 25;

/// A table of the benchmark's own on the DynamoDB at `endpoint`.
pub async fn create_table(endpoint: &str, purpose: &str) -> Result<(aws_sdk_dynamodb::Client, String), String> {
    let client = aws_sdk_dynamodb::Client::new(&local_sdk_config(endpoint));
    let name = format!("conduit-bench-{purpose}-{}", ulid::Ulid::new().to_string().to_lowercase());
    TableDefinition::from_template()
        .map_err(|error| error.to_string())?
        .create(&client, &name)
        .await
        .map_err(|error| format!("creating table {name}: {error:?}"))?;
    Ok((client, name))
}

pub struct SampleWorld {
    pub table_name: String,
    client: aws_sdk_dynamodb::Client,
    adapters: Adapters,
    /// jake's and celeb's password hash, computed once (argon2 is slow on purpose).
    hash: PasswordHash,
}

impl SampleWorld {
    pub async fn create(endpoint: &str, purpose: &str, hash: PasswordHash) -> Result<Self, String> {
        let (client, table_name) = create_table(endpoint, purpose).await?;
        // The adapters only write here; the key ring is never used.
        let keys = KeyRing { current: SigningKey::generate("unused"), previous: None };
        let adapters = Adapters::local(local_sdk_config(endpoint), table_name.clone(), keys);
        let world = Self { table_name, client, adapters, hash };
        world.seed().await?;
        Ok(world)
    }

    /// jake's password hash ("jakejakejake"), for [`Self::create`].
    pub fn password_hash() -> Result<PasswordHash, String> {
        let password = Password::parse("jakejakejake").map_err(|error| format!("{error:?}"))?;
        conduit_bootstrap::Argon2Hasher.hash(&password).map_err(|error| format!("{error:?}"))
    }

    /// Back to the freshly seeded world: every item deleted, then seeded again.
    pub async fn reset(&self) -> Result<(), String> {
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table_name)
                .consistent_read(true)
                .projection_expression("PK, SK")
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| format!("scanning {}: {error:?}", self.table_name))?;
            keys.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        for chunk in keys.chunks(BATCH) {
            let mut requests = chunk
                .iter()
                .map(|key: &HashMap<String, AttributeValue>| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map_err(|error| format!("a delete request: {error}"))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, String>>()?;
            while !requests.is_empty() {
                let written = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table_name, requests)
                    .send()
                    .await
                    .map_err(|error| format!("clearing {}: {error:?}", self.table_name))?;
                requests =
                    written.unprocessed_items.and_then(|mut left| left.remove(&self.table_name)).unwrap_or_default();
            }
        }
        self.seed().await
    }

    async fn seed(&self) -> Result<(), String> {
        let adapters = &self.adapters;
        let failed = |what: &'static str| move |error: StoreError| format!("{what}: {error:?}");
        let invalid = |what: &'static str| move |error: InvalidValue| format!("{what}: {error:?}");
        let mut jake = User::register(
            Username::parse("jake").map_err(invalid("username"))?,
            Email::parse("jake@example.com").map_err(invalid("email"))?,
            self.hash.clone(),
        );
        jake.id = UserId::parse(JAKE).map_err(invalid("user id"))?;
        let celeb = User::register(
            Username::parse("celeb").map_err(invalid("username"))?,
            Email::parse("celeb@example.com").map_err(invalid("email"))?,
            self.hash.clone(),
        );
        adapters.users().insert(&jake).await.map_err(failed("jake"))?;
        adapters.users().insert(&celeb).await.map_err(failed("celeb"))?;
        adapters.follows().follow(jake.id, celeb.id).await.map_err(failed("follow"))?;
        let draft = ArticleDraft {
            title: Some("How to train your dragon".into()),
            description: Some("Ever wonder how?".into()),
            body: Some("You have to believe".into()),
            tag_list: Some(vec!["dragons".into(), "training".into()]),
        };
        CreateArticle::new(adapters.articles(), adapters.relations())
            .execute(jake.id, draft)
            .await
            .map_err(|error| format!("article: {error:?}"))?;
        AddComment::new(adapters.articles(), adapters.comments(), adapters.relations())
            .execute(jake.id, "how-to-train-your-dragon", Some("First!".into()))
            .await
            .map_err(|error| format!("comment: {error:?}"))?;
        let reset_token = ResetToken::parse(SAMPLE_RESET_TOKEN).map_err(invalid("reset token"))?;
        let pending = PasswordReset::none_yet(jake.id)
            .request(adapters.one_time_tokens().digest(&reset_token), &jake.email, Timestamp::now())
            .map_err(|error| format!("reset link: {error:?}"))?;
        adapters.password_resets().save_request(&pending).await.map_err(failed("reset link"))?;
        Ok(())
    }
}

/// The sample events' tokens re-signed for the signing secret. With Secrets Manager a token's `kid`
/// is the secret's version id, and version ids must be 32 to 64 characters (in moto as in AWS), so
/// no version can be called `sample-key`: tokens signed with the sample key are re-signed with the
/// same key and claims under the secret's version id; any other token stays as it is.
pub fn reissue_tokens(event: &str, kid: &str) -> Result<String, String> {
    let parsed: serde_json::Value = serde_json::from_str(event).map_err(|error| format!("event: {error}"))?;
    let header_values = parsed["headers"]["authorization"]
        .as_str()
        .into_iter()
        .chain(parsed["identitySource"].as_array().into_iter().flatten().filter_map(serde_json::Value::as_str));
    let tokens: Vec<&str> = header_values
        .filter_map(|value| value.strip_prefix("Token ").or_else(|| value.strip_prefix("Bearer ")))
        .collect();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let decoding_key = jsonwebtoken::DecodingKey::from_secret(SAMPLE_SIGNING_KEY);
    let mut reissued = event.to_owned();
    for token in tokens {
        let sample_kid = jsonwebtoken::decode_header(token).ok().and_then(|header| header.kid);
        let Ok(claims) = jsonwebtoken::decode::<serde_json::Value>(token, &decoding_key, &validation) else {
            continue;
        };
        if sample_kid.as_deref() != Some(SAMPLE_KID) {
            continue;
        }
        let header = jsonwebtoken::Header { kid: Some(kid.to_owned()), ..jsonwebtoken::Header::default() };
        let key = jsonwebtoken::EncodingKey::from_secret(SAMPLE_SIGNING_KEY);
        let token_for_secret =
            jsonwebtoken::encode(&header, &claims.claims, &key).map_err(|error| format!("re-signing: {error}"))?;
        reissued = reissued.replace(token, &token_for_secret);
    }
    Ok(reissued)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_token(kid: &str, key: &[u8]) -> String {
        let header = jsonwebtoken::Header { kid: Some(kid.to_owned()), ..jsonwebtoken::Header::default() };
        let claims = serde_json::json!({"sub": JAKE, "exp": 4102444800u64});
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(key)).expect("token")
    }

    fn token_of(event: &str) -> String {
        let parsed: serde_json::Value = serde_json::from_str(event).expect("JSON");
        parsed["headers"]["authorization"].as_str().expect("header").trim_start_matches("Token ").to_owned()
    }

    #[test]
    fn sample_tokens_are_re_signed_under_the_secrets_version_and_others_are_left_alone() {
        let event =
            |token: &str| serde_json::json!({"headers": {"authorization": format!("Token {token}")}}).to_string();
        let sample = event(&sample_token(SAMPLE_KID, SAMPLE_SIGNING_KEY));
        let foreign = event(&sample_token(SAMPLE_KID, b"another key"));

        let reissued = reissue_tokens(&sample, "version-1").expect("reissued");

        let header = jsonwebtoken::decode_header(token_of(&reissued)).expect("a token");
        assert_eq!(header.kid.as_deref(), Some("version-1"));
        assert_eq!(reissue_tokens(&foreign, "version-1").expect("unchanged"), foreign);
    }
}
