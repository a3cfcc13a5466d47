//! `POST /api/articles/{slug}/comments`: comment on an article.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoComments, DynamoRelations, StartupError};
use conduit_domain::usecases::AddComment;
use conduit_http::dto::comments::{CommentEnvelope, CommentResponse};
use conduit_http::{ApiError, Body, BusinessEvent, Endpoint, Request, Response, auth, request, response};

pub struct AddCommentEndpoint {
    add_comment: AddComment<DynamoArticles, DynamoComments, DynamoRelations>,
}

impl AddCommentEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Self, StartupError> {
        Ok(Self {
            add_comment: AddComment::new(
                adapters.articles(),
                adapters.comments(),
                adapters.relations(),
                adapters.abuse_limits().account_writes,
            ),
        })
    }
}

impl Endpoint for AddCommentEndpoint {
    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::CommentPosted);

    async fn handle(&self, request: Request) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let body = request::json_body::<CommentEnvelope>(&request)?.into_body()?;
        let comment = self.add_comment.execute(caller.user_id, &slug, body).await?;
        // The official OpenAPI description answers 200 here, not 201.
        Ok(response::ok(&CommentResponse::from(&comment)))
    }
}
