use crate::DomainError;
use crate::ports::TagReader;
use crate::values::Tag;

pub struct ListTags<T> {
    tags: T,
}

impl<T: TagReader> ListTags<T> {
    pub fn new(tags: T) -> Self {
        Self { tags }
    }

    pub async fn execute(&self) -> Result<Vec<Tag>, DomainError> {
        Ok(self.tags.tags_in_use().await?)
    }
}
