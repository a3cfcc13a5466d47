//! What authors and articles mean to a viewer, in one batched read: the users, the viewer's follow
//! items for those authors, and the viewer's favorite items for those articles. The keys can also
//! join another batch (an article's own items), so a request reads them in the same round trip.

use conduit_domain::ports::{Relations, RelationsReader, StoreError};
use conduit_domain::values::{ArticleId, UserId, Username};

use crate::error::RepositoryError;
use crate::items::sort_key;
use crate::keys;
use crate::table::{Item, Key, Table};
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
/// asked), since a follow or favorite made by the previous request must show.
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

/// Like [`read`], for a reader who follows every one of `users` (the authors of a feed page):
/// their follow items are not read, which halves what the page's relations cost.
pub(crate) async fn read_followed(
    table: &Table,
    reader: UserId,
    users: &[UserId],
    articles: &[ArticleId],
) -> Result<Relations, RepositoryError> {
    let me = reader.to_string();
    let mut wanted: Vec<Key> = users.iter().map(|user| keys::user(&user.to_string())).collect();
    wanted.extend(articles.iter().map(|article| keys::favorite(&me, &article.to_string())));
    let mut relations = Relations::default();
    for item in table.batch_get(wanted, true).await? {
        absorb(&mut relations, item)?;
    }
    relations.following.extend(users.iter().filter(|user| **user != reader));
    Ok(relations)
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
