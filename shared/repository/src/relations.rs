//! What authors and articles mean to a viewer, in one batched read: the users, the viewer's follow
//! items for those authors, and the viewer's favorite items for those articles.

use conduit_domain::ports::{Relations, RelationsReader, StoreError};
use conduit_domain::values::{ArticleId, UserId};

use crate::items::sort_key;
use crate::keys;
use crate::table::Table;
use crate::users::UserItem;

#[derive(Clone, Debug)]
pub struct DynamoRelations {
    table: Table,
}

impl DynamoRelations {
    pub fn new(table: Table) -> Self {
        Self { table }
    }
}

impl RelationsReader for DynamoRelations {
    async fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        let mut wanted: Vec<keys::Key> = users.iter().map(|user| keys::user(&user.to_string())).collect();
        if let Some(viewer) = viewer {
            let me = viewer.to_string();
            wanted
                .extend(users.iter().filter(|user| **user != viewer).map(|user| keys::follow(&me, &user.to_string())));
            wanted.extend(articles.iter().map(|article| keys::favorite(&me, &article.to_string())));
        }
        // Consistent: a follow or favorite made by the previous request must show.
        let items = self.table.batch_get(wanted, true).await?;

        let mut relations = Relations::default();
        for item in items {
            match sort_key(&item) {
                Some("USER") => {
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
        }
        Ok(relations)
    }
}
