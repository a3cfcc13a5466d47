use crate::DomainError;
use crate::ports::TagReader;
use crate::values::Tag;

pub struct ListTags<T> {
    tags: T,
    /// The most tags listed: the list's cost and size stay the same however many tags exist.
    listed: usize,
}

impl<T: TagReader> ListTags<T> {
    pub fn new(tags: T, listed: usize) -> Self {
        Self { tags, listed }
    }

    /// The most used tags, most used first.
    #[tracing::instrument(name = "ListTags", skip_all)]
    pub async fn execute(&self) -> Result<Vec<Tag>, DomainError> {
        Ok(self.tags.most_used_tags(self.listed).await?)
    }
}
