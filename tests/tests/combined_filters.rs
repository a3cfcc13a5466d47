//! A list with two or three filters searches a bounded window of the list that drives it (the
//! fan's favorites, or else the author's articles), so what it reads does not grow with them
//! (docs/bounded-reads.md).

mod common;

use common::{articles_count, create_article, favorite, slugs};
use conduit_api_tests::TestApi;
use conduit_bootstrap::ReadLimits;

fn window(combined_filter_window: usize) -> ReadLimits {
    ReadLimits { combined_filter_window, ..ReadLimits::default() }
}

#[tokio::test]
async fn given_an_author_with_more_articles_than_the_window_when_filtered_by_tag_too_then_only_the_newest_are_searched()
{
    let api = TestApi::start_with_read_limits(window(3)).await;
    let jake = api.register("jake").await;
    let mut published = Vec::new();
    for n in 1..=5 {
        published.push(create_article(&api, &jake, &format!("Dragon {n}"), &["dragons"]).await);
    }

    let reply = api.get("/articles?author=jake&tag=dragons", None).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(articles_count(&reply), 3, "the matches within the window");
    let newest: Vec<&str> = published.iter().rev().take(3).map(String::as_str).collect();
    assert_eq!(slugs(&reply), newest);
}

#[tokio::test]
async fn given_a_fan_with_more_favorites_than_the_window_when_filtered_by_author_too_then_only_the_newest_are_searched()
{
    let api = TestApi::start_with_read_limits(window(2)).await;
    let jake = api.register("jake").await;
    let anne = api.register("anne").await;
    let mut favorited = Vec::new();
    for n in 1..=4 {
        let slug = create_article(&api, &jake, &format!("Dragon {n}"), &[]).await;
        favorite(&api, &anne, &slug).await;
        favorited.push(slug);
    }

    let reply = api.get("/articles?author=jake&favorited=anne", None).await;

    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(articles_count(&reply), 2);
    let newest: Vec<&str> = favorited.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(slugs(&reply), newest);
}
