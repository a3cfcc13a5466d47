//! The accounts' write quotas through the local gateway, with allowances small enough to reach:
//! the write past an account's allowance of articles, comments, follows or favorites is a 429 with
//! `Retry-After` and stores nothing; another account is not affected; a write that changes nothing
//! (a repeated follow or favorite) or is refused for another reason is not counted; and writes at
//! once admit exactly the allowance.

mod common;

use std::time::Duration;

use common::{add_comment, create_article, favorite, follow, new_article};
use conduit_api_tests::{Reply, TestApi, errors};
use conduit_bootstrap::AbuseLimits;
use conduit_domain::throttling::WindowQuota;
use conduit_domain::write_quotas::WriteQuotas;
use futures::future::join_all;
use serde_json::json;

/// A day: the window no test run crosses but by a rare chance, so the counts it makes stay in one.
const WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// An allowance of `max` in the window.
fn allowance(max: u32) -> WindowQuota {
    WindowQuota { max, window: WINDOW }
}

/// These write quotas, the other limits at their defaults.
fn limits(account_writes: WriteQuotas) -> AbuseLimits {
    AbuseLimits { account_writes, ..AbuseLimits::default() }
}

/// The refusal of a write of `kind` (`articles`, `comments`, ...): a 429 in the errors shape that
/// names it, with the same wait in `Retry-After`, within the window. Answers the wait.
fn refused(reply: &Reply, kind: &str) -> u64 {
    assert_eq!(reply.status, 429, "{:?}", reply.body);
    let wait: u64 = reply.header("retry-after").and_then(|seconds| seconds.parse().ok()).expect("Retry-After");
    assert!((1..=WINDOW.as_secs()).contains(&wait), "{wait}");
    let expected = format!("from your account are too many: try again in {wait} s");
    assert_eq!(errors(reply, kind), [expected.as_str()], "{:?}", reply.body);
    wait
}

async fn count_of(api: &TestApi, path: &str, field: &str) -> u64 {
    let reply = api.get(path, None).await;
    assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
    reply.body[field].as_u64().unwrap_or_else(|| panic!("{field} in {:?}", reply.body))
}

#[tokio::test]
async fn the_article_past_the_authors_quota_is_429_and_not_published_while_others_still_publish() {
    // Given jake, who has published his two articles of the window
    let api =
        TestApi::start_with_abuse_limits(limits(WriteQuotas { articles: allowance(2), ..Default::default() })).await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    create_article(&api, &jake, "First", &["quota"]).await;
    create_article(&api, &jake, "Second", &["quota"]).await;

    // When he publishes a third, and anne her first
    let third = api.post("/articles", new_article("Third", &["quota"]), Some(&jake)).await;
    let hers = api.post("/articles", new_article("Hers", &["quota"]), Some(&anne)).await;

    // Then his is refused and nowhere to be found (not by its slug, in his list, its tag's count
    // or the total); hers is published
    refused(&third, "articles");
    assert_eq!(api.get("/articles/third", None).await.status, 404);
    assert_eq!(count_of(&api, "/articles?author=jake", "articlesCount").await, 2);
    assert_eq!(count_of(&api, "/articles?tag=quota", "articlesCount").await, 3);
    assert_eq!(count_of(&api, "/articles", "articlesCount").await, 3);
    assert_eq!(hers.status, 201, "{:?}", hers.body);
}

#[tokio::test]
async fn an_article_whose_title_is_taken_is_one_article_of_the_quota() {
    // Given anne's "Dragons", and an allowance of one article each
    let api =
        TestApi::start_with_abuse_limits(limits(WriteQuotas { articles: allowance(1), ..Default::default() })).await;
    let anne = api.register("anne").await;
    let jake = api.register("jake").await;
    create_article(&api, &anne, "Dragons", &[]).await;

    // When jake publishes "Dragons" too (its plain slug refused, then a suffixed one written)
    let moved = api.post("/articles", new_article("Dragons", &[]), Some(&jake)).await;

    // Then it is published, having used his one article and no more
    assert_eq!(moved.status, 201, "{:?}", moved.body);
    assert!(moved.body["article"]["slug"].as_str().expect("slug").starts_with("dragons-"));
    refused(&api.post("/articles", new_article("Again", &[]), Some(&jake)).await, "articles");
}

#[tokio::test]
async fn the_comment_past_the_authors_quota_is_429_and_not_stored() {
    // Given jake's two comments of the window on anne's article
    let api =
        TestApi::start_with_abuse_limits(limits(WriteQuotas { comments: allowance(2), ..Default::default() })).await;
    let anne = api.register("anne").await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &anne, "Talk", &[]).await;
    add_comment(&api, &jake, &slug, "one").await;
    add_comment(&api, &jake, &slug, "two").await;

    // When he comments a third time, and anne once
    let path = format!("/articles/{slug}/comments");
    let third = api.post(&path, json!({"comment": {"body": "three"}}), Some(&jake)).await;
    add_comment(&api, &anne, &slug, "thanks").await;

    // Then his third is refused and the article has the other three
    refused(&third, "comments");
    let listed = api.get(&path, None).await;
    let bodies: Vec<&str> =
        listed.body["comments"].as_array().expect("comments").iter().filter_map(|c| c["body"].as_str()).collect();
    assert_eq!(bodies, ["one", "two", "thanks"]);
}

#[tokio::test]
async fn the_follow_past_the_quota_is_429_a_repeat_is_not_counted_and_unfollowing_gives_nothing_back() {
    // Given jake, who follows anne twice (the repeat changes nothing) and bob: his two follows
    let api =
        TestApi::start_with_abuse_limits(limits(WriteQuotas { follows: allowance(2), ..Default::default() })).await;
    let jake = api.register("jake").await;
    for name in ["anne", "bob", "carl"] {
        api.register(name).await;
    }
    follow(&api, &jake, "anne").await;
    follow(&api, &jake, "anne").await;
    follow(&api, &jake, "bob").await;

    // When he follows carl, follows anne again, and unfollows bob to follow carl instead
    let carl = api.post("/profiles/carl/follow", json!({}), Some(&jake)).await;
    let anne_again = api.post("/profiles/anne/follow", json!({}), Some(&jake)).await;
    assert_eq!(api.call("DELETE", "/profiles/bob/follow", None, Some(&jake)).await.status, 200);
    let carl_instead = api.post("/profiles/carl/follow", json!({}), Some(&jake)).await;

    // Then carl is refused both times and not followed; the repeat is answered as before
    refused(&carl, "follows");
    refused(&carl_instead, "follows");
    assert_eq!(api.get("/profiles/carl", Some(&jake)).await.body["profile"]["following"], false);
    assert_eq!((anne_again.status, anne_again.body["profile"]["following"].clone()), (200, json!(true)));
}

#[tokio::test]
async fn the_favorite_past_the_fans_quota_is_429_and_counts_nothing_while_others_still_favorite() {
    // Given three articles, and jake who favorites the first twice (the repeat changes nothing)
    // and the second: his two favorites
    let api =
        TestApi::start_with_abuse_limits(limits(WriteQuotas { favorites: allowance(2), ..Default::default() })).await;
    let author = api.register("author").await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slugs = [
        create_article(&api, &author, "A", &[]).await,
        create_article(&api, &author, "B", &[]).await,
        create_article(&api, &author, "C", &[]).await,
    ];
    favorite(&api, &jake, &slugs[0]).await;
    favorite(&api, &jake, &slugs[0]).await;
    favorite(&api, &jake, &slugs[1]).await;

    // When he favorites the third, and anne does too
    let third = api.post(&format!("/articles/{}/favorite", slugs[2]), json!({}), Some(&jake)).await;
    favorite(&api, &anne, &slugs[2]).await;

    // Then his is refused: the article counts anne alone, and his list holds the first two
    refused(&third, "favorites");
    let article = &api.get(&format!("/articles/{}", slugs[2]), Some(&jake)).await.body["article"];
    assert_eq!((article["favoritesCount"].clone(), article["favorited"].clone()), (json!(1), json!(false)));
    assert_eq!(count_of(&api, "/articles?favorited=jake", "articlesCount").await, 2);
}

#[tokio::test]
async fn eight_favorites_at_once_against_an_allowance_of_five_store_exactly_five() {
    // Given eight articles and a fan allowed five favorites (an engine of its own: the burst
    // conflicts on the fan's items, which DynamoDB Local runs one at a time)
    let api =
        TestApi::start_alone_with_abuse_limits(limits(WriteQuotas { favorites: allowance(5), ..Default::default() }))
            .await;
    let author = api.register("author").await;
    let fan = api.register("fan").await;
    let mut slugs = Vec::new();
    for n in 0..8 {
        slugs.push(create_article(&api, &author, &format!("Article {n}"), &[]).await);
    }

    // When the fan favorites all eight at once
    let paths: Vec<String> = slugs.iter().map(|slug| format!("/articles/{slug}/favorite")).collect();
    let replies = join_all(paths.iter().map(|path| api.post(path, json!({}), Some(&fan)))).await;

    // Then five are stored and three refused, and every count agrees
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 5, "{statuses:?}");
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        refused(reply, "favorites");
    }
    assert_eq!(count_of(&api, "/articles?favorited=fan", "articlesCount").await, 5);
    let mut favorited = 0;
    for slug in &slugs {
        favorited += api.get(&format!("/articles/{slug}"), None).await.body["article"]["favoritesCount"]
            .as_u64()
            .expect("favoritesCount");
    }
    assert_eq!(favorited, 5);
}

#[tokio::test]
async fn eight_comments_at_once_against_an_allowance_of_five_store_exactly_five() {
    // Given an article and a commenter allowed five comments, on an engine of its own
    let api =
        TestApi::start_alone_with_abuse_limits(limits(WriteQuotas { comments: allowance(5), ..Default::default() }))
            .await;
    let author = api.register("author").await;
    let commenter = api.register("commenter").await;
    let slug = create_article(&api, &author, "Busy", &[]).await;

    // When the commenter posts eight at once
    let path = format!("/articles/{slug}/comments");
    let replies = join_all(
        (0..8).map(|n| api.post(&path, json!({"comment": {"body": format!("comment {n}")}}), Some(&commenter))),
    )
    .await;

    // Then five are stored and three refused
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 5, "{statuses:?}");
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        refused(reply, "comments");
    }
    let listed = api.get(&path, None).await;
    assert_eq!(listed.body["comments"].as_array().expect("comments").len(), 5);
}
