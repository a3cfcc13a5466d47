//! Deleting an article in two halves, against DynamoDB Local: the request's transaction hides it
//! at once; the purge removes its favorites and comments later, exactly once.

mod common;

use common::someone;

use conduit_domain::ports::{
    ArticleFilter, ArticlePurger, ArticleReader, ArticleRef, ArticleWriter, FavoriteWriter, PurgedArticle,
};
use conduit_domain::usecases::{AddComment, ArticleDraft, CreateArticle};
use conduit_domain::values::{Page, Slug, Timestamp, Username};
use conduit_domain::work_chunks::{Remaining, WorkBudget};
use conduit_domain::write_quotas::{WriteAction, WriteQuotas};
use conduit_dynamodb_local::test_table;
use conduit_repository::{
    DynamoArticlePurges, DynamoArticles, DynamoComments, DynamoFavorites, DynamoRelations, DynamoUsers, Table,
};

struct Stores {
    users: DynamoUsers,
    articles: DynamoArticles,
    favorites: DynamoFavorites,
    comments: DynamoComments,
    relations: DynamoRelations,
    purges: DynamoArticlePurges,
}

async fn stores() -> Stores {
    let local = test_table().await;
    let table = Table::new(local.client, local.name);
    Stores {
        users: DynamoUsers::new(table.clone()),
        articles: DynamoArticles::new(table.clone()),
        favorites: DynamoFavorites::new(table.clone()),
        comments: DynamoComments::new(table.clone()),
        relations: DynamoRelations::new(table.clone()),
        purges: DynamoArticlePurges::new(table),
    }
}

fn favorited_by(fan: &str) -> ArticleFilter {
    ArticleFilter { favorited_by: Some(Username::parse(fan).expect("valid")), ..ArticleFilter::default() }
}

/// Room for a whole small purge in one chunk.
fn one_chunk() -> WorkBudget {
    WorkBudget { items: 1_000, deadline: std::time::Instant::now() + std::time::Duration::from_secs(60) }
}

fn first_page() -> Page {
    Page { limit: Page::DEFAULT_LIMIT, offset: 0 }
}

#[tokio::test]
async fn a_deleted_article_is_out_of_its_fans_lists_and_counts_before_and_after_its_purge() {
    // Given a fan who favorited two of jake's articles, one of them commented on
    let stores = stores().await;
    let jake = someone(&stores.users, "jake").await;
    let fan = someone(&stores.users, "fan").await;
    let create = CreateArticle::new(stores.articles.clone(), stores.relations.clone(), WriteQuotas::default());
    for title in ["Kept", "Deleted"] {
        let draft = ArticleDraft {
            title: Some(title.into()),
            description: Some("d".into()),
            body: Some("b".into()),
            tag_list: None,
        };
        create.execute(jake, draft).await.expect("published");
    }
    let slug = |text: &str| Slug::parse(text).expect("valid slug");
    let deleted = stores.articles.find_summary_by_slug(&slug("deleted")).await.expect("read").expect("exists");
    let kept = stores.articles.find_summary_by_slug(&slug("kept")).await.expect("read").expect("exists");
    let charge = WriteQuotas::default().charge(WriteAction::Favorite, Timestamp::now());
    stores.favorites.favorite(fan, ArticleRef::from(&deleted), &charge).await.expect("favorited");
    stores.favorites.favorite(fan, ArticleRef::from(&kept), &charge).await.expect("favorited");
    AddComment::new(stores.articles.clone(), stores.comments.clone(), stores.relations.clone(), WriteQuotas::default())
        .execute(fan, "deleted", Some("Nice".into()))
        .await
        .expect("commented");

    // When the article is deleted, and before anything purges it
    stores.articles.delete(&deleted).await.expect("deleted");
    let before_purge = stores.articles.list(&favorited_by("fan"), first_page(), Some(fan)).await.expect("listed");

    // Then the fan's favorites show only the kept article, with an exact total
    assert_eq!(before_purge.total, 1);
    assert_eq!(before_purge.summaries.iter().map(|s| s.slug.as_str()).collect::<Vec<_>>(), ["kept"]);
    assert!(before_purge.relations.favorited.contains(&kept.id), "read with the fan's relations");

    // When it is purged, twice (a redelivered record)
    let purged = stores.purges.purge_deleted(ArticleRef::from(&deleted), one_chunk()).await.expect("purged");
    let again = stores.purges.purge_deleted(ArticleRef::from(&deleted), one_chunk()).await.expect("purged again");
    let after_purge = stores.articles.list(&favorited_by("fan"), first_page(), Some(fan)).await.expect("listed");

    // Then the first removed one favorite and one comment, the second nothing, and the list agrees
    assert_eq!(purged.done, PurgedArticle { favorites: 1, comments: 1, feed_entries: 0 });
    assert_eq!((again.done, again.remaining), (PurgedArticle::default(), Remaining::Nothing));
    assert_eq!(after_purge.total, 1);
    assert_eq!(after_purge.summaries.len(), 1);
}
