//! `GET /api/articles/{slug}/comments?limit=&after=`: a page of an article's comments, oldest
//! first, bounded in count and in bytes.

use conduit_bootstrap::{
    Adapters, DynamoArticles, DynamoComments, DynamoRelations, DynamoUsers, JwtService, StartupError,
};
use conduit_domain::usecases::{Authenticate, ListComments};
use conduit_http::dto::comments::CommentsResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct ListCommentsEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    list_comments: ListComments<DynamoArticles, DynamoComments, DynamoRelations>,
    page_bytes: usize,
}

impl ListCommentsEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let limits = adapters.read_limits();
        let list_comments =
            ListComments::new(adapters.articles(), adapters.comments(), adapters.relations(), limits.comments_per_page);
        Ok(Self { authenticate: adapters.authenticate()?, list_comments, page_bytes: limits.comment_page_bytes })
    }
}

impl Endpoint for ListCommentsEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let slug = request::path_parameter(&request, "slug")?;
        let limit = request::query_parameter(&request, "limit");
        let after = request::query_parameter(&request, "after");
        let page = auth::read_as_optional_caller(&request, &self.authenticate, |viewer| async move {
            Ok(self.list_comments.execute(viewer, &slug, limit.as_deref(), after.as_deref()).await?)
        })
        .await?;
        Ok(response::ok(&CommentsResponse::within(&page, self.page_bytes)))
    }
}
