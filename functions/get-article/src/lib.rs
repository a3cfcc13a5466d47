//! `GET /api/articles/{slug}`: one article; `favorited` and `following` are personal with a token.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoUsers, JwtService, StartupError};
use conduit_domain::usecases::{Authenticate, GetArticle};
use conduit_http::dto::articles::ArticleResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct GetArticleEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    get_article: GetArticle<DynamoArticles>,
}

impl GetArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { authenticate: adapters.authenticate()?, get_article: GetArticle::new(adapters.articles()) })
    }
}

impl Endpoint for GetArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let slug = request::path_parameter(&request, "slug")?;
        let article = auth::read_as_optional_caller(&request, &self.authenticate, |viewer| async move {
            Ok(self.get_article.execute(viewer, &slug).await?)
        })
        .await?;
        Ok(response::ok(&ArticleResponse::from(&article)))
    }
}
