//! The home feed: reading it, and keeping it written as articles are published and follows end.

use super::articles::parse_page;
use super::personalize::list_view;
use crate::DomainError;
use crate::ports::{ArticleRef, EndedFollow, FeedFanOut, FeedReader};
use crate::values::UserId;
use crate::views::ArticleListView;
use crate::work_chunks::{Chunk, WorkBudget};

pub struct FeedArticles<F> {
    feed: F,
}

impl<F: FeedReader> FeedArticles<F> {
    pub fn new(feed: F) -> Self {
        Self { feed }
    }

    /// Articles by the authors the caller follows, most recent first. A follow or unfollow shows
    /// at once (a follow with the author's recent articles); a new article shows once it has been
    /// fanned out.
    #[tracing::instrument(name = "FeedArticles", skip_all)]
    pub async fn execute(
        &self,
        caller: UserId,
        limit: Option<&str>,
        offset: Option<&str>,
    ) -> Result<ArticleListView, DomainError> {
        let page = parse_page(limit, offset)?;
        list_view(self.feed.feed(caller, page).await?)
    }
}

/// After an article is published: into its author's followers' feeds.
pub struct FanOutArticle<F> {
    feeds: F,
}

impl<F: FeedFanOut> FanOutArticle<F> {
    pub fn new(feeds: F) -> Self {
        Self { feeds }
    }

    /// Safe to run again: feeds that have the article already are left alone. Answers how many
    /// feeds got it now.
    #[tracing::instrument(name = "FanOutArticle", skip_all)]
    pub async fn execute(&self, article: ArticleRef) -> Result<usize, DomainError> {
        Ok(self.feeds.fan_out(article).await?)
    }
}

/// After an unfollow: the entries it left behind, out of the reader's feed.
pub struct ClearEndedFollow<F> {
    feeds: F,
}

impl<F: FeedFanOut> ClearEndedFollow<F> {
    pub fn new(feeds: F) -> Self {
        Self { feeds }
    }

    /// One chunk of the clearing, within `budget`. Safe to run again. Answers how many entries
    /// were removed now, and whether more are left.
    #[tracing::instrument(name = "ClearEndedFollow", skip_all)]
    pub async fn execute(&self, follow: &EndedFollow, budget: WorkBudget) -> Result<Chunk<usize>, DomainError> {
        Ok(self.feeds.clear_ended_follow(follow, budget).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{StoreError, SummaryPage};
    use crate::values::Page;

    /// A feed that remembers the page it was asked for.
    #[derive(Default)]
    struct AskedFeed {
        asked: std::sync::Mutex<Vec<Page>>,
    }

    impl FeedReader for AskedFeed {
        async fn feed(&self, _reader: UserId, page: Page) -> Result<SummaryPage, StoreError> {
            self.asked.lock().expect("lock").push(page);
            Ok(SummaryPage::default())
        }
    }

    #[tokio::test]
    async fn the_feed_is_read_for_the_page_asked_and_defaults_to_twenty_from_the_start() {
        let feed = AskedFeed::default();
        let use_case = FeedArticles::new(feed);

        let defaulted = use_case.execute(UserId::generate(), None, None).await.expect("read");
        use_case.execute(UserId::generate(), Some("5"), Some("10")).await.expect("read");

        assert_eq!((defaulted.articles.len(), defaulted.total), (0, 0));
        assert_eq!(
            *use_case.feed.asked.lock().expect("lock"),
            [Page { limit: 20, offset: 0 }, Page { limit: 5, offset: 10 }]
        );
    }

    #[tokio::test]
    async fn a_bad_limit_or_offset_is_refused_before_anything_is_read() {
        let use_case = FeedArticles::new(AskedFeed::default());

        let refused = use_case.execute(UserId::generate(), Some("0"), Some("-1")).await;

        let Err(DomainError::Validation(errors)) = refused else { panic!("expected a validation error: {refused:?}") };
        assert_eq!(errors.fields().keys().collect::<Vec<_>>(), ["limit", "offset"]);
        assert!(use_case.feed.asked.lock().expect("lock").is_empty());
    }
}
