//! What a feed page costs, whoever one follows: readers following 1, 10, 200 and 1,000 authors
//! read their first page in the same number of DynamoDB round trips,
//! and the larger feeds in no more read units than a page with twenty different authors costs.
//! The feed is written when articles are published and when an author is followed, so reading it
//! is one bounded query, not one per followed author. A list page's follow flags cost such readers
//! no more than one follow item per author on the page.

use conduit_api_tests::{TestApi, seeding_charge};
use conduit_domain::User;
use conduit_domain::ports::{FollowWriter, UserWriter};
use conduit_domain::usecases::{ArticleDraft, CreateArticle};
use conduit_domain::values::{Email, PasswordHash, UserId, Username};
use conduit_domain::write_quotas::WriteAction;
use futures::StreamExt;

const AUTHORS: usize = 1_000;
/// Every author publishes one article; the first few publish this many, so that the smaller
/// feeds have a page's worth too.
const ARTICLES_OF_THE_FIRST: usize = 3;
const FIRST: usize = 10;
const SIZES: [usize; 4] = [1, 10, 200, 1_000];
const PAGE: usize = 20;
/// Writes in flight while seeding.
const SEEDING_CONCURRENCY: usize = 8;
/// The most a feed page may cost: the entries, the feed's count and markers, the pending deletions
/// (a unit or so each), 20 summaries at half a unit, and the page's 20 authors and 20 favorites
/// of the reader, read consistently.
const FEED_PAGE_BUDGET: f64 = 45.0;
/// The most a list page of twenty authors may cost its viewer, however many they follow: the
/// entries and 20 summaries (10.5), the 20 authors (10), the viewer's items up to one Query's
/// worth (1), and past it one consistent read per author's follow and the account (21).
const LIST_PAGE_BUDGET: f64 = 44.0;

/// Authors written straight to the table (a thousand registrations would spend the test hashing
/// passwords), who then publish in rounds: the first few authors' extra articles, then every
/// author's article, so a page of the newest articles of many authors has twenty different authors.
async fn authors_with_articles(api: &TestApi) -> Vec<UserId> {
    let hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    let authors: Vec<User> = (0..AUTHORS)
        .map(|n| {
            let username = Username::parse(&format!("author{n:04}")).expect("valid");
            let email = Email::parse(&format!("author{n:04}@example.com")).expect("valid");
            User::register(username, email, hash.clone())
        })
        .collect();
    let users = api.adapters.users();
    let inserted =
        futures::stream::iter(&authors).map(|user| users.insert(user, None)).buffer_unordered(SEEDING_CONCURRENCY);
    assert!(inserted.collect::<Vec<_>>().await.iter().all(Result::is_ok), "authors written");
    let create = CreateArticle::new(
        api.adapters.articles(),
        api.adapters.relations(),
        api.adapters.abuse_limits().account_writes,
    );
    for round in 0..ARTICLES_OF_THE_FIRST {
        let publishing = if round + 1 < ARTICLES_OF_THE_FIRST { &authors[..FIRST] } else { &authors[..] };
        let published = futures::stream::iter(publishing)
            .map(|author| {
                let draft = ArticleDraft {
                    title: Some(format!("{} round {round}", author.username.as_str())),
                    description: Some("A description of reasonable length for a feed page.".into()),
                    body: Some("A body that feeds never read. ".repeat(20)),
                    tag_list: Some(vec!["feed".into()]),
                };
                create.execute(author.id, draft)
            })
            .buffered(SEEDING_CONCURRENCY);
        assert!(published.collect::<Vec<_>>().await.iter().all(Result::is_ok), "round {round} published");
    }
    authors.into_iter().map(|author| author.id).collect()
}

/// The reader's id, from the token the API gave them.
async fn id_of(api: &TestApi, token: &str) -> UserId {
    let reply = api.get("/user", Some(token)).await;
    let username = Username::parse(reply.body["user"]["username"].as_str().expect("a username")).expect("valid");
    use conduit_domain::ports::UserReader;
    api.adapters.users().find_by_username(&username).await.expect("read").expect("exists").id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_page_costs_the_same_round_trips_and_no_more_units_whoever_one_follows() {
    // Given a thousand authors with an article each (three for the first ten), and four readers who
    // follow the first
    // 1, 10, 200 and 1,000 of them (each follow copies the author's articles into the feed)
    let api = TestApi::start_alone().await;
    let authors = authors_with_articles(&api).await;
    let follows = api.adapters.follows();
    let mut readers = Vec::new();
    for size in SIZES {
        let token = api.register(&format!("reader{size}")).await;
        let reader = id_of(&api, &token).await;
        // A thousand follows of one reader: more than an hour's allowance of the API.
        let charge = seeding_charge(WriteAction::Follow);
        let followed = futures::stream::iter(&authors[..size])
            .map(|author| follows.follow(reader, *author, &charge))
            .buffer_unordered(SEEDING_CONCURRENCY);
        assert!(followed.collect::<Vec<_>>().await.iter().all(Result::is_ok), "reader{size}'s follows");
        readers.push((size, token));
    }

    // When each reads the first page of their feed (the authorizer's answer cached, as for any
    // later request)
    let mut measured = Vec::new();
    for (size, token) in &readers {
        assert_eq!(api.get("/user", Some(token)).await.status, 200);
        let (reply, usage) = api.measure("GET", "/articles/feed", Some(token)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let expected = size + (ARTICLES_OF_THE_FIRST - 1) * (*size).min(FIRST);
        assert_eq!(reply.body["articlesCount"], expected as u64, "reader{size}");
        let page = reply.body["articles"].as_array().expect("articles").len();
        assert_eq!(page, PAGE.min(expected), "reader{size}");
        println!(
            "{size:>5} followed: {} round trips, {} calls, {:.1} read units, {} articles on the page",
            usage.round_trips, usage.calls, usage.read_units, page
        );
        measured.push((*size, usage));
    }

    // Then every page takes the same round trips; past twenty authors the page's cost is the same,
    // and no smaller feed costs more; every page stays within budget
    let round_trips: Vec<u32> = measured.iter().map(|(_, usage)| usage.round_trips).collect();
    assert!(round_trips.iter().all(|trips| *trips == round_trips[0]), "round trips by size: {round_trips:?}");
    let units = |wanted: usize| measured.iter().find(|(size, _)| *size == wanted).expect("measured").1.read_units;
    assert!((units(1_000) - units(200)).abs() < 0.5, "200: {}, 1,000: {}", units(200), units(1_000));
    for (size, usage) in &measured {
        assert!(usage.read_units <= units(1_000) + 0.5, "{size} followed: {} units", usage.read_units);
        assert!(usage.read_units <= FEED_PAGE_BUDGET, "{size} followed: {} units", usage.read_units);
    }

    // And when each reads a list page naming twenty authors (by tag), every author shows as
    // followed exactly when the reader follows them, however many that is, and the reader's
    // follows cost no more than reading one follow item per author would
    for (size, token) in &readers {
        let (reply, usage) = api.measure("GET", "/articles?tag=feed", Some(token)).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let articles = reply.body["articles"].as_array().expect("articles");
        assert_eq!(articles.len(), PAGE);
        for article in articles {
            let author = article["author"]["username"].as_str().expect("username");
            let number: usize = author["author".len()..].parse().expect("numbered author");
            assert_eq!(article["author"]["following"], number < *size, "reader{size} and {author}");
        }
        println!(
            "{size:>5} followed, list by tag: {} round trips, {:.1} read units",
            usage.round_trips, usage.read_units
        );
        assert!(usage.round_trips <= 3, "reader{size}: {} round trips", usage.round_trips);
        assert!(usage.read_units <= LIST_PAGE_BUDGET, "reader{size}: {} units", usage.read_units);
    }
}
