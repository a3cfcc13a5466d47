//! Invariants that must hold when many clients act at once.

use conduit_api_tests::TestApi;
use futures::future::join_all;
use serde_json::json;

async fn publish(api: &TestApi, token: &str, title: &str) -> String {
    let body = json!({"article": {"title": title, "description": "d", "body": "b", "tagList": ["race"]}});
    let reply = api.post("/articles", body, Some(token)).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body["article"]["slug"].as_str().expect("slug").to_owned()
}

#[tokio::test]
async fn many_users_favoriting_one_article_at_once_are_all_counted() {
    let api = TestApi::start_alone().await;
    let author = api.register("author").await;
    let slug = publish(&api, &author, "Popular").await;
    let fans = join_all((0..12).map(|n| {
        let api = &api;
        async move { api.register(&format!("fan{n}")).await }
    }))
    .await;

    // Every fan favorites twice, all at once: idempotency and exactness together.
    let path = format!("/articles/{slug}/favorite");
    let replies = join_all(fans.iter().chain(fans.iter()).map(|token| api.post(&path, json!({}), Some(token)))).await;

    assert!(
        replies.iter().all(|reply| reply.status == 200),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let article = api.get(&format!("/articles/{slug}"), None).await;
    assert_eq!(article.body["article"]["favoritesCount"], 12);
    let listed = api.get("/articles?favorited=fan3", None).await;
    assert_eq!(listed.body["articlesCount"], 1);
}

#[tokio::test]
async fn concurrent_unfavorites_bring_the_count_back_to_exactly_zero() {
    let api = TestApi::start_alone().await;
    let author = api.register("author").await;
    let slug = publish(&api, &author, "Fleeting").await;
    let fans = join_all((0..8).map(|n| {
        let api = &api;
        async move { api.register(&format!("fan{n}")).await }
    }))
    .await;
    let path = format!("/articles/{slug}/favorite");
    join_all(fans.iter().map(|token| api.post(&path, json!({}), Some(token)))).await;

    join_all(fans.iter().chain(fans.iter()).map(|token| api.call("DELETE", &path, None, Some(token)))).await;

    let article = api.get(&format!("/articles/{slug}"), None).await;
    assert_eq!(article.body["article"]["favoritesCount"], 0);
}

#[tokio::test]
async fn articles_with_the_same_title_created_at_once_get_distinct_slugs() {
    let api = TestApi::start_alone().await;
    let authors = join_all((0..6).map(|n| {
        let api = &api;
        async move { api.register(&format!("writer{n}")).await }
    }))
    .await;

    let slugs = join_all(authors.iter().map(|token| publish(&api, token, "Same Title"))).await;

    let mut distinct = slugs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), slugs.len(), "{slugs:?}");
    assert!(slugs.contains(&"same-title".to_owned()), "{slugs:?}");
    assert!(slugs.iter().all(|slug| slug.starts_with("same-title")), "{slugs:?}");
    let listed = api.get("/articles?tag=race", None).await;
    assert_eq!(listed.body["articlesCount"], 6);
    for slug in &slugs {
        assert_eq!(api.get(&format!("/articles/{slug}"), None).await.status, 200, "{slug}");
    }
}

#[tokio::test]
async fn racing_follows_and_unfollows_leave_one_consistent_state() {
    let api = TestApi::start_alone().await;
    let reader = api.register("reader").await;
    let writer = api.register("writer").await;
    publish(&api, &writer, "Before the follow").await;
    let path = "/profiles/writer/follow";

    let racing = (0..10).map(|n| {
        let (method, body) = if n % 2 == 0 { ("POST", Some(json!({}))) } else { ("DELETE", None) };
        api.call(method, path, body, Some(&reader))
    });
    let replies = join_all(racing).await;

    assert!(replies.iter().all(|reply| reply.status == 200));
    // Whatever won, the profile, and the feed agree with each other...
    let following =
        api.get("/profiles/writer", Some(&reader)).await.body["profile"]["following"].as_bool().expect("bool");
    let feed = api.get("/articles/feed", Some(&reader)).await;
    assert_eq!(feed.body["articlesCount"], if following { 1 } else { 0 });
    // ...and the next decisive request settles it.
    api.post(path, json!({}), Some(&reader)).await;
    assert_eq!(api.get("/articles/feed", Some(&reader)).await.body["articlesCount"], 1);
    api.call("DELETE", path, None, Some(&reader)).await;
    assert_eq!(api.get("/articles/feed", Some(&reader)).await.body["articlesCount"], 0);
}

#[tokio::test]
async fn comments_posted_at_once_get_distinct_ids() {
    let api = TestApi::start_alone().await;
    let author = api.register("author").await;
    let slug = publish(&api, &author, "Discussed").await;
    let path = format!("/articles/{slug}/comments");

    let replies =
        join_all((0..10).map(|n| api.post(&path, json!({"comment": {"body": format!("comment {n}")}}), Some(&author))))
            .await;

    let mut ids: Vec<u64> =
        replies.iter().map(|reply| reply.body["comment"]["id"].as_u64().expect("numeric id")).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=10).collect::<Vec<u64>>());
    let listed = api.get(&path, None).await;
    assert_eq!(listed.body["comments"].as_array().expect("comments").len(), 10);
}
