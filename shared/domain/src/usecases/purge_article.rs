//! The second half of deleting an article: what it leaves behind (favorites, comments, feed
//! entries), removed after the request that deleted it.

use crate::DomainError;
use crate::ports::{ArticlePurger, ArticleRef, PurgedArticle};

pub struct PurgeDeletedArticle<P> {
    purger: P,
}

impl<P: ArticlePurger> PurgeDeletedArticle<P> {
    pub fn new(purger: P) -> Self {
        Self { purger }
    }

    /// Safe to run again: a second purge of the same article finds nothing left to remove.
    pub async fn execute(&self, article: ArticleRef) -> Result<PurgedArticle, DomainError> {
        Ok(self.purger.purge_deleted(article).await?)
    }
}
