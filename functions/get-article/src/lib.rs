//! `GET /api/articles/{slug}`: one article; `favorited` and `following` are personal with a token.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoRelations, DynamoUsers, JwtService, StartupError};
use conduit_domain::usecases::{Authenticate, GetArticle};
use conduit_http::dto::articles::ArticleResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct GetArticleEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    get_article: GetArticle<DynamoArticles, DynamoRelations>,
}

impl GetArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            authenticate: adapters.authenticate()?,
            get_article: GetArticle::new(adapters.articles(), adapters.relations()),
        })
    }
}

impl Endpoint for GetArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let viewer = auth::optional_caller(&request, &self.authenticate).await?;
        let slug = request::path_parameter(&request, "slug")?;
        let article = self.get_article.execute(viewer, &slug).await?;
        Ok(response::ok(&ArticleResponse::from(&article)))
    }
}
