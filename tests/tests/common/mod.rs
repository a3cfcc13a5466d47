//! Small helpers shared by the API test files: publishing articles, following, favoriting,
//! commenting, and the shape checks every response must pass.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Duration;

use conduit_api_tests::{Reply, TestApi};
use serde_json::{Value, json};

/// The `Content-Type` header of a JSON request.
pub const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// A valid article body for `POST /api/articles`.
pub fn new_article(title: &str, tags: &[&str]) -> Value {
    json!({"article": {
        "title": title,
        "description": format!("About {title}"),
        "body": format!("All about {title}."),
        "tagList": tags,
    }})
}

/// Publishes an article and returns its slug. Waits a few milliseconds afterwards, so articles
/// published one after another never share a creation millisecond ("most recent first" is exact).
pub async fn create_article(api: &TestApi, token: &str, title: &str, tags: &[&str]) -> String {
    let reply = api.post("/articles", new_article(title, tags), Some(token)).await;
    assert_eq!(reply.status, 201, "publishing {title}: {:?}", reply.body);
    tokio::time::sleep(Duration::from_millis(3)).await;
    reply.body["article"]["slug"].as_str().expect("slug").to_owned()
}

/// How many articles `author` has published, as `GET /api/articles?author=` counts them.
pub async fn published_by(api: &TestApi, author: &str) -> u64 {
    let reply = api.get(&format!("/articles?author={author}"), None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    articles_count(&reply)
}

pub async fn follow(api: &TestApi, token: &str, username: &str) {
    let reply = api.call("POST", &format!("/profiles/{username}/follow"), None, Some(token)).await;
    assert_eq!(reply.status, 200, "following {username}: {:?}", reply.body);
}

pub async fn unfollow(api: &TestApi, token: &str, username: &str) {
    let reply = api.call("DELETE", &format!("/profiles/{username}/follow"), None, Some(token)).await;
    assert_eq!(reply.status, 200, "unfollowing {username}: {:?}", reply.body);
}

pub async fn favorite(api: &TestApi, token: &str, slug: &str) {
    let reply = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(token)).await;
    assert_eq!(reply.status, 200, "favoriting {slug}: {:?}", reply.body);
}

pub async fn delete_article(api: &TestApi, token: &str, slug: &str) {
    let reply = api.call("DELETE", &format!("/articles/{slug}"), None, Some(token)).await;
    assert_eq!(reply.status, 204, "deleting {slug}: {:?}", reply.body);
}

/// Adds a comment and returns its id.
pub async fn add_comment(api: &TestApi, token: &str, slug: &str, body: &str) -> u64 {
    let reply = api.post(&format!("/articles/{slug}/comments"), json!({"comment": {"body": body}}), Some(token)).await;
    assert_eq!(reply.status, 200, "commenting on {slug}: {:?}", reply.body);
    reply.body["comment"]["id"].as_u64().expect("integer comment id")
}

/// The slugs of a Multiple Articles reply, in order.
pub fn slugs(reply: &Reply) -> Vec<&str> {
    reply.body["articles"]
        .as_array()
        .unwrap_or_else(|| panic!("an articles array: {:?}", reply.body))
        .iter()
        .map(|article| article["slug"].as_str().expect("slug"))
        .collect()
}

/// `articlesCount` of a Multiple Articles reply, which must be a JSON number.
pub fn articles_count(reply: &Reply) -> u64 {
    reply.body["articlesCount"].as_u64().unwrap_or_else(|| panic!("a numeric articlesCount: {:?}", reply.body))
}

/// The sorted keys of a JSON object.
pub fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> =
        value.as_object().unwrap_or_else(|| panic!("an object: {value}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// A date like `2016-02-18T03:22:56.637Z`: UTC, always with milliseconds.
pub fn assert_timestamp(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("a date string, got {value}"));
    let well_formed = text.len() == 24
        && text.chars().enumerate().all(|(index, c)| match index {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == '.',
            23 => c == 'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(well_formed, "{text} is not like 2016-02-18T03:22:56.637Z");
}

/// A Profile object (also an article's or comment's `author`): every key present, `bio` and
/// `image` null when unset.
pub fn assert_profile(profile: &Value, username: &str, following: bool) {
    assert_eq!(keys_of(profile), ["bio", "following", "image", "username"], "{profile}");
    assert_eq!(profile["username"], username, "{profile}");
    assert_eq!(profile["following"], following, "{profile}");
    assert!(profile["bio"].is_null() || profile["bio"].is_string(), "{profile}");
    assert!(profile["image"].is_null() || profile["image"].is_string(), "{profile}");
}

/// A Single Article object (`with_body`) or a list item (no `body` key at all).
pub fn assert_article_shape(article: &Value, with_body: bool) {
    let mut expected = vec![
        "author",
        "createdAt",
        "description",
        "favorited",
        "favoritesCount",
        "slug",
        "tagList",
        "title",
        "updatedAt",
    ];
    if with_body {
        expected.push("body");
        expected.sort_unstable();
    }
    assert_eq!(keys_of(article), expected, "{article}");
    for text in ["slug", "title", "description"] {
        assert!(article[text].is_string(), "{text}: {article}");
    }
    if with_body {
        assert!(article["body"].is_string(), "{article}");
    }
    assert!(article["tagList"].as_array().is_some_and(|tags| tags.iter().all(Value::is_string)), "{article}");
    assert!(article["favorited"].is_boolean(), "{article}");
    assert!(article["favoritesCount"].is_u64(), "favoritesCount must be a number: {article}");
    assert_timestamp(&article["createdAt"]);
    assert_timestamp(&article["updatedAt"]);
    assert_eq!(keys_of(&article["author"]), ["bio", "following", "image", "username"], "author: {}", article["author"]);
}

/// API Gateway's own answer to a protected route called without an `Authorization` header.
pub fn assert_refused_by_gateway(reply: &Reply) {
    assert_eq!((reply.status, &reply.body), (401, &json!({"message": "Unauthorized"})));
}

/// A 401 from a function for a token it could not verify.
pub fn assert_invalid_token(reply: &Reply) {
    assert_eq!(
        (reply.status, &reply.body),
        (401, &json!({"errors": {"body": ["token is invalid"], "token": ["is invalid"]}}))
    );
}

/// An error in the API's `{"errors":{field:[messages]}}` shape with the given status.
pub fn assert_error(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{:?}", reply.body);
    let errors = reply.body["errors"].as_object().unwrap_or_else(|| panic!("an errors object: {:?}", reply.body));
    assert!(!errors.is_empty(), "{:?}", reply.body);
    for (field, messages) in errors {
        let messages = messages.as_array().unwrap_or_else(|| panic!("{field}: an array of messages"));
        assert!(!messages.is_empty() && messages.iter().all(Value::is_string), "{field}: {messages:?}");
    }
}
