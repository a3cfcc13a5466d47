//! `POST /api/articles`: publish an article. Takes an `Idempotency-Key`: a retried publication
//! creates one article, and the retry gets the first answer.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoRelations, Keyed, StartupError};
use conduit_domain::usecases::CreateArticle;
use conduit_domain::views::ArticleView;
use conduit_http::dto::articles::{ArticleEnvelope, ArticleResponse, NewArticleFields};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, BusinessEvent, Request, Response, auth, request, response};

pub struct CreateArticleEndpoint {
    create_article: CreateArticle<DynamoArticles, DynamoRelations>,
}

impl CreateArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self {
            create_article: CreateArticle::new(
                adapters.articles(),
                adapters.relations(),
                adapters.abuse_limits().account_writes,
            ),
        })
    }
}

fn answer(article: &ArticleView) -> Response<Body> {
    response::created(&ArticleResponse::from(article))
}

impl KeyedEndpoint for CreateArticleEndpoint {
    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::ArticlePublished);
    const SCOPE: KeyScope = KeyScope::Caller;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let fields = request::json_body::<ArticleEnvelope<NewArticleFields>>(&request)?.into_inner()?;
        let article = self.create_article.execute_keyed(caller.user_id, fields.into(), &receipt.answer(answer)).await?;
        Ok(answer(&article))
    }
}
