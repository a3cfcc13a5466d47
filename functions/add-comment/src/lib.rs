//! `POST /api/articles/{slug}/comments`: comment on an article. Takes an `Idempotency-Key`: a
//! retried comment is posted once, and the retry gets the first answer.

use conduit_bootstrap::{Adapters, DynamoArticles, DynamoComments, DynamoRelations, Keyed, StartupError};
use conduit_domain::usecases::AddComment;
use conduit_domain::views::CommentView;
use conduit_http::dto::comments::{CommentEnvelope, CommentResponse};
use conduit_http::idempotency::{KeyScope, KeyedEndpoint, Receipt};
use conduit_http::{ApiError, Body, BusinessEvent, Request, Response, auth, request, response};

pub struct AddCommentEndpoint {
    add_comment: AddComment<DynamoArticles, DynamoComments, DynamoRelations>,
}

impl AddCommentEndpoint {
    pub fn new(adapters: &Adapters) -> Result<Keyed<Self>, StartupError> {
        adapters.keyed(Self {
            add_comment: AddComment::new(
                adapters.articles(),
                adapters.comments(),
                adapters.relations(),
                adapters.abuse_limits().account_writes,
            ),
        })
    }
}

/// The official OpenAPI description answers 200 here, not 201.
fn answer(comment: &CommentView) -> Response<Body> {
    response::ok(&CommentResponse::from(comment))
}

impl KeyedEndpoint for AddCommentEndpoint {
    const BUSINESS_EVENT: Option<BusinessEvent> = Some(BusinessEvent::CommentPosted);
    const SCOPE: KeyScope = KeyScope::Caller;

    async fn handle(&self, request: Request, receipt: &Receipt) -> Result<Response<Body>, ApiError> {
        let caller = auth::require_caller(&request)?;
        let slug = request::path_parameter(&request, "slug")?;
        let body = request::json_body::<CommentEnvelope>(&request)?.into_body()?;
        let comment = self.add_comment.execute_keyed(caller.user_id, &slug, body, &receipt.answer(answer)).await?;
        Ok(answer(&comment))
    }
}
