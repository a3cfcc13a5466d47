//! An article's comments come in pages bounded in count and in bytes, whatever the article holds
//! (docs/bounded-reads.md): a cursor (`after`) walks them oldest first.

mod common;

use common::{add_comment, create_article};
use conduit_api_tests::{Reply, TestApi, errors};
use conduit_bootstrap::ReadLimits;

fn ids(reply: &Reply) -> Vec<u64> {
    reply.body["comments"]
        .as_array()
        .unwrap_or_else(|| panic!("a comments array: {:?}", reply.body))
        .iter()
        .map(|comment| comment["id"].as_u64().expect("integer id"))
        .collect()
}

fn small_pages(comments_per_page: usize) -> ReadLimits {
    ReadLimits { comments_per_page, ..ReadLimits::default() }
}

#[tokio::test]
async fn given_more_comments_than_a_page_when_listed_without_parameters_then_the_oldest_page_names_where_to_go_on() {
    let api = TestApi::start_with_read_limits(small_pages(3)).await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    for n in 1..=7 {
        add_comment(&api, &jake, &slug, &format!("comment {n}")).await;
    }

    let first = api.get(&format!("/articles/{slug}/comments"), None).await;
    let second = api.get(&format!("/articles/{slug}/comments?after=3"), None).await;
    let last = api.get(&format!("/articles/{slug}/comments?after=6"), None).await;

    assert_eq!((first.status, ids(&first)), (200, vec![1, 2, 3]), "{:?}", first.body);
    assert_eq!(first.body["nextAfter"], 3);
    assert_eq!((second.status, ids(&second)), (200, vec![4, 5, 6]));
    assert_eq!(second.body["nextAfter"], 6);
    assert_eq!((last.status, ids(&last)), (200, vec![7]));
    assert!(last.body.get("nextAfter").is_none(), "the last page names no next one: {:?}", last.body);
}

#[tokio::test]
async fn given_a_page_exactly_full_when_listed_then_the_empty_page_after_it_is_the_end() {
    let api = TestApi::start_with_read_limits(small_pages(2)).await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    for n in 1..=2 {
        add_comment(&api, &jake, &slug, &format!("comment {n}")).await;
    }

    let only = api.get(&format!("/articles/{slug}/comments"), None).await;
    let beyond = api.get(&format!("/articles/{slug}/comments?after=2"), None).await;

    assert_eq!(ids(&only), vec![1, 2]);
    assert!(only.body.get("nextAfter").is_none(), "nothing follows: {:?}", only.body);
    assert_eq!((beyond.status, ids(&beyond)), (200, vec![]));
}

#[tokio::test]
async fn given_a_limit_when_listed_then_the_page_holds_at_most_that_many_and_a_deleted_comment_is_skipped() {
    let api = TestApi::start().await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    for n in 1..=5 {
        add_comment(&api, &jake, &slug, &format!("comment {n}")).await;
    }
    assert_eq!(api.call("DELETE", &format!("/articles/{slug}/comments/2"), None, Some(&jake)).await.status, 204);

    let page = api.get(&format!("/articles/{slug}/comments?limit=2"), None).await;
    let next = api.get(&format!("/articles/{slug}/comments?limit=2&after=3"), None).await;

    assert_eq!(ids(&page), vec![1, 3]);
    assert_eq!(page.body["nextAfter"], 3);
    assert_eq!(ids(&next), vec![4, 5]);
}

#[tokio::test]
async fn given_bad_paging_when_listed_then_each_parameter_is_reported_and_nothing_is_read() {
    let api = TestApi::start_with_read_limits(small_pages(10)).await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;

    let reply = api.get(&format!("/articles/{slug}/comments?limit=11&after=zero"), None).await;
    let unknown = api.get("/articles/no-such-article/comments?limit=0", None).await;

    assert_eq!(reply.status, 422, "{:?}", reply.body);
    assert_eq!(errors(&reply, "limit"), ["must be a whole number from 1 to 10"]);
    assert_eq!(errors(&reply, "after"), ["must be a comment id"]);
    assert_eq!(unknown.status, 422, "paging is checked before the article is looked up");
}

#[tokio::test]
async fn given_comments_whose_json_is_huge_when_listed_then_the_page_stops_within_its_byte_budget() {
    let budget = ReadLimits::MIN_COMMENT_PAGE_BYTES;
    let api = TestApi::start_with_read_limits(ReadLimits { comment_page_bytes: budget, ..ReadLimits::default() }).await;
    let jake = api.register("jake").await;
    let slug = create_article(&api, &jake, "Dragons", &[]).await;
    // A control character takes one byte stored and six in JSON (`\u0001`): the worst a body of
    // 10,000 characters can grow to.
    let worst_body = "\u{1}".repeat(10_000);
    for _ in 0..4 {
        add_comment(&api, &jake, &slug, &worst_body).await;
    }

    let first = api.get(&format!("/articles/{slug}/comments"), None).await;
    let first_bytes = serde_json::to_vec(&first.body).expect("json").len();
    let rest = api.get(&format!("/articles/{slug}/comments?after={}", first.body["nextAfter"]), None).await;

    assert_eq!(first.status, 200);
    assert_eq!(ids(&first), vec![1, 2], "two comments of 60 KB fit in 128 KiB, a third does not");
    assert!(first_bytes <= budget, "{first_bytes} bytes");
    assert_eq!(ids(&rest), vec![3, 4]);
    assert!(rest.body.get("nextAfter").is_none());
}
