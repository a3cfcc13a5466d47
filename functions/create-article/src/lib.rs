//! `POST /api/articles`: publish an article.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoRelations, StartupError};
use conduit_domain::usecases::CreateArticle;
use conduit_http::dto::articles::{ArticleEnvelope, ArticleResponse, NewArticleFields};
use conduit_http::{ApiError, Body, BusinessEvent, Endpoint, Request, Response, auth, request, response};

pub struct CreateArticleEndpoint {
    create_article: CreateArticle<DynamoArticles, DynamoRelations>,
}

impl CreateArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            create_article: CreateArticle::new(
                adapters.articles(),
                adapters.relations(),
                adapters.abuse_limits().account_writes,
            ),
        })
    }
}

impl Endpoint for CreateArticleEndpoint {
    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::ArticlePublished);

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let fields = request::json_body::<ArticleEnvelope<NewArticleFields>>(&request)?.into_inner()?;
        let article = self.create_article.execute(caller.user_id, fields.into()).await?;
        Ok(response::created(&ArticleResponse::from(&article)))
    }
}
