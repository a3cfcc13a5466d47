//! `DELETE /api/articles/{slug}`: the author deletes an article, with its comments and favorites.

use conduit_bootstrap::{Adapters, DynamoArticles, StartupError};
use conduit_domain::usecases::DeleteArticle;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct DeleteArticleEndpoint {
    delete_article: DeleteArticle<DynamoArticles>,
}

impl DeleteArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { delete_article: DeleteArticle::new(adapters.articles()) })
    }
}

impl Endpoint for DeleteArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        self.delete_article.execute(caller.user_id, &slug).await?;
        Ok(response::no_content())
    }
}
