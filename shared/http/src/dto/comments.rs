use conduit_domain::views::{CommentPageView, CommentView};
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

/// A page of an article's comments, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentsResponse {
    comments: Vec<CommentBody>,
    /// Present when more comments may follow this page: ask again with `after` set to it (the
    /// id of the page's last comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    next_after: Option<u64>,
}

impl CommentsResponse {
    /// The page's comments from the first, as many as fit in `max_bytes` of JSON (at least one):
    /// the page's size is bounded whatever the comments hold, and the client asks for the rest.
    pub fn within(page: &CommentPageView, max_bytes: usize) -> Self {
        // The envelope and the cursor: `{"comments":[],"nextAfter":18446744073709551615}`.
        const ENVELOPE_BYTES: usize = 64;
        let mut used = ENVELOPE_BYTES;
        let mut comments = Vec::with_capacity(page.comments.len());
        for view in &page.comments {
            let comment = CommentBody::from(view);
            // One more byte for the comma before it; a body that cannot be measured is measured
            // as too large, which only shortens the page.
            let size = serde_json::to_vec(&comment).map_or(usize::MAX, |json| json.len()) + 1;
            if !comments.is_empty() && used.saturating_add(size) > max_bytes {
                break;
            }
            used = used.saturating_add(size);
            comments.push(comment);
        }
        let cut = comments.len() < page.comments.len();
        let next_after = (page.more || cut).then(|| comments.last().map(|comment| comment.id)).flatten();
        Self { comments, next_after }
    }
}
