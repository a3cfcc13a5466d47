//! `GET /api/articles/{slug}`: one article; `favorited` and `following` are personal with a token.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoRelations, JwtService, StartupError};
use conduit_domain::usecases::GetArticle;
use conduit_http::dto::articles::ArticleResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct GetArticleEndpoint {
    jwt: JwtService,
    get_article: GetArticle<DynamoArticles, DynamoRelations>,
}

impl GetArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { jwt: adapters.jwt()?, get_article: GetArticle::new(adapters.articles(), adapters.relations()) })
    }
}

impl Endpoint for GetArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let viewer = auth::optional_caller(&request, &self.jwt).await?;
        let slug = request::path_parameter(&request, "slug")?;
        let article = self.get_article.execute(viewer, &slug).await?;
        Ok(response::ok(&ArticleResponse::from(&article)))
    }
}
