//! `GET /api/articles/{slug}/comments`: an article's comments, oldest first.

use conduit_bootstrap::{
    Adapters, DynamoArticles, DynamoComments, DynamoRelations, DynamoUsers, JwtService, StartupError,
};
use conduit_domain::usecases::{Authenticate, ListComments};
use conduit_http::dto::comments::CommentsResponse;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct ListCommentsEndpoint {
    authenticate: Authenticate<JwtService, DynamoUsers>,
    list_comments: ListComments<DynamoArticles, DynamoComments, DynamoRelations>,
}

impl ListCommentsEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        let list_comments = ListComments::new(adapters.articles(), adapters.comments(), adapters.relations());
        Ok(Self { authenticate: adapters.authenticate()?, list_comments })
    }
}

impl Endpoint for ListCommentsEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let slug = request::path_parameter(&request, "slug")?;
        let comments = auth::read_as_optional_caller(&request, &self.authenticate, |viewer| async move {
            Ok(self.list_comments.execute(viewer, &slug).await?)
        })
        .await?;
        Ok(response::ok(&CommentsResponse::from(comments.as_slice())))
    }
}
