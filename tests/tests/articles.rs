//! Articles through the local gateway: publishing, reading, editing, deleting, listing with
//! filters and pages, and how each of them fails.

mod common;

use common::{
    JSON, articles_count, assert_article_shape, assert_error, assert_invalid_token, assert_profile,
    assert_refused_by_gateway, create_article, delete_article, favorite, follow, new_article, slugs,
};
use conduit_api_tests::{TestApi, errors};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Publishing

#[tokio::test]
async fn publishing_answers_201_with_every_article_field() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let reply = api
        .post(
            "/articles",
            json!({"article": {
                "title": "How to train your dragon",
                "description": "Ever wonder how?",
                "body": "You have to believe",
                "tagList": ["reactjs", "angularjs", "dragons"],
            }}),
            Some(&jake),
        )
        .await;

    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    let article = &reply.body["article"];
    assert_article_shape(article, true);
    assert_eq!(article["slug"], "how-to-train-your-dragon");
    assert_eq!(article["title"], "How to train your dragon");
    assert_eq!(article["description"], "Ever wonder how?");
    assert_eq!(article["body"], "You have to believe");
    assert_eq!(article["tagList"], json!(["angularjs", "dragons", "reactjs"]));
    assert_eq!(article["favorited"], false);
    assert_eq!(article["favoritesCount"], 0);
    assert_eq!(article["createdAt"], article["updatedAt"]);
    assert_profile(&article["author"], "jake", false);
    assert!(article["author"]["bio"].is_null() && article["author"]["image"].is_null());
}

#[tokio::test]
async fn the_slug_is_the_title_in_lower_case_words_joined_by_hyphens() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let plain = create_article(&api, &jake, "How To Train Your Dragon", &[]).await;
    let punctuated = create_article(&api, &jake, "  Rust & DynamoDB: 101!! ", &[]).await;

    assert_eq!(plain, "how-to-train-your-dragon");
    assert_eq!(punctuated, "rust-dynamodb-101");
}

#[tokio::test]
async fn a_second_article_with_the_same_title_gets_a_suffixed_slug() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;

    let first = create_article(&api, &jake, "How to train your dragon", &[]).await;
    let second = create_article(&api, &anne, "How to train your dragon", &[]).await;

    assert_eq!(first, "how-to-train-your-dragon");
    let suffix = second.strip_prefix("how-to-train-your-dragon-").expect("the same base slug with a suffix");
    assert_eq!(suffix.len(), 8, "{second}");
    assert!(suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{second}");
    // Each slug names its own article.
    assert_eq!(api.get(&format!("/articles/{first}"), None).await.body["article"]["author"]["username"], "jake");
    assert_eq!(api.get(&format!("/articles/{second}"), None).await.body["article"]["author"]["username"], "anne");
}

#[tokio::test]
async fn a_non_ascii_title_gives_a_slug_that_can_be_fetched() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let slug = create_article(&api, &jake, "Ünïcode Straße", &[]).await;
    let reply = api.get(&format!("/articles/{slug}"), None).await;

    assert_eq!(slug, "ünïcode-straße");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["article"]["title"], "Ünïcode Straße");
}

#[tokio::test]
async fn an_article_titled_feed_is_readable_by_its_slug() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let slug = create_article(&api, &jake, "Feed", &[]).await;
    let reply = api.get(&format!("/articles/{slug}"), None).await;

    // `GET /api/articles/feed` is the feed route: an article can only be read if its slug is not `feed`.
    assert_eq!(reply.status, 200, "GET /articles/{slug}: {:?}", reply.body);
    assert_eq!(reply.body["article"]["title"], "Feed");
}

#[tokio::test]
async fn a_title_with_capitals_that_have_no_lower_case_form_gives_a_readable_slug() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    for title in ["ℝ is complete", "𝐀𝐁𝐂 of proofs"] {
        let slug = create_article(&api, &jake, title, &[]).await;
        let reply = api.get(&format!("/articles/{slug}"), None).await;

        assert_eq!(reply.status, 200, "{title} became {slug}, which answers {:?}", reply.body);
        assert_eq!(reply.body["article"]["title"], title);
    }
}

#[tokio::test]
async fn the_tag_list_is_sorted_alphabetically_without_duplicates() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let reply =
        api.post("/articles", new_article("Dragons", &["training", "dragons", "training", "apple"]), Some(&jake)).await;
    let slug = reply.body["article"]["slug"].as_str().expect("slug");
    let fetched = api.get(&format!("/articles/{slug}"), None).await;
    let listed = api.get("/articles", None).await;

    assert_eq!(reply.status, 201);
    assert_eq!(reply.body["article"]["tagList"], json!(["apple", "dragons", "training"]));
    assert_eq!(fetched.body["article"]["tagList"], json!(["apple", "dragons", "training"]));
    assert_eq!(listed.body["articles"][0]["tagList"], json!(["apple", "dragons", "training"]));
}

#[tokio::test]
async fn the_tag_list_is_optional_and_defaults_to_empty() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let reply = api
        .post("/articles", json!({"article": {"title": "Untagged", "description": "d", "body": "b"}}), Some(&jake))
        .await;

    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["article"]["tagList"], json!([]));
}

#[tokio::test]
async fn ten_tags_are_accepted_but_eleven_are_422_on_tag_list() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let eleven: Vec<String> = (0..11).map(|n| format!("tag{n:02}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();

    let ten = api.post("/articles", new_article("Ten tags", &eleven[..10]), Some(&jake)).await;
    let too_many = api.post("/articles", new_article("Eleven tags", &eleven), Some(&jake)).await;

    assert_eq!(ten.status, 201, "{:?}", ten.body);
    assert_eq!(ten.body["article"]["tagList"].as_array().map(Vec::len), Some(10));
    assert_error(&too_many, 422);
    assert_eq!(errors(&too_many, "tagList").len(), 1, "{:?}", too_many.body);
    assert_eq!(api.get("/articles/eleven-tags", None).await.status, 404);
}

#[tokio::test]
async fn eleven_tags_that_are_ten_after_removing_duplicates_are_accepted() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let mut tags: Vec<String> = (0..10).map(|n| format!("tag{n:02}")).collect();
    tags.push("tag00".to_owned());
    let tags: Vec<&str> = tags.iter().map(String::as_str).collect();

    let reply = api.post("/articles", new_article("Ten distinct tags", &tags), Some(&jake)).await;

    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.body["article"]["tagList"].as_array().map(Vec::len), Some(10));
}

#[tokio::test]
async fn publishing_reports_every_missing_field_at_once() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let reply = api.post("/articles", json!({"article": {}}), Some(&jake)).await;

    assert_error(&reply, 422);
    assert_eq!(errors(&reply, "title"), ["can't be blank"]);
    assert_eq!(errors(&reply, "description"), ["can't be blank"]);
    assert_eq!(errors(&reply, "body"), ["can't be blank"]);
}

#[tokio::test]
async fn blank_title_description_or_body_is_422() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let reply = api
        .post(
            "/articles",
            json!({"article": {"title": "  ", "description": "", "body": "\n", "tagList": []}}),
            Some(&jake),
        )
        .await;

    assert_error(&reply, 422);
    assert_eq!(errors(&reply, "title"), ["can't be blank"]);
    assert_eq!(errors(&reply, "description"), ["can't be blank"]);
    assert_eq!(errors(&reply, "body"), ["can't be blank"]);
    assert_eq!(articles_count(&api.get("/articles", None).await), 0);
}

#[tokio::test]
async fn a_missing_article_envelope_is_422() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let wrong_envelope =
        api.post("/articles", json!({"title": "Dragons", "description": "d", "body": "b"}), Some(&jake)).await;
    let no_body = api.call("POST", "/articles", None, Some(&jake)).await;

    assert_error(&wrong_envelope, 422);
    assert_eq!(errors(&wrong_envelope, "article"), ["can't be blank"]);
    assert_error(&no_body, 422);
}

#[tokio::test]
async fn malformed_json_when_publishing_is_422() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let headers = [JSON[0], ("authorization", &format!("Token {jake}"))];

    let truncated = api.raw("POST", "/articles", &headers, "{\"article\":{\"title\":").await;
    let wrong_type = api
        .raw("POST", "/articles", &headers, r#"{"article":{"title":"T","description":"d","body":"b","tagList":"x"}}"#)
        .await;
    let numeric_title =
        api.raw("POST", "/articles", &headers, r#"{"article":{"title":42,"description":"d","body":"b"}}"#).await;

    assert_error(&truncated, 422);
    assert!(errors(&truncated, "body")[0].starts_with("is not valid JSON"), "{:?}", truncated.body);
    assert_error(&wrong_type, 422);
    assert_error(&numeric_title, 422);
    assert_eq!(articles_count(&api.get("/articles", None).await), 0);
}

#[tokio::test]
async fn publishing_without_a_token_is_refused_by_the_gateway_with_401() {
    let api = TestApi::start().await;

    let reply = api.post("/articles", new_article("Dragons", &[]), None).await;

    assert_refused_by_gateway(&reply);
}

#[tokio::test]
async fn publishing_with_an_invalid_token_is_401_in_the_errors_shape() {
    let api = TestApi::start().await;

    let reply = api.post("/articles", new_article("Dragons", &[]), Some("garbage")).await;

    assert_invalid_token(&reply);
    assert_eq!(articles_count(&api.get("/articles", None).await), 0);
}

// ---------------------------------------------------------------------------------------------
// Reading one

#[tokio::test]
async fn an_article_is_readable_anonymously_with_its_body() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let created = api.post("/articles", new_article("Dragons", &["fire"]), Some(&jake)).await;

    let reply = api.get("/articles/dragons", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(keys_of_root(&reply), ["article"]);
    assert_article_shape(&reply.body["article"], true);
    assert_eq!(reply.body, created.body);
    assert_eq!(reply.body["article"]["body"], "All about Dragons.");
}

#[tokio::test]
async fn a_token_makes_favorited_and_following_personal_on_one_article() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    follow(&api, &anne, "jake").await;
    favorite(&api, &anne, &slug).await;

    let as_anne = api.get(&format!("/articles/{slug}"), Some(&anne)).await;
    let as_bob = api.get(&format!("/articles/{slug}"), Some(&bob)).await;
    let anonymous = api.get(&format!("/articles/{slug}"), None).await;

    assert_eq!(
        (as_anne.body["article"]["favorited"].clone(), as_anne.body["article"]["author"]["following"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(
        (as_bob.body["article"]["favorited"].clone(), as_bob.body["article"]["author"]["following"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(
        (anonymous.body["article"]["favorited"].clone(), anonymous.body["article"]["author"]["following"].clone()),
        (json!(false), json!(false))
    );
    for reply in [&as_anne, &as_bob, &anonymous] {
        assert_eq!(reply.body["article"]["favoritesCount"], 1);
    }
}

#[tokio::test]
async fn the_author_is_shown_with_their_current_profile() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    let update =
        json!({"user": {"username": "jacob", "bio": "I work at statefarm", "image": "https://example.com/j.png"}});
    assert_eq!(api.put("/user", update, Some(&jake)).await.status, 200);

    let one = api.get(&format!("/articles/{slug}"), None).await;
    let listed = api.get("/articles?author=jacob", None).await;

    let expected = json!({"username": "jacob", "bio": "I work at statefarm", "image": "https://example.com/j.png", "following": false});
    assert_eq!(one.body["article"]["author"], expected);
    assert_eq!(listed.body["articles"][0]["author"], expected);
    assert_eq!(articles_count(&api.get("/articles?author=jake", None).await), 0);
}

#[tokio::test]
async fn an_unknown_article_is_404() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;

    let anonymous = api.get("/articles/no-such-article", None).await;
    let signed_in = api.get("/articles/no-such-article", Some(&jake)).await;
    let impossible_slug = api.get("/articles/Not%20A%20Slug", None).await;

    assert_error(&anonymous, 404);
    assert_error(&signed_in, 404);
    assert_error(&impossible_slug, 404);
}

#[tokio::test]
async fn an_invalid_token_on_get_article_is_401_not_an_anonymous_read() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let reply = api.get(&format!("/articles/{slug}"), Some("garbage")).await;

    assert_invalid_token(&reply);
}

// ---------------------------------------------------------------------------------------------
// Editing

#[tokio::test]
async fn updating_changes_only_the_fields_sent() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let created = api.post("/articles", new_article("Dragons", &["fire"]), Some(&jake)).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let reply = api.put("/articles/dragons", json!({"article": {"body": "With a new body"}}), Some(&jake)).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let (before, after) = (&created.body["article"], &reply.body["article"]);
    assert_article_shape(after, true);
    assert_eq!(after["body"], "With a new body");
    assert_eq!(after["slug"], "dragons");
    assert_eq!(after["title"], before["title"]);
    assert_eq!(after["description"], before["description"]);
    assert_eq!(after["tagList"], before["tagList"]);
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert!(after["updatedAt"].as_str() > before["updatedAt"].as_str(), "{after}");
    assert_eq!(api.get("/articles/dragons", None).await.body, reply.body);
}

#[tokio::test]
async fn a_new_title_gives_a_new_slug_and_the_old_slug_is_404() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let old = create_article(&api, &jake, "Dragons", &["fire"]).await;

    let reply = api
        .put(&format!("/articles/{old}"), json!({"article": {"title": "Did you train your dragon?"}}), Some(&jake))
        .await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["article"]["slug"], "did-you-train-your-dragon");
    assert_eq!(reply.body["article"]["title"], "Did you train your dragon?");
    assert_error(&api.get(&format!("/articles/{old}"), None).await, 404);
    let fetched = api.get("/articles/did-you-train-your-dragon", None).await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body["article"]["tagList"], json!(["fire"]));
    // Lists show the article once, under its new name.
    assert_eq!(slugs(&api.get("/articles", None).await), ["did-you-train-your-dragon"]);
    assert_eq!(slugs(&api.get("/articles?tag=fire", None).await), ["did-you-train-your-dragon"]);
}

#[tokio::test]
async fn a_freed_slug_can_be_taken_by_a_new_article() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &[]).await;
    let renamed = api.put("/articles/dragons", json!({"article": {"title": "Wyverns"}}), Some(&jake)).await;
    assert_eq!(renamed.status, 200);

    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    assert_eq!(slug, "dragons");
}

#[tokio::test]
async fn a_title_that_clashes_with_another_article_gets_a_suffixed_slug_on_update() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &[]).await;
    let other = create_article(&api, &jake, "Wyverns", &[]).await;

    let reply = api.put(&format!("/articles/{other}"), json!({"article": {"title": "Dragons"}}), Some(&jake)).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let slug = reply.body["article"]["slug"].as_str().expect("slug");
    assert!(slug.starts_with("dragons-") && slug.len() == "dragons-".len() + 8, "{slug}");
    assert_eq!(api.get("/articles/dragons", None).await.body["article"]["title"], "Dragons");
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.status, 200);
}

#[tokio::test]
async fn invalid_updates_are_422_and_change_nothing() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let created = api.post("/articles", new_article("Dragons", &[]), Some(&jake)).await;

    let blank = api.put("/articles/dragons", json!({"article": {"title": " ", "body": null}}), Some(&jake)).await;

    assert_error(&blank, 422);
    assert_eq!(errors(&blank, "title"), ["can't be blank"]);
    assert_eq!(errors(&blank, "body"), ["can't be blank"]);
    assert_eq!(api.get("/articles/dragons", None).await.body, created.body);
}

#[tokio::test]
async fn malformed_json_when_updating_is_422() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &[]).await;
    let headers = [JSON[0], ("authorization", &format!("Token {jake}"))];

    let truncated = api.raw("PUT", "/articles/dragons", &headers, "{\"article\":").await;
    let wrong_type = api.raw("PUT", "/articles/dragons", &headers, r#"{"article":{"title":["Dragons"]}}"#).await;
    let no_envelope = api.put("/articles/dragons", json!({"title": "Wyverns"}), Some(&jake)).await;

    assert_error(&truncated, 422);
    assert!(errors(&truncated, "body")[0].starts_with("is not valid JSON"), "{:?}", truncated.body);
    assert_error(&wrong_type, 422);
    assert_error(&no_envelope, 422);
    assert_eq!(errors(&no_envelope, "article"), ["can't be blank"]);
    assert_eq!(api.get("/articles/dragons", None).await.body["article"]["title"], "Dragons");
}

#[tokio::test]
async fn updating_someone_elses_article_is_403_and_changes_nothing() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let created = api.post("/articles", new_article("Dragons", &[]), Some(&jake)).await;

    let reply = api.put("/articles/dragons", json!({"article": {"title": "Anne's now"}}), Some(&anne)).await;

    assert_error(&reply, 403);
    assert_eq!(api.get("/articles/dragons", None).await.body, created.body);
}

#[tokio::test]
async fn updating_an_unknown_article_is_404_not_403() {
    let api = TestApi::start().await;
    let anne = api.register("anne").await;

    let reply = api.put("/articles/no-such-article", json!({"article": {"body": "x"}}), Some(&anne)).await;

    assert_error(&reply, 404);
}

#[tokio::test]
async fn updating_without_a_token_is_401() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &[]).await;

    let missing = api.put("/articles/dragons", json!({"article": {"body": "x"}}), None).await;
    let invalid = api.put("/articles/dragons", json!({"article": {"body": "x"}}), Some("garbage")).await;

    assert_refused_by_gateway(&missing);
    assert_invalid_token(&invalid);
}

// ---------------------------------------------------------------------------------------------
// Deleting

#[tokio::test]
async fn deleting_answers_204_with_an_empty_body_and_the_article_is_gone() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let reply = api.call("DELETE", &format!("/articles/{slug}"), None, Some(&jake)).await;

    assert_eq!(reply.status, 204);
    assert!(reply.body.is_null(), "an empty body: {:?}", reply.body);
    assert_error(&api.get(&format!("/articles/{slug}"), None).await, 404);
    assert_error(&api.get(&format!("/articles/{slug}/comments"), None).await, 404);
    assert_error(&api.call("DELETE", &format!("/articles/{slug}"), None, Some(&jake)).await, 404);
}

#[tokio::test]
async fn deleting_removes_the_article_from_every_list() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let kept = create_article(&api, &jake, "Kept", &["dragons"]).await;
    let doomed = create_article(&api, &jake, "Doomed", &["dragons"]).await;
    favorite(&api, &anne, &kept).await;
    favorite(&api, &anne, &doomed).await;
    follow(&api, &anne, "jake").await;

    delete_article(&api, &jake, &doomed).await;

    for path in ["/articles", "/articles?author=jake", "/articles?tag=dragons", "/articles?favorited=anne"] {
        let reply = api.get(path, None).await;
        assert_eq!((slugs(&reply), articles_count(&reply)), (vec![kept.as_str()], 1), "{path}");
    }
    let feed = api.get("/articles/feed", Some(&anne)).await;
    assert_eq!((slugs(&feed), articles_count(&feed)), (vec![kept.as_str()], 1));
}

#[tokio::test]
async fn the_slug_of_a_deleted_article_can_be_used_again() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    delete_article(&api, &jake, &slug).await;

    let again = create_article(&api, &jake, "Dragons", &[]).await;

    assert_eq!(again, "dragons");
    assert_eq!(api.get("/articles/dragons", None).await.status, 200);
}

#[tokio::test]
async fn deleting_someone_elses_article_is_403_and_keeps_it() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let reply = api.call("DELETE", &format!("/articles/{slug}"), None, Some(&anne)).await;

    assert_error(&reply, 403);
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.status, 200);
}

#[tokio::test]
async fn deleting_an_unknown_article_is_404() {
    let api = TestApi::start().await;
    let anne = api.register("anne").await;

    let reply = api.call("DELETE", "/articles/no-such-article", None, Some(&anne)).await;

    assert_error(&reply, 404);
}

#[tokio::test]
async fn deleting_without_a_token_is_401() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let missing = api.call("DELETE", &format!("/articles/{slug}"), None, None).await;
    let invalid = api.call("DELETE", &format!("/articles/{slug}"), None, Some("garbage")).await;

    assert_refused_by_gateway(&missing);
    assert_invalid_token(&invalid);
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn an_empty_list_has_no_articles_and_a_zero_count() {
    let api = TestApi::start().await;

    let reply = api.get("/articles", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, json!({"articles": [], "articlesCount": 0}));
}

#[tokio::test]
async fn the_list_is_most_recent_first_with_items_without_body() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First", &["a"]).await;
    let second = create_article(&api, &anne, "Second", &[]).await;
    let third = create_article(&api, &jake, "Third", &["b", "a"]).await;

    let reply = api.get("/articles", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(keys_of_root(&reply), ["articles", "articlesCount"]);
    assert_eq!(slugs(&reply), [third.as_str(), second.as_str(), first.as_str()]);
    assert_eq!(articles_count(&reply), 3);
    for article in reply.body["articles"].as_array().expect("articles") {
        assert_article_shape(article, false);
        assert_eq!(article["favorited"], false);
        assert_eq!(article["author"]["following"], false);
    }
    assert_eq!(reply.body["articles"][0]["tagList"], json!(["a", "b"]));
    assert_eq!(reply.body["articles"][1]["author"]["username"], "anne");
}

#[tokio::test]
async fn a_list_item_matches_the_single_article_but_for_the_body() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let created = api.post("/articles", new_article("Dragons", &["fire", "air"]), Some(&jake)).await;

    let listed = api.get("/articles", None).await;

    let mut expected = created.body["article"].clone();
    expected.as_object_mut().expect("object").remove("body");
    assert_eq!(listed.body["articles"][0], expected);
}

#[tokio::test]
async fn the_limit_defaults_to_20_and_articles_count_is_the_total() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    for n in 0..22 {
        create_article(&api, &jake, &format!("Article {n}"), &[]).await;
    }

    let reply = api.get("/articles", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(slugs(&reply).len(), 20);
    assert_eq!(slugs(&reply)[0], "article-21");
    assert_eq!(articles_count(&reply), 22);
}

#[tokio::test]
async fn limit_and_offset_page_through_the_list() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let mut published = Vec::new();
    for n in 0..5 {
        published.push(create_article(&api, &jake, &format!("Article {n}"), &[]).await);
    }
    published.reverse();

    let first_page = api.get("/articles?limit=2", None).await;
    let second_page = api.get("/articles?limit=2&offset=2", None).await;
    let last_page = api.get("/articles?limit=2&offset=4", None).await;
    let past_the_end = api.get("/articles?limit=2&offset=10", None).await;

    assert_eq!(slugs(&first_page), published[0..2]);
    assert_eq!(slugs(&second_page), published[2..4]);
    assert_eq!(slugs(&last_page), published[4..5]);
    assert!(slugs(&past_the_end).is_empty());
    for page in [&first_page, &second_page, &last_page, &past_the_end] {
        assert_eq!((page.status, articles_count(page)), (200, 5));
    }
}

#[tokio::test]
async fn the_limit_and_offset_bounds_are_accepted() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &[]).await;

    let smallest = api.get("/articles?limit=1&offset=0", None).await;
    let largest = api.get("/articles?limit=100&offset=10000", None).await;

    assert_eq!((smallest.status, slugs(&smallest).len(), articles_count(&smallest)), (200, 1, 1));
    assert_eq!((largest.status, slugs(&largest).len(), articles_count(&largest)), (200, 0, 1));
}

#[tokio::test]
async fn an_invalid_limit_is_422_on_limit() {
    let api = TestApi::start().await;

    for limit in ["0", "101", "-1", "ten", "1.5", ""] {
        let reply = api.get(&format!("/articles?limit={limit}"), None).await;
        assert_error(&reply, 422);
        assert_eq!(errors(&reply, "limit").len(), 1, "limit={limit}: {:?}", reply.body);
        assert!(errors(&reply, "offset").is_empty(), "limit={limit}: {:?}", reply.body);
    }
}

#[tokio::test]
async fn an_invalid_offset_is_422_on_offset() {
    let api = TestApi::start().await;

    for offset in ["-1", "10001", "x", "2.0"] {
        let reply = api.get(&format!("/articles?offset={offset}"), None).await;
        assert_error(&reply, 422);
        assert_eq!(errors(&reply, "offset").len(), 1, "offset={offset}: {:?}", reply.body);
        assert!(errors(&reply, "limit").is_empty(), "offset={offset}: {:?}", reply.body);
    }
    let both = api.get("/articles?limit=0&offset=-1", None).await;
    assert_eq!((both.status, errors(&both, "limit").len(), errors(&both, "offset").len()), (422, 1, 1));
}

#[tokio::test]
async fn filtering_by_tag_lists_only_articles_with_that_tag() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First dragon", &["dragons", "fire"]).await;
    create_article(&api, &jake, "Some cats", &["cats"]).await;
    let third = create_article(&api, &anne, "Second dragon", &["dragons"]).await;

    let reply = api.get("/articles?tag=dragons", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(slugs(&reply), [third.as_str(), first.as_str()]);
    assert_eq!(articles_count(&reply), 2);
    assert_article_shape(&reply.body["articles"][0], false);
}

#[tokio::test]
async fn filtering_by_author_lists_only_that_authors_articles() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First", &[]).await;
    create_article(&api, &anne, "By anne", &[]).await;
    let third = create_article(&api, &jake, "Third", &[]).await;

    let reply = api.get("/articles?author=jake", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(slugs(&reply), [third.as_str(), first.as_str()]);
    assert_eq!(articles_count(&reply), 2);
}

#[tokio::test]
async fn filtering_by_favorited_lists_only_that_users_favorites() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First", &[]).await;
    let second = create_article(&api, &jake, "Second", &[]).await;
    let third = create_article(&api, &jake, "Third", &[]).await;
    favorite(&api, &anne, &first).await;
    favorite(&api, &anne, &third).await;
    favorite(&api, &jake, &second).await;

    let reply = api.get("/articles?favorited=anne", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(slugs(&reply), [third.as_str(), first.as_str()]);
    assert_eq!(articles_count(&reply), 2);
    // Anonymous: `favorited` is about the caller, not about the filter.
    assert!(reply.body["articles"].as_array().expect("articles").iter().all(|a| a["favorited"] == false));
    assert!(reply.body["articles"].as_array().expect("articles").iter().all(|a| a["favoritesCount"] == 1));
}

#[tokio::test]
async fn filters_combine_and_the_count_is_of_the_combination() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let jake_dragons = create_article(&api, &jake, "Jake dragons", &["dragons"]).await;
    let jake_cats = create_article(&api, &jake, "Jake cats", &["cats"]).await;
    let anne_dragons = create_article(&api, &anne, "Anne dragons", &["dragons"]).await;
    let jake_more_dragons = create_article(&api, &jake, "Jake more dragons", &["dragons", "fire"]).await;
    for slug in [&jake_dragons, &jake_cats, &anne_dragons] {
        favorite(&api, &anne, slug).await;
    }

    let tag_and_author = api.get("/articles?tag=dragons&author=jake", None).await;
    let tag_and_fan = api.get("/articles?tag=dragons&favorited=anne", None).await;
    let author_and_fan = api.get("/articles?author=jake&favorited=anne", None).await;
    let all_three = api.get("/articles?tag=dragons&author=jake&favorited=anne", None).await;
    let paged = api.get("/articles?tag=dragons&author=jake&limit=1&offset=1", None).await;

    assert_eq!(slugs(&tag_and_author), [jake_more_dragons.as_str(), jake_dragons.as_str()]);
    assert_eq!(articles_count(&tag_and_author), 2);
    assert_eq!(slugs(&tag_and_fan), [anne_dragons.as_str(), jake_dragons.as_str()]);
    assert_eq!(articles_count(&tag_and_fan), 2);
    assert_eq!(slugs(&author_and_fan), [jake_cats.as_str(), jake_dragons.as_str()]);
    assert_eq!(articles_count(&author_and_fan), 2);
    assert_eq!(slugs(&all_three), [jake_dragons.as_str()]);
    assert_eq!(articles_count(&all_three), 1);
    assert_eq!(slugs(&paged), [jake_dragons.as_str()]);
    assert_eq!(articles_count(&paged), 2);
}

#[tokio::test]
async fn filters_naming_nobody_give_an_empty_list_not_an_error() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &["dragons"]).await;

    for path in [
        "/articles?author=nobody",
        "/articles?favorited=nobody",
        "/articles?tag=unused",
        "/articles?author=not%20a%20name!",
        "/articles?favorited=jake",
    ] {
        let reply = api.get(path, None).await;
        assert_eq!((reply.status, &reply.body), (200, &json!({"articles": [], "articlesCount": 0})), "{path}");
    }
}

#[tokio::test]
async fn a_token_personalises_favorited_and_following_in_the_list() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let by_bob = create_article(&api, &bob, "By bob", &[]).await;
    let by_jake = create_article(&api, &jake, "By jake", &[]).await;
    follow(&api, &anne, "jake").await;
    favorite(&api, &anne, &by_bob).await;

    let as_anne = api.get("/articles", Some(&anne)).await;
    let anonymous = api.get("/articles", None).await;

    assert_eq!(slugs(&as_anne), [by_jake.as_str(), by_bob.as_str()]);
    let items = &as_anne.body["articles"];
    assert_eq!((items[0]["favorited"].clone(), items[0]["author"]["following"].clone()), (json!(false), json!(true)));
    assert_eq!((items[1]["favorited"].clone(), items[1]["author"]["following"].clone()), (json!(true), json!(false)));
    for item in anonymous.body["articles"].as_array().expect("articles") {
        assert_eq!((item["favorited"].clone(), item["author"]["following"].clone()), (json!(false), json!(false)));
    }
}

#[tokio::test]
async fn an_invalid_token_on_the_list_is_401_not_an_anonymous_read() {
    let api = TestApi::start().await;

    let reply = api.get("/articles", Some("garbage")).await;

    assert_invalid_token(&reply);
}

#[tokio::test]
async fn an_edited_article_shows_its_changes_in_lists() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "Dragons", &["fire"]).await;

    let updated = api
        .put("/articles/dragons", json!({"article": {"title": "Wyverns", "description": "Smaller"}}), Some(&jake))
        .await;
    let listed = api.get("/articles?author=jake", None).await;

    assert_eq!(updated.status, 200);
    let item = &listed.body["articles"][0];
    assert_eq!(
        (item["slug"].as_str(), item["title"].as_str(), item["description"].as_str()),
        (Some("wyverns"), Some("Wyverns"), Some("Smaller"))
    );
    assert_eq!(item["updatedAt"], updated.body["article"]["updatedAt"]);
}

fn keys_of_root(reply: &conduit_api_tests::Reply) -> Vec<&str> {
    common::keys_of(&reply.body)
}
