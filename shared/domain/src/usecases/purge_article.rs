//! The second half of deleting an article: what it leaves behind (favorites, comments, feed
//! entries), removed after the request that deleted it, one bounded chunk at a time.

use crate::DomainError;
use crate::ports::{ArticlePurger, ArticleRef, PurgedArticle};
use crate::work_chunks::{Chunk, WorkBudget};

pub struct PurgeDeletedArticle<P> {
    purger: P,
}

impl<P: ArticlePurger> PurgeDeletedArticle<P> {
    pub fn new(purger: P) -> Self {
        Self { purger }
    }

    /// One chunk of the purge, within `budget`. Safe to run again: a repeated chunk, or one after
    /// the purge ended, finds nothing more to remove.
    #[tracing::instrument(name = "PurgeDeletedArticle", skip_all)]
    pub async fn execute(&self, article: ArticleRef, budget: WorkBudget) -> Result<Chunk<PurgedArticle>, DomainError> {
        Ok(self.purger.purge_deleted(article, budget).await?)
    }
}
