//! `DELETE /api/articles/{slug}/comments/{id}`: the comment's author deletes it.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoComments, StartupError};
use conduit_domain::usecases::DeleteComment;
use conduit_http::{ApiError, Body, Endpoint, Request, Response, auth, request, response};

pub struct DeleteCommentEndpoint {
    delete_comment: DeleteComment<DynamoArticles, DynamoComments>,
}

impl DeleteCommentEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self { delete_comment: DeleteComment::new(adapters.articles(), adapters.comments()) })
    }
}

impl Endpoint for DeleteCommentEndpoint {
    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let id = request::path_parameter(&request, "id")?;
        self.delete_comment.execute(caller.user_id, &slug, &id).await?;
        Ok(response::no_content())
    }
}
