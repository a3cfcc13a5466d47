//! `PUT /api/articles/{slug}`: the author edits title, description or body.

use conduit_bootstrap::{Adapters, DynamoArticles, StartupError};
use conduit_domain::usecases::UpdateArticle;
use conduit_http::dto::articles::{ArticleChangeFields, ArticleEnvelope, ArticleResponse};
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct UpdateArticleEndpoint {
    update_article: UpdateArticle<DynamoArticles>,
}

impl UpdateArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { update_article: UpdateArticle::new(adapters.articles()) })
    }
}

impl Endpoint for UpdateArticleEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let fields = request::json_body::<ArticleEnvelope<ArticleChangeFields>>(&request)?.into_inner()?;
        let article = self.update_article.execute(caller.user_id, &slug, fields.into()).await?;
        Ok(response::ok(&ArticleResponse::from(&article)))
    }
}
