//! Tags through the local gateway: the tags in use, most used first, and filtering articles by
//! one of them.

mod common;

use common::{articles_count, create_article, delete_article, keys_of, slugs};
use conduit_api_tests::TestApi;
use serde_json::json;

#[tokio::test]
async fn with_no_articles_there_are_no_tags() {
    let api = TestApi::start().await;

    let reply = api.get("/tags", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(reply.body, json!({"tags": []}));
}

#[tokio::test]
async fn every_tag_in_use_is_listed_once_most_used_first() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    create_article(&api, &jake, "One", &["rare", "common", "middling"]).await;
    create_article(&api, &anne, "Two", &["common", "middling"]).await;
    create_article(&api, &jake, "Three", &["common"]).await;

    let reply = api.get("/tags", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(keys_of(&reply.body), ["tags"]);
    assert_eq!(reply.body["tags"], json!(["common", "middling", "rare"]));
}

#[tokio::test]
async fn a_tag_repeated_in_one_article_counts_once() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "One", &["echo", "echo", "echo", "solo"]).await;
    create_article(&api, &jake, "Two", &["solo"]).await;

    let reply = api.get("/tags", None).await;

    assert_eq!(reply.body["tags"], json!(["solo", "echo"]));
}

#[tokio::test]
async fn the_tags_list_needs_no_token() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "One", &["dragons"]).await;

    let anonymous = api.get("/tags", None).await;
    let signed_in = api.get("/tags", Some(&jake)).await;

    assert_eq!((anonymous.status, &anonymous.body), (200, &json!({"tags": ["dragons"]})));
    assert_eq!((signed_in.status, &signed_in.body), (200, &json!({"tags": ["dragons"]})));
}

#[tokio::test]
async fn a_tag_stays_while_an_article_has_it_and_disappears_with_its_last_article() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let first = create_article(&api, &jake, "One", &["shared", "only-first"]).await;
    let second = create_article(&api, &jake, "Two", &["shared"]).await;

    delete_article(&api, &jake, &first).await;
    let after_first = api.get("/tags", None).await;
    delete_article(&api, &jake, &second).await;
    let after_second = api.get("/tags", None).await;

    assert_eq!(after_first.body, json!({"tags": ["shared"]}));
    assert_eq!(after_second.body, json!({"tags": []}));
}

#[tokio::test]
async fn a_tag_comes_back_when_a_new_article_uses_it() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "One", &["phoenix"]).await;
    delete_article(&api, &jake, &slug).await;

    let reborn = create_article(&api, &jake, "Two", &["phoenix"]).await;
    let tags = api.get("/tags", None).await;
    let tagged = api.get("/articles?tag=phoenix", None).await;

    assert_eq!(tags.body, json!({"tags": ["phoenix"]}));
    assert_eq!((slugs(&tagged), articles_count(&tagged)), (vec![reborn.as_str()], 1));
}

#[tokio::test]
async fn the_tag_filter_counts_articles_after_deletes() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let first = create_article(&api, &jake, "One", &["dragons"]).await;
    let second = create_article(&api, &jake, "Two", &["dragons"]).await;
    let third = create_article(&api, &jake, "Three", &["dragons"]).await;
    delete_article(&api, &jake, &second).await;

    let reply = api.get("/articles?tag=dragons&limit=1", None).await;

    assert_eq!(slugs(&reply), [third.as_str()]);
    assert_eq!(articles_count(&reply), 2);
    let rest = api.get("/articles?tag=dragons&offset=1", None).await;
    assert_eq!(slugs(&rest), [first.as_str()]);
}

#[tokio::test]
async fn tags_with_url_special_characters_can_be_listed_and_filtered() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let cpp = create_article(&api, &jake, "Templates", &["c++"]).await;
    let spaced = create_article(&api, &jake, "Spaces", &["machine learning"]).await;
    let unicode = create_article(&api, &jake, "Drachen", &["drachenzähmung"]).await;

    let tags = api.get("/tags", None).await;
    let by_cpp = api.get("/articles?tag=c%2B%2B", None).await;
    let by_spaced = api.get("/articles?tag=machine%20learning", None).await;
    let by_plus_spaced = api.get("/articles?tag=machine+learning", None).await;
    let by_unicode = api.get("/articles?tag=drachenz%C3%A4hmung", None).await;

    let mut listed: Vec<&str> = tags.body["tags"].as_array().expect("tags").iter().filter_map(|t| t.as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["c++", "drachenzähmung", "machine learning"]);
    assert_eq!(slugs(&by_cpp), [cpp.as_str()]);
    assert_eq!(slugs(&by_spaced), [spaced.as_str()]);
    assert_eq!(slugs(&by_plus_spaced), [spaced.as_str()]);
    assert_eq!(slugs(&by_unicode), [unicode.as_str()]);
}

#[tokio::test]
async fn every_tag_in_use_is_listed_while_there_are_no_more_than_the_default_hundred() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    for batch in 0..4 {
        let tags: Vec<String> = (0..10).map(|n| format!("tag-{batch}-{n}")).collect();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        create_article(&api, &jake, &format!("Batch {batch}"), &tags).await;
    }

    let reply = api.get("/tags", None).await;

    assert_eq!(reply.body["tags"].as_array().map(Vec::len), Some(40));
}

#[tokio::test]
async fn given_more_tags_than_are_listed_when_the_tags_are_read_then_only_the_most_used_are() {
    let limits = conduit_bootstrap::ReadLimits { tags_listed: 2, ..conduit_bootstrap::ReadLimits::default() };
    let api = TestApi::start_with_read_limits(limits).await;
    let jake = api.register("jake").await;
    create_article(&api, &jake, "One", &["rare", "common", "middling", "zebra"]).await;
    create_article(&api, &jake, "Two", &["common", "middling"]).await;
    create_article(&api, &jake, "Three", &["common"]).await;
    let dropped = create_article(&api, &jake, "Four", &["gone", "gone-too", "gone-three"]).await;
    delete_article(&api, &jake, &dropped).await;

    let reply = api.get("/tags", None).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["tags"], json!(["common", "middling"]), "the two most used, most used first");
}
