//! Deleting an article costs the same however popular it was: the request removes what makes the
//! article visible, and the purge-deleted-article consumer of the table's stream removes its
//! favorites and comments afterwards.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use common::create_article;
use conduit_api_tests::{TestApi, seeding_charge};
use conduit_domain::User;
use conduit_domain::ports::{ArticleReader, ArticleRef, FavoriteWriter, UserWriter};
use conduit_domain::usecases::AddComment;
use conduit_domain::values::{Email, PasswordHash, Slug, UserId, Username};
use conduit_domain::write_quotas::WriteAction;
use conduit_dynamodb_local::{DynamoDbLocal, test_table_on};
use futures::future::join_all;

const FANS: usize = 200;

/// `count` accounts, each favoriting and commenting on `slug`, written through the adapters (the
/// same code the API runs, without hashing a password per account).
async fn fans_of(api: &TestApi, slug: &str, count: usize) -> Vec<(UserId, String)> {
    let adapters = &api.adapters;
    let article = adapters
        .articles()
        .find_summary_by_slug(&Slug::parse(slug).expect("slug"))
        .await
        .expect("read")
        .expect("the article exists");
    let fans: Vec<User> = (0..count)
        .map(|n| {
            User::register(
                Username::parse(&format!("fan{n}")).expect("valid"),
                Email::parse(&format!("fan{n}@example.com")).expect("valid"),
                PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            )
        })
        .collect();
    let quotas = adapters.abuse_limits().account_writes;
    let comment = AddComment::new(adapters.articles(), adapters.comments(), adapters.relations(), quotas);
    // A few at a time: every favorite and comment also updates the one article item.
    for chunk in fans.chunks(4) {
        join_all(chunk.iter().map(|fan| async {
            adapters.users().insert(fan, None).await.expect("fan");
            let charge = seeding_charge(WriteAction::Favorite);
            adapters.favorites().favorite(fan.id, ArticleRef::from(&article), &charge).await.expect("favorited");
            comment.execute(fan.id, slug, Some("Great read".into())).await.expect("commented");
        }))
        .await;
    }
    fans.into_iter().map(|fan| (fan.id, fan.username.as_str().to_owned())).collect()
}

/// How many items of `partition` (with a sort key starting `prefix`) the table holds.
async fn items_in(api: &TestApi, partition: &str, prefix: &str) -> usize {
    let client = aws_sdk_dynamodb::Client::new(api.adapters.aws_settings());
    let output = client
        .query()
        .table_name(api.adapters.table().name())
        .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
        .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("queried");
    output.items().len()
}

#[tokio::test]
async fn deleting_an_article_with_hundreds_of_favorites_and_comments_costs_what_deleting_a_quiet_one_does() {
    // Given two articles by jake: one nobody touched, one with 200 fans who favorited and commented,
    // on a DynamoDB Local of this test's own (the shared one slows down as the suite fills it)
    let engine = DynamoDbLocal::start(None).await.expect("DynamoDB Local of this test");
    let api = TestApi::start_in(test_table_on(engine.endpoint()).await).await;
    let jake = api.register("jake").await;
    let quiet = create_article(&api, &jake, "Quiet", &["dragons"]).await;
    let popular = create_article(&api, &jake, "Popular", &["dragons"]).await;
    let popular_id = api
        .adapters
        .articles()
        .find_summary_by_slug(&Slug::parse(&popular).expect("slug"))
        .await
        .expect("read")
        .expect("exists")
        .id
        .to_string();
    let fans = fans_of(&api, &popular, FANS).await;

    // When both are deleted (the authorizer's answer for jake's token cached, as for any later request)
    assert_eq!(api.get("/user", Some(&jake)).await.status, 200);
    let (quiet_reply, quiet_cost) = api.measure("DELETE", &format!("/articles/{quiet}"), Some(&jake)).await;
    let (popular_reply, popular_cost) = api.measure("DELETE", &format!("/articles/{popular}"), Some(&jake)).await;

    // Then both answer 204 at the same cost
    assert_eq!((quiet_reply.status, popular_reply.status), (204, 204));
    println!("delete cost: quiet {quiet_cost:?}, popular {popular_cost:?}");
    assert_eq!(
        (popular_cost.read_units, popular_cost.write_units, popular_cost.calls),
        (quiet_cost.read_units, quiet_cost.write_units, quiet_cost.calls)
    );
    // ...at once no fan's favorites show it
    for (_, fan) in fans.iter().take(3) {
        let listed = api.get(&format!("/articles?favorited={fan}"), None).await;
        assert_eq!(listed.body["articlesCount"], 0, "{fan}: {:?}", listed.body);
    }
    // ...and within 10 s its favorites and comments are gone from the table
    let started = Instant::now();
    loop {
        let comments = items_in(&api, &format!("ARTICLE#{popular_id}"), "COMMENT#").await;
        let favorite_key = format!("FAV#{popular_id}");
        let fan_partitions: Vec<String> = fans.iter().take(20).map(|(id, _)| format!("USER#{id}")).collect();
        let favorites = join_all(fan_partitions.iter().map(|partition| items_in(&api, partition, &favorite_key)))
            .await
            .into_iter()
            .sum::<usize>();
        let pending = items_in(&api, "ARTICLE_PURGES", &popular_id).await;
        if comments + favorites + pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "after 10 s: {comments} comments, {favorites} of 20 fans' favorites, {pending} pending purge"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("purged {FANS} favorites and {FANS} comments within {:?}", started.elapsed());
    // ...with every fan's count right: one new favorite each lists exactly one article
    let other = create_article(&api, &jake, "Another", &[]).await;
    let adapters = &api.adapters;
    let another = adapters
        .articles()
        .find_summary_by_slug(&Slug::parse(&other).expect("slug"))
        .await
        .expect("read")
        .expect("exists");
    for (id, fan) in fans.iter().take(5) {
        let charge = seeding_charge(WriteAction::Favorite);
        adapters.favorites().favorite(*id, ArticleRef::from(&another), &charge).await.expect("favorited");
        let listed = api.get(&format!("/articles?favorited={fan}"), None).await;
        assert_eq!(listed.body["articlesCount"], 1, "{fan}: {:?}", listed.body);
    }
}
