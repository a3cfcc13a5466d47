//! Favorites through the local gateway: favoriting and unfavoriting, the counts and the
//! `favorited=` list, and how each of them fails.

mod common;

use common::{
    articles_count, assert_article_shape, assert_error, assert_invalid_token, assert_profile,
    assert_refused_by_gateway, create_article, delete_article, favorite, follow, keys_of, slugs,
};
use conduit_api_tests::TestApi;
use serde_json::json;

#[tokio::test]
async fn favoriting_answers_the_article_with_favorited_true_and_the_new_count() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let created = api.post("/articles", common::new_article("Dragons", &["fire"]), Some(&jake)).await;
    let slug = created.body["article"]["slug"].as_str().expect("slug");

    let reply = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(keys_of(&reply.body), ["article"]);
    let article = &reply.body["article"];
    assert_article_shape(article, true);
    assert_eq!(article["slug"], slug);
    assert_eq!(article["body"], "All about Dragons.");
    // A favorite is not an edit.
    assert_eq!(article["updatedAt"], created.body["article"]["updatedAt"]);
    assert_eq!(article["favorited"], true);
    assert_eq!(article["favoritesCount"], 1);
    assert_profile(&article["author"], "jake", false);
}

#[tokio::test]
async fn a_favorite_shows_in_later_reads_for_the_fan_only() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    favorite(&api, &anne, &slug).await;

    let as_anne = api.get(&format!("/articles/{slug}"), Some(&anne)).await;
    let as_jake = api.get(&format!("/articles/{slug}"), Some(&jake)).await;
    let anonymous = api.get(&format!("/articles/{slug}"), None).await;
    let listed_for_anne = api.get("/articles", Some(&anne)).await;

    assert_eq!(
        (&as_anne.body["article"]["favorited"], &as_anne.body["article"]["favoritesCount"]),
        (&json!(true), &json!(1))
    );
    assert_eq!(
        (&as_jake.body["article"]["favorited"], &as_jake.body["article"]["favoritesCount"]),
        (&json!(false), &json!(1))
    );
    assert_eq!(
        (&anonymous.body["article"]["favorited"], &anonymous.body["article"]["favoritesCount"]),
        (&json!(false), &json!(1))
    );
    assert_eq!(
        (&listed_for_anne.body["articles"][0]["favorited"], &listed_for_anne.body["articles"][0]["favoritesCount"]),
        (&json!(true), &json!(1))
    );
}

#[tokio::test]
async fn favoriting_twice_counts_once() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let first = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;
    let second = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;

    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(
        (&second.body["article"]["favorited"], &second.body["article"]["favoritesCount"]),
        (&json!(true), &json!(1))
    );
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.body["article"]["favoritesCount"], 1);
    assert_eq!(articles_count(&api.get("/articles?favorited=anne", None).await), 1);
}

#[tokio::test]
async fn the_count_adds_up_every_fan() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    favorite(&api, &anne, &slug).await;
    favorite(&api, &bob, &slug).await;
    let own = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(&jake)).await;

    // An author may favorite their own article.
    assert_eq!(own.status, 200);
    assert_eq!((&own.body["article"]["favorited"], &own.body["article"]["favoritesCount"]), (&json!(true), &json!(3)));
    assert_eq!(api.get("/articles", None).await.body["articles"][0]["favoritesCount"], 3);
}

#[tokio::test]
async fn unfavoriting_answers_the_article_with_favorited_false_and_the_new_count() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    favorite(&api, &anne, &slug).await;
    favorite(&api, &bob, &slug).await;

    let reply = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_article_shape(&reply.body["article"], true);
    assert_eq!(
        (&reply.body["article"]["favorited"], &reply.body["article"]["favoritesCount"]),
        (&json!(false), &json!(1))
    );
    assert_eq!(api.get(&format!("/articles/{slug}"), Some(&anne)).await.body["article"]["favorited"], false);
    assert_eq!(api.get(&format!("/articles/{slug}"), Some(&bob)).await.body["article"]["favorited"], true);
}

#[tokio::test]
async fn unfavoriting_twice_or_without_a_favorite_changes_nothing() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let bob = api.register("bob").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    favorite(&api, &bob, &slug).await;

    let never_favorited = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;
    favorite(&api, &anne, &slug).await;
    let once = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;
    let twice = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;

    for reply in [&never_favorited, &once, &twice] {
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(
            (&reply.body["article"]["favorited"], &reply.body["article"]["favoritesCount"]),
            (&json!(false), &json!(1))
        );
    }
    assert_eq!(articles_count(&api.get("/articles?favorited=anne", None).await), 0);
}

#[tokio::test]
async fn the_favorited_filter_follows_favorites_and_unfavorites() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let first = create_article(&api, &jake, "First", &[]).await;
    let second = create_article(&api, &jake, "Second", &[]).await;
    let third = create_article(&api, &jake, "Third", &[]).await;
    for slug in [&first, &second, &third] {
        favorite(&api, &anne, slug).await;
    }

    let all = api.get("/articles?favorited=anne", None).await;
    let unfavorited = api.call("DELETE", &format!("/articles/{second}/favorite"), None, Some(&anne)).await;
    let remaining = api.get("/articles?favorited=anne", Some(&anne)).await;

    assert_eq!(slugs(&all), [third.as_str(), second.as_str(), first.as_str()]);
    assert_eq!(articles_count(&all), 3);
    assert_eq!(unfavorited.status, 200);
    assert_eq!(slugs(&remaining), [third.as_str(), first.as_str()]);
    assert_eq!(articles_count(&remaining), 2);
    for article in remaining.body["articles"].as_array().expect("articles") {
        assert_article_shape(article, false);
        assert_eq!(article["favorited"], true);
    }
}

#[tokio::test]
async fn the_favorited_filter_pages_and_counts_every_favorite() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let mut favorited = Vec::new();
    for n in 0..5 {
        let slug = create_article(&api, &jake, &format!("Article {n}"), &[]).await;
        favorite(&api, &anne, &slug).await;
        favorited.push(slug);
    }
    favorited.reverse();

    let page = api.get("/articles?favorited=anne&limit=2&offset=1", None).await;

    assert_eq!(slugs(&page), favorited[1..3]);
    assert_eq!(articles_count(&page), 5);
}

#[tokio::test]
async fn deleting_a_favorited_article_takes_it_out_of_its_fans_favorites() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let kept = create_article(&api, &jake, "Kept", &[]).await;
    let doomed = create_article(&api, &jake, "Doomed", &[]).await;
    favorite(&api, &anne, &kept).await;
    favorite(&api, &anne, &doomed).await;

    delete_article(&api, &jake, &doomed).await;
    let listed = api.get("/articles?favorited=anne", None).await;
    let refavorite = api.call("POST", &format!("/articles/{doomed}/favorite"), None, Some(&anne)).await;

    assert_eq!((slugs(&listed), articles_count(&listed)), (vec![kept.as_str()], 1));
    assert_error(&refavorite, 404);
}

#[tokio::test]
async fn favoriting_an_unknown_article_is_404() {
    let api = TestApi::start().await;
    let anne = api.register("anne").await;

    let favorite = api.call("POST", "/articles/no-such-article/favorite", None, Some(&anne)).await;
    let unfavorite = api.call("DELETE", "/articles/no-such-article/favorite", None, Some(&anne)).await;

    assert_error(&favorite, 404);
    assert_error(&unfavorite, 404);
}

#[tokio::test]
async fn favoriting_without_a_token_is_refused_by_the_gateway_with_401() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let favorite = api.call("POST", &format!("/articles/{slug}/favorite"), None, None).await;
    let unfavorite = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, None).await;

    assert_refused_by_gateway(&favorite);
    assert_refused_by_gateway(&unfavorite);
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.body["article"]["favoritesCount"], 0);
}

#[tokio::test]
async fn favoriting_with_an_invalid_token_is_401_in_the_errors_shape() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let favorite = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some("garbage")).await;
    let unfavorite = api.call("DELETE", &format!("/articles/{slug}/favorite"), None, Some("garbage")).await;

    assert_invalid_token(&favorite);
    assert_invalid_token(&unfavorite);
    assert_eq!(api.get(&format!("/articles/{slug}"), None).await.body["article"]["favoritesCount"], 0);
}

#[tokio::test]
async fn the_favorite_answer_shows_whether_the_fan_follows_the_author() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    follow(&api, &anne, "jake").await;

    let reply = api.call("POST", &format!("/articles/{slug}/favorite"), None, Some(&anne)).await;

    assert_profile(&reply.body["article"]["author"], "jake", true);
}
