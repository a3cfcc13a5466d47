//! `Idempotency-Key` through the local gateway: a retried write takes effect once and the retry
//! gets the first answer, byte for byte, marked `Idempotent-Replayed: true`.

use std::time::Duration;

mod common;

use common::{create_article, published_by};
use conduit_api_tests::{TestApi, errors};
use serde_json::{Value, json};

fn article(title: &str) -> Value {
    json!({"article": {"title": title, "description": "d", "body": "b", "tagList": ["retry"]}})
}

#[tokio::test]
async fn a_keyed_publication_retried_creates_one_article_and_the_retry_gets_the_first_answer() {
    // Given an author who publishes with a key
    let api = TestApi::start().await;
    let token = api.register("keyed1").await;
    let first = api.keyed("POST", "/articles", Some(article("Once only")), Some(&token), "publish-1").await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);

    // When the same request is sent again with the same key
    let retry = api.keyed("POST", "/articles", Some(article("Once only")), Some(&token), "publish-1").await;

    // Then it gets the first answer, marked as replayed, and one article exists
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.header("content-type"), first.header("content-type"));
    assert_eq!(retry.header("cache-control"), Some("no-store"));
    assert_eq!(published_by(&api, "keyed1").await, 1);
}

#[tokio::test]
async fn the_key_is_accepted_bare_or_quoted_and_names_the_same_request() {
    let api = TestApi::start().await;
    let token = api.register("keyed2").await;
    let bare = api.keyed("POST", "/articles", Some(article("Quoted")), Some(&token), "k-42").await;
    assert_eq!(bare.status, 201, "{:?}", bare.body);

    let quoted = api.keyed("POST", "/articles", Some(article("Quoted")), Some(&token), "\"k-42\"").await;

    assert_eq!((quoted.status, quoted.header("idempotent-replayed")), (201, Some("true")));
    assert_eq!(published_by(&api, "keyed2").await, 1);
}

#[tokio::test]
async fn ten_concurrent_requests_with_one_key_take_effect_once() {
    // Given ten identical keyed publications sent at once
    let api = TestApi::start().await;
    let token = api.register("keyed3").await;
    let sends = (0..10).map(|_| api.keyed("POST", "/articles", Some(article("Raced")), Some(&token), "race-1"));

    // When they are all answered
    let replies = futures::future::join_all(sends).await;

    // Then exactly one article exists; every other answer is the replay or a 409 to come back
    let created: Vec<_> =
        replies.iter().filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none()).collect();
    assert_eq!(created.len(), 1, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for reply in &replies {
        match reply.status {
            201 => assert_eq!(reply.body, created[0].body),
            409 => {
                assert!(reply.header("retry-after").is_some(), "{:?}", reply.headers);
                assert_eq!(errors(reply, "idempotencyKey").len(), 1, "{:?}", reply.body);
            }
            other => panic!("unexpected {other}: {:?}", reply.body),
        }
    }
    assert_eq!(published_by(&api, "keyed3").await, 1);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_422_and_writes_nothing() {
    let api = TestApi::start().await;
    let token = api.register("keyed4").await;
    let first = api.keyed("POST", "/articles", Some(article("First")), Some(&token), "reused").await;
    assert_eq!(first.status, 201, "{:?}", first.body);

    let other = api.keyed("POST", "/articles", Some(article("Second")), Some(&token), "reused").await;

    assert_eq!(other.status, 422, "{:?}", other.body);
    assert_eq!(errors(&other, "idempotencyKey"), ["was already used for a different request: use a new key"]);
    assert_eq!(published_by(&api, "keyed4").await, 1);
}

#[tokio::test]
async fn a_key_is_the_callers_own_another_account_using_it_publishes_its_own() {
    let api = TestApi::start().await;
    let anne = api.register("keyed5a").await;
    let bert = api.register("keyed5b").await;
    assert_eq!(api.keyed("POST", "/articles", Some(article("Mine")), Some(&anne), "shared").await.status, 201);

    let theirs = api.keyed("POST", "/articles", Some(article("Mine")), Some(&bert), "shared").await;

    assert_eq!((theirs.status, theirs.header("idempotent-replayed")), (201, None));
    assert_eq!(theirs.body["article"]["author"]["username"], "keyed5b");
}

#[tokio::test]
async fn a_malformed_key_is_400_and_nothing_is_written() {
    let api = TestApi::start().await;
    let token = api.register("keyed6").await;
    let too_long = "k".repeat(256);

    for key in ["", "\"\"", too_long.as_str(), "\"unterminated"] {
        let reply = api.keyed("POST", "/articles", Some(article("Bad key")), Some(&token), key).await;
        assert_eq!(reply.status, 400, "{key:?}: {:?}", reply.body);
        assert_eq!(errors(&reply, "idempotencyKey").len(), 1, "{:?}", reply.body);
    }
    assert_eq!(published_by(&api, "keyed6").await, 0);
}

#[tokio::test]
async fn without_a_key_each_request_is_its_own_write_as_before() {
    let api = TestApi::start().await;
    let token = api.register("keyed7").await;

    for _ in 0..2 {
        assert_eq!(api.post("/articles", article("Unkeyed"), Some(&token)).await.status, 201);
    }

    assert_eq!(published_by(&api, "keyed7").await, 2);
}

#[tokio::test]
async fn an_expired_key_runs_anew() {
    // Given records that live one second
    let table = conduit_dynamodb_local::test_table().await;
    let short = conduit_bootstrap::IdempotencySettings { expiry: Duration::from_secs(1), ..Default::default() };
    let api = TestApi::start_configured(table, |adapters| adapters.with_idempotency(short)).await;
    let token = api.register("keyed8").await;
    assert_eq!(api.keyed("POST", "/articles", Some(article("Again")), Some(&token), "old").await.status, 201);

    // When the same request comes back after the record expired
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let later = api.keyed("POST", "/articles", Some(article("Again")), Some(&token), "old").await;

    // Then it is a new request
    assert_eq!((later.status, later.header("idempotent-replayed")), (201, None));
    assert_eq!(published_by(&api, "keyed8").await, 2);
}

#[tokio::test]
async fn a_keyed_comment_retried_is_posted_once() {
    // Given an article and a reader who comments with a key
    let api = TestApi::start().await;
    let author = api.register("keyed9a").await;
    let reader = api.register("keyed9b").await;
    let slug = create_article(&api, &author, "Discussed", &["retry"]).await;
    let path = format!("/articles/{slug}/comments");
    let comment = json!({"comment": {"body": "First!"}});
    let first = api.keyed("POST", &path, Some(comment.clone()), Some(&reader), "comment-1").await;
    assert_eq!(first.status, 200, "{:?}", first.body);

    // When the comment is sent again under the same key
    let retry = api.keyed("POST", &path, Some(comment), Some(&reader), "comment-1").await;

    // Then the retry is the first answer and the article has one comment
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (200, Some("true")));
    assert_eq!(retry.body, first.body);
    let comments = api.get(&path, None).await;
    assert_eq!(comments.body["comments"].as_array().map(Vec::len), Some(1), "{:?}", comments.body);
}

#[tokio::test]
async fn a_keyed_rename_retried_gets_the_renamed_article_not_a_404_for_the_old_slug() {
    // Given an author who renames an article with a key
    let api = TestApi::start().await;
    let token = api.register("keyed10").await;
    let slug = create_article(&api, &token, "Old name", &["retry"]).await;
    let rename = json!({"article": {"title": "New name"}});
    let path = format!("/articles/{slug}");
    let first = api.keyed("PUT", &path, Some(rename.clone()), Some(&token), "rename-1").await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(api.put(&path, rename.clone(), Some(&token)).await.status, 404, "the old slug is gone");

    // When the rename is retried under its key
    let retry = api.keyed("PUT", &path, Some(rename), Some(&token), "rename-1").await;

    // Then it gets the renamed article, as the first request did
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (200, Some("true")));
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.body["article"]["slug"], "new-name");
}

#[tokio::test]
async fn a_refusal_is_kept_and_replayed_like_a_success() {
    // Given a keyed edit of someone else's article, refused
    let api = TestApi::start().await;
    let author = api.register("keyed11a").await;
    let other = api.register("keyed11b").await;
    let slug = create_article(&api, &author, "Not yours", &["retry"]).await;
    let path = format!("/articles/{slug}");
    let edit = json!({"article": {"body": "mine now"}});
    let first = api.keyed("PUT", &path, Some(edit.clone()), Some(&other), "edit-1").await;
    assert_eq!(first.status, 403, "{:?}", first.body);

    // When it is retried under its key
    let retry = api.keyed("PUT", &path, Some(edit), Some(&other), "edit-1").await;

    // Then the refusal is replayed: the draft's rule for client errors
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (403, Some("true")));
    assert_eq!(retry.body, first.body);
}

#[tokio::test]
async fn a_not_now_answer_is_not_kept_so_the_retry_is_judged_afresh() {
    // Given an account allowed one comment, which it has used
    let mut limits = conduit_api_tests::many_accounts_limits();
    limits.account_writes.comments =
        conduit_domain::throttling::WindowQuota { max: 1, window: Duration::from_secs(3600) };
    let api = TestApi::start_with_abuse_limits(limits).await;
    let token = api.register("keyed12").await;
    let slug = create_article(&api, &token, "Quota", &["retry"]).await;
    let path = format!("/articles/{slug}/comments");
    assert_eq!(api.post(&path, json!({"comment": {"body": "one"}}), Some(&token)).await.status, 200);

    // When a keyed comment is refused by the quota, and retried under the same key
    let first = api.keyed("POST", &path, Some(json!({"comment": {"body": "two"}})), Some(&token), "later").await;
    let retry = api.keyed("POST", &path, Some(json!({"comment": {"body": "two"}})), Some(&token), "later").await;

    // Then the retry was run again (refused again, not replayed): a 429 says "not now"
    assert_eq!(first.status, 429, "{:?}", first.body);
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (429, None));
    assert!(retry.header("retry-after").is_some());
}
