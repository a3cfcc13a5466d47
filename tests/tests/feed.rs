//! The feed through the local gateway: articles by the authors the caller follows, most recent
//! first, paged, and how it fails. Articles published after a follow arrive through the fan-out
//! (the table's stream), a moment later; what a follow or unfollow changes shows at once.

mod common;

use common::{
    articles_count, assert_article_shape, assert_error, assert_invalid_token, assert_refused_by_gateway,
    create_article, delete_article, favorite, follow, keys_of, slugs, unfollow,
};
use conduit_api_tests::{TestApi, errors};
use serde_json::json;

#[tokio::test]
async fn the_feed_without_a_token_is_refused_by_the_gateway_with_401() {
    let api = TestApi::start().await;

    let reply = api.get("/articles/feed", None).await;

    assert_refused_by_gateway(&reply);
}

#[tokio::test]
async fn the_feed_with_an_invalid_token_is_401_in_the_errors_shape() {
    let api = TestApi::start().await;

    let reply = api.get("/articles/feed", Some("garbage")).await;

    assert_invalid_token(&reply);
}

#[tokio::test]
async fn someone_following_nobody_has_an_empty_feed() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    create_article(&api, &jake, "Dragons", &[]).await;
    create_article(&api, &anne, "Anne's own", &[]).await;

    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(reply.body, json!({"articles": [], "articlesCount": 0}));
}

#[tokio::test]
async fn the_feed_shows_followed_authors_most_recent_first_including_earlier_articles() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let bob = api.register("bob").await;
    let carl = api.register("carl").await;
    let anne = api.register("anne").await;
    let jake_old = create_article(&api, &jake, "Jake old", &[]).await;
    let bob_old = create_article(&api, &bob, "Bob old", &[]).await;
    create_article(&api, &carl, "Carl unfollowed", &[]).await;
    follow(&api, &anne, "jake").await;
    follow(&api, &anne, "bob").await;
    let jake_new = create_article(&api, &jake, "Jake new", &[]).await;
    create_article(&api, &anne, "Anne's own", &[]).await;

    // (the article published after the follow reaches the feed through the fan-out)
    let reply = api.feed_counting(&anne, 3).await;

    assert_eq!(reply.status, 200);
    assert_eq!(keys_of(&reply.body), ["articles", "articlesCount"]);
    assert_eq!(slugs(&reply), [jake_new.as_str(), bob_old.as_str(), jake_old.as_str()]);
    assert_eq!(articles_count(&reply), 3);
}

#[tokio::test]
async fn feed_items_have_no_body_and_are_personalised() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let plain = create_article(&api, &jake, "Plain", &["b", "a"]).await;
    let liked = create_article(&api, &jake, "Liked", &[]).await;
    follow(&api, &anne, "jake").await;
    favorite(&api, &anne, &liked).await;

    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(slugs(&reply), [liked.as_str(), plain.as_str()]);
    for article in reply.body["articles"].as_array().expect("articles") {
        assert_article_shape(article, false);
        assert_eq!(article["author"]["username"], "jake");
        assert_eq!(article["author"]["following"], true);
    }
    assert_eq!(
        (&reply.body["articles"][0]["favorited"], &reply.body["articles"][0]["favoritesCount"]),
        (&json!(true), &json!(1))
    );
    assert_eq!(
        (&reply.body["articles"][1]["favorited"], &reply.body["articles"][1]["favoritesCount"]),
        (&json!(false), &json!(0))
    );
    assert_eq!(reply.body["articles"][1]["tagList"], json!(["a", "b"]));
}

#[tokio::test]
async fn the_feed_is_personal_to_the_caller() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let bob = api.register("bob").await;
    let anne = api.register("anne").await;
    let by_jake = create_article(&api, &jake, "By jake", &[]).await;
    let by_bob = create_article(&api, &bob, "By bob", &[]).await;
    follow(&api, &anne, "jake").await;
    follow(&api, &jake, "bob").await;

    let annes = api.get("/articles/feed", Some(&anne)).await;
    let jakes = api.get("/articles/feed", Some(&jake)).await;
    let bobs = api.get("/articles/feed", Some(&bob)).await;

    assert_eq!(slugs(&annes), [by_jake.as_str()]);
    assert_eq!(slugs(&jakes), [by_bob.as_str()]);
    assert_eq!(bobs.body, json!({"articles": [], "articlesCount": 0}));
}

#[tokio::test]
async fn unfollowing_takes_an_authors_articles_out_of_the_feed_at_once() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let bob = api.register("bob").await;
    let anne = api.register("anne").await;
    create_article(&api, &jake, "By jake", &[]).await;
    create_article(&api, &jake, "Also by jake", &[]).await;
    let by_bob = create_article(&api, &bob, "By bob", &[]).await;
    follow(&api, &anne, "jake").await;
    follow(&api, &anne, "bob").await;
    assert_eq!(articles_count(&api.get("/articles/feed", Some(&anne)).await), 3);

    unfollow(&api, &anne, "jake").await;
    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(slugs(&reply), [by_bob.as_str()]);
    assert_eq!(articles_count(&reply), 1);
}

#[tokio::test]
async fn the_feed_pages_with_limit_and_offset_and_counts_every_match() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let bob = api.register("bob").await;
    let anne = api.register("anne").await;
    let mut published = Vec::new();
    for n in 0..6 {
        let (author, name) = if n % 2 == 0 { (&jake, "jake") } else { (&bob, "bob") };
        published.push(create_article(&api, author, &format!("{name} {n}"), &[]).await);
    }
    published.reverse();
    follow(&api, &anne, "jake").await;
    follow(&api, &anne, "bob").await;

    let first = api.get("/articles/feed?limit=2", Some(&anne)).await;
    let middle = api.get("/articles/feed?limit=2&offset=2", Some(&anne)).await;
    let last = api.get("/articles/feed?limit=4&offset=4", Some(&anne)).await;
    let beyond = api.get("/articles/feed?offset=6", Some(&anne)).await;

    assert_eq!(slugs(&first), published[0..2]);
    assert_eq!(slugs(&middle), published[2..4]);
    assert_eq!(slugs(&last), published[4..6]);
    assert!(slugs(&beyond).is_empty());
    for page in [&first, &middle, &last, &beyond] {
        assert_eq!((page.status, articles_count(page)), (200, 6));
    }
}

#[tokio::test]
async fn the_feed_limit_defaults_to_20() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    for n in 0..21 {
        create_article(&api, &jake, &format!("Article {n}"), &[]).await;
    }
    follow(&api, &anne, "jake").await;

    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(slugs(&reply).len(), 20);
    assert_eq!(slugs(&reply)[0], "article-20");
    assert_eq!(articles_count(&reply), 21);
}

#[tokio::test]
async fn an_invalid_limit_or_offset_on_the_feed_is_422() {
    let api = TestApi::start().await;
    let anne = api.register("anne").await;

    let zero = api.get("/articles/feed?limit=0", Some(&anne)).await;
    let too_many = api.get("/articles/feed?limit=101", Some(&anne)).await;
    let word = api.get("/articles/feed?limit=many", Some(&anne)).await;
    let negative = api.get("/articles/feed?offset=-1", Some(&anne)).await;
    let too_far = api.get("/articles/feed?offset=10001", Some(&anne)).await;

    for reply in [&zero, &too_many, &word] {
        assert_error(reply, 422);
        assert_eq!(errors(reply, "limit").len(), 1, "{:?}", reply.body);
    }
    for reply in [&negative, &too_far] {
        assert_error(reply, 422);
        assert_eq!(errors(reply, "offset").len(), 1, "{:?}", reply.body);
    }
}

#[tokio::test]
async fn a_deleted_article_leaves_the_feed() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let kept = create_article(&api, &jake, "Kept", &[]).await;
    let doomed = create_article(&api, &jake, "Doomed", &[]).await;
    follow(&api, &anne, "jake").await;

    delete_article(&api, &jake, &doomed).await;
    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(slugs(&reply), [kept.as_str()]);
    assert_eq!(articles_count(&reply), 1);
}

#[tokio::test]
async fn an_edited_article_shows_its_new_title_and_slug_in_the_feed() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    follow(&api, &anne, "jake").await;

    let renamed = api.put(&format!("/articles/{slug}"), json!({"article": {"title": "Wyverns"}}), Some(&jake)).await;
    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(renamed.status, 200);
    assert_eq!(slugs(&reply), ["wyverns"]);
    assert_eq!(reply.body["articles"][0]["title"], "Wyverns");
}

#[tokio::test]
async fn past_the_push_limit_followers_pull_and_read_the_same_feed() {
    // Given authors whose articles are pushed to one follower at most: anne follows jake first
    // (pushed), bob after her (pulled)
    let api = TestApi::start_with_feed_push_limit(1).await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let old = create_article(&api, &jake, "Old", &[]).await;
    follow(&api, &anne, "jake").await;
    follow(&api, &bob, "jake").await;

    // When jake publishes again
    let new = create_article(&api, &jake, "New", &[]).await;

    // Then bob reads it as soon as the author index has it (his feed merges jake's articles), anne
    // once it is fanned out, and both feeds are the same
    let bobs = api.feed_counting(&bob, 2).await;
    let (_, pulled) = api.measure("GET", "/articles/feed", Some(&bob)).await;
    let annes = api.feed_counting(&anne, 2).await;
    let (_, pushed) = api.measure("GET", "/articles/feed", Some(&anne)).await;
    // ...the pulled author costing bob's read one round trip more than anne's
    assert_eq!((pushed.round_trips, pulled.round_trips), (2, 3));
    for feed in [&bobs, &annes] {
        assert_eq!(slugs(feed), [new.as_str(), old.as_str()]);
        assert_eq!(articles_count(feed), 2);
        assert_eq!(feed.body["articles"][0]["author"]["following"], true);
    }
    // ...and unfollowing takes jake out of bob's at once
    unfollow(&api, &bob, "jake").await;
    assert_eq!(api.get("/articles/feed", Some(&bob)).await.body, json!({"articles": [], "articlesCount": 0}));
}

#[tokio::test]
async fn following_again_right_after_unfollowing_shows_the_author_at_once_with_an_exact_count() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First", &[]).await;
    let second = create_article(&api, &jake, "Second", &[]).await;

    follow(&api, &anne, "jake").await;
    unfollow(&api, &anne, "jake").await;
    follow(&api, &anne, "jake").await;
    let reply = api.get("/articles/feed", Some(&anne)).await;

    assert_eq!(slugs(&reply), [second.as_str(), first.as_str()]);
    assert_eq!(articles_count(&reply), 2);
}
