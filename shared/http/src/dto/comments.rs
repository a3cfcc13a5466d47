use conduit_domain::views::CommentView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::profiles::ProfileBody;
use crate::ApiError;

/// `{"comment": {"body": ...}}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentEnvelope {
    #[schema(required = true, nullable = false)]
    comment: Option<CommentFields>,
}

#[derive(Debug, Deserialize, ToSchema)]
struct CommentFields {
    #[schema(required = true, nullable = false)]
    body: Option<String>,
}

impl CommentEnvelope {
    /// The body text, if sent; the use case decides whether it is acceptable.
    pub fn into_body(self) -> Result<Option<String>, ApiError> {
        let comment = self.comment.ok_or_else(|| ApiError::invalid_field("comment", "can't be blank"))?;
        Ok(comment.body)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CommentBody {
    id: u64,
    created_at: String,
    updated_at: String,
    body: String,
    author: ProfileBody,
}

impl From<&CommentView> for CommentBody {
    fn from(view: &CommentView) -> Self {
        Self {
            id: view.comment.id.value(),
            created_at: view.comment.created_at.to_iso8601(),
            updated_at: view.comment.updated_at.to_iso8601(),
            body: view.comment.body.as_str().to_owned(),
            author: (&view.author).into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    comment: CommentBody,
}

impl From<&CommentView> for CommentResponse {
    fn from(view: &CommentView) -> Self {
        Self { comment: view.into() }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentsResponse {
    comments: Vec<CommentBody>,
}

impl From<&[CommentView]> for CommentsResponse {
    fn from(views: &[CommentView]) -> Self {
        Self { comments: views.iter().map(CommentBody::from).collect() }
    }
}
