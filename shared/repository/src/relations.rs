//! What authors and articles mean to a viewer, in one batched read: the users, the viewer's follow
//! items for those authors, and the viewer's favorite items for those articles. The keys can also
//! join another batch (an article's own items), so a request reads them in the same round trip.

use conduit_domain::ports::{Relations, RelationsReader, StoreError};
use conduit_domain::values::{ArticleId, UserId, Username};

use crate::error::RepositoryError;
use crate::items::sort_key;
use crate::keys;
use crate::table::{Item, Key, KeyQuery, Table};
use crate::users::{UserItem, user_id_by_username};

#[derive(Clone, Debug)]
pub struct DynamoRelations {
    table: Table,
}

impl DynamoRelations {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

/// The keys of the items that say what `users` and `articles` are to `viewer`.
pub(crate) fn keys_for(viewer: Option<UserId>, users: &[UserId], articles: &[ArticleId]) -> Vec<Key> {
    let mut wanted: Vec<Key> = users.iter().map(|user| keys::user(&user.to_string())).collect();
    if let Some(viewer) = viewer {
        let me = viewer.to_string();
        wanted.extend(users.iter().filter(|user| **user != viewer).map(|user| keys::follow(&me, &user.to_string())));
        wanted.extend(articles.iter().map(|article| keys::favorite(&me, &article.to_string())));
    }
    wanted
}

/// Adds what `item` says to `relations`, if it is a user, follow or favorite item (others are
/// left alone: the caller batched them with these).
pub(crate) fn absorb(relations: &mut Relations, item: Item) -> Result<(), RepositoryError> {
    match sort_key(&item) {
        Some(keys::USER_SORT_KEY) => {
            let user = UserItem::decode(item)?.into_user()?;
            relations.users.insert(user.id, user);
        }
        Some(sort) if sort.starts_with(keys::FOLLOW_PREFIX) => {
            if let Ok(followee) = UserId::parse(&sort[keys::FOLLOW_PREFIX.len()..]) {
                relations.following.insert(followee);
            }
        }
        Some(sort) if sort.starts_with(keys::FAVORITE_PREFIX) => {
            if let Ok(article) = ArticleId::parse(&sort[keys::FAVORITE_PREFIX.len()..]) {
                relations.favorited.insert(article);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Adds `more` to `relations` (read for other users or articles of the same viewer).
pub(crate) fn merge(relations: &mut Relations, more: Relations) {
    relations.users.extend(more.users);
    relations.following.extend(more.following);
    relations.favorited.extend(more.favorited);
}

/// What `users` and `articles` are to `viewer`: one consistent batch read (none for nothing
/// asked), since a follow or favorite made by the previous request must show. For one profile or
/// one article, where each item is read once anyway.
pub(crate) async fn read(
    table: &Table,
    viewer: Option<UserId>,
    users: &[UserId],
    articles: &[ArticleId],
) -> Result<Relations, RepositoryError> {
    let mut relations = Relations::default();
    for item in table.batch_get(keys_for(viewer, users, articles), true).await? {
        absorb(&mut relations, item)?;
    }
    Ok(relations)
}

/// Which of the viewer's own items a page needs besides its authors.
#[derive(Clone, Copy)]
pub(crate) enum ViewerItems {
    /// Follows and favorites (a list).
    FollowsAndFavorites,
    /// Favorites only: the reader follows every author of the page (a feed).
    Favorites,
}

/// What a page's `users` and `articles` are to `viewer`, priced by what a page shows: the authors
/// in one eventually consistent batch (half a unit each; the viewer's own account is not among
/// them), and beside it, for a viewer, one consistent Query of the viewer's partition, since a
/// follow or favorite made by the previous request must show. The Query reads from the favorite
/// of the page's oldest article up to the viewer's account (`FAV#<oldest>` ... `USER`): the
/// favorites the page can show, the follows, the feed's state items, the reset state and the
/// account, billed together by size, up to [`VIEWER_ITEMS_PER_QUERY`] items (one unit); what a
/// viewer with more needs of the rest is read by key. For a feed (everyone on it is followed) it
/// reads the favorites of the page's range only.
pub(crate) async fn read_for_page(
    table: &Table,
    viewer: Option<UserId>,
    users: &[UserId],
    articles: &[ArticleId],
    wanted: ViewerItems,
) -> Result<Relations, RepositoryError> {
    let others: Vec<Key> = users
        .iter()
        .filter(|user| Some(**user) != viewer || matches!(wanted, ViewerItems::Favorites))
        .map(|user| keys::user(&user.to_string()))
        .collect();
    let (authors, own) =
        futures::try_join!(table.batch_get(others, false), viewer_items(table, viewer, users, articles, wanted))?;
    let mut relations = Relations::default();
    for item in authors.into_iter().chain(own) {
        absorb(&mut relations, item)?;
    }
    relations.following.retain(|followee| users.contains(followee));
    relations.favorited.retain(|article| articles.contains(article));
    if let (Some(reader), ViewerItems::Favorites) = (viewer, wanted) {
        relations.following.extend(users.iter().filter(|user| **user != reader));
    }
    Ok(relations)
}

/// How many of the viewer's items one page's Query reads at most (under 4 KB of follows, about
/// 190 bytes each, and favorites: one consistent unit). A viewer with more in range has the rest
/// of what the page needs read by key instead, at most one unit per author and favorite, one
/// round trip later.
const VIEWER_ITEMS_PER_QUERY: usize = 20;

/// The viewer's own items a page needs (see [`read_for_page`]): none without a viewer.
async fn viewer_items(
    table: &Table,
    viewer: Option<UserId>,
    users: &[UserId],
    articles: &[ArticleId],
    wanted: ViewerItems,
) -> Result<Vec<Item>, RepositoryError> {
    let Some(viewer) = viewer else { return Ok(Vec::new()) };
    let (oldest, newest) = (articles.iter().min(), articles.iter().max());
    let (first, last) = match (wanted, oldest, newest) {
        (ViewerItems::Favorites, Some(oldest), Some(newest)) => {
            (format!("{}{oldest}", keys::FAVORITE_PREFIX), format!("{}{newest}", keys::FAVORITE_PREFIX))
        }
        (ViewerItems::Favorites, _, _) => return Ok(Vec::new()),
        (ViewerItems::FollowsAndFavorites, Some(oldest), _) => {
            (format!("{}{oldest}", keys::FAVORITE_PREFIX), keys::USER_SORT_KEY.to_owned())
        }
        (ViewerItems::FollowsAndFavorites, None, _) => (keys::FOLLOW_PREFIX.to_owned(), keys::USER_SORT_KEY.to_owned()),
    };
    let me = viewer.to_string();
    let query =
        KeyQuery::partition(keys::user_partition(&me)).sort_between(&first, &last).limit(Some(VIEWER_ITEMS_PER_QUERY));
    let (mut items, more) = table.query_once(query.consistent()).await?;
    let Some(reached) = items.last().and_then(sort_key).filter(|_| more).map(str::to_owned) else { return Ok(items) };
    // The Query stopped early: what lies past where it stopped is read by key.
    let mut rest: Vec<Key> = Vec::new();
    if matches!(wanted, ViewerItems::FollowsAndFavorites) {
        rest.extend(users.iter().filter(|user| **user != viewer).map(|user| keys::follow(&me, &user.to_string())));
        rest.push(keys::user(&me));
    }
    rest.extend(articles.iter().map(|article| keys::favorite(&me, &article.to_string())));
    rest.retain(|(_, sort)| sort.as_str() > reached.as_str());
    items.extend(table.batch_get(rest, true).await?);
    Ok(items)
}

impl RelationsReader for DynamoRelations {
    async fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        Ok(read(&self.table, viewer, users, articles).await?)
    }

    async fn page_relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        Ok(read_for_page(&self.table, viewer, users, articles, ViewerItems::FollowsAndFavorites).await?)
    }

    /// The username claim, then the account and the viewer's follow of it in one batch.
    async fn relations_by_username(
        &self,
        viewer: Option<UserId>,
        username: &Username,
    ) -> Result<Option<(UserId, Relations)>, StoreError> {
        let Some(user) = user_id_by_username(&self.table, username).await? else { return Ok(None) };
        Ok(Some((user, read(&self.table, viewer, &[user], &[]).await?)))
    }
}
