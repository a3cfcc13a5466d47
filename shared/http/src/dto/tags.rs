use conduit_domain::values::Tag;
use serde::Serialize;
use utoipa::ToSchema;

/// `{"tags": [...]}`
#[derive(Debug, Serialize, ToSchema)]
pub struct TagsResponse {
    tags: Vec<String>,
}

impl From<&[Tag]> for TagsResponse {
    fn from(tags: &[Tag]) -> Self {
        Self { tags: tags.iter().map(|tag| tag.as_str().to_owned()).collect() }
    }
}
