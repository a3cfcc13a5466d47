//! `PUT /api/articles/{slug}`: the author edits title, description or body. Takes an
//! `Idempotency-Key`: an edit is not idempotent by itself (a new title moves the slug, so the
//! retry of a rename answers 404 for the old one), and the retry gets the first answer.

use conduit_bootstrap::{Adapters, DynamoArticles, Keyed, StartupError};
use conduit_domain::usecases::UpdateArticle;
use conduit_domain::views::ArticleView;
use conduit_http::dto::articles::{ArticleChangeFields, ArticleEnvelope, ArticleResponse};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, Request, Response, auth, request, response};

pub struct UpdateArticleEndpoint {
    update_article: UpdateArticle<DynamoArticles>,
}

impl UpdateArticleEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self { update_article: UpdateArticle::new(adapters.articles()) })
    }
}

fn answer(article: &ArticleView) -> Response<Body> {
    response::ok(&ArticleResponse::from(article))
}

impl KeyedEndpoint for UpdateArticleEndpoint {
    const SCOPE: KeyScope = KeyScope::Caller;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let fields = request::json_body::<ArticleEnvelope<ArticleChangeFields>>(&request)?.into_inner()?;
        let article =
            self.update_article.execute_keyed(caller.user_id, &slug, fields.into(), &receipt.answer(answer)).await?;
        Ok(answer(&article))
    }
}
