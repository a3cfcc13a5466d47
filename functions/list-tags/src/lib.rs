//! `GET /api/tags`: the most used tags (100 by default), most used first.

use conduit_bootstrap::{Adapters, DynamoTags, StartupError};
use conduit_domain::usecases::ListTags;
use conduit_http::dto::tags::TagsResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, response};

pub struct ListTagsEndpoint {
    list_tags: ListTags<DynamoTags>,
}

impl ListTagsEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { list_tags: ListTags::new(adapters.tags(), adapters.read_limits().tags_listed) })
    }
}

impl Endpoint for ListTagsEndpoint {
    async fn handle(&self, _request: Request) -> Result<Response<Body>, ApiError> {
        let tags = self.list_tags.execute().await?;
        Ok(response::ok(&TagsResponse::from(tags.as_slice())))
    }
}
