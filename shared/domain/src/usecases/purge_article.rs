//! The second half of deleting an article: what it leaves behind (favorites, comments), removed
//! after the request that deleted it.

use crate::DomainError;
use crate::ports::{ArticlePurger, PurgedArticle};
use crate::values::ArticleId;

pub struct PurgeDeletedArticle<P> {
    purger: P,
}

impl<P: ArticlePurger> PurgeDeletedArticle<P> {
    pub fn new(purger: P) -> Self {
        Self { purger }
    }

    /// Safe to run again: a second purge of the same article finds nothing left to remove.
    pub async fn execute(&self, article: ArticleId) -> Result<PurgedArticle, DomainError> {
        Ok(self.purger.purge_deleted(article).await?)
    }
}
