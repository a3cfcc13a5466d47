//! `GET /api/articles/feed?limit=&offset=`: articles by the authors the caller follows.

use conduit_bootstrap::{Adapters, DynamoFeed, StartupError};
use conduit_domain::usecases::FeedArticles;
use conduit_http::dto::articles::ArticlesResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct FeedArticlesEndpoint {
    feed: FeedArticles<DynamoFeed>,
}

impl FeedArticlesEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { feed: FeedArticles::new(adapters.feed()) })
    }
}

impl Endpoint for FeedArticlesEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let limit = request::query_parameter(&request, "limit");
        let offset = request::query_parameter(&request, "offset");
        let list = self.feed.execute(caller.user_id, limit.as_deref(), offset.as_deref()).await?;
        Ok(response::ok(&ArticlesResponse::from(&list)))
    }
}
