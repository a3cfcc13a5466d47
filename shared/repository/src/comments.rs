//! Comments live in their article's partition, numbered by a counter on the article item. A
//! comment is put in one transaction with its count against the author's write quota.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnConsumedCapacity, ReturnValue};
use conduit_domain::article::Comment;
use conduit_domain::idempotency::Completion;
use conduit_domain::ports::{CommentPage, CommentReader, CommentWriter, StoreError};
use conduit_domain::values::{ArticleId, CommentId, CommentPageRequest, UserId};
use conduit_domain::write_quotas::WriteCharge;

use crate::boxed_send::SendBoxed;
use crate::error::RepositoryError;
use crate::items::CommentItem;
use crate::keys;
use crate::table::{KeyQuery, Table, Traced, TransactError};
use crate::write_quotas;
use crate::writes::{self, condition_failed, number, text};

#[derive(Clone, Debug)]
pub struct DynamoComments {
    table: Table,
}

impl DynamoComments {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// Takes the article's next comment number (atomic `ADD`; fails if the article is gone).
    async fn next_number(&self, article: ArticleId) -> Result<u64, StoreError> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(Table::key(keys::article(&article.to_string()))))
            .update_expression("ADD comments_seq :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":one", number(1))
            .return_values(ReturnValue::UpdatedNew)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send_boxed()
            .traced(&self.table, "UpdateItem")
            .await;
        let output = match result {
            Ok(output) => output,
            Err(SdkError::ServiceError(service))
                if matches!(service.err(), UpdateItemError::ConditionalCheckFailedException(_)) =>
            {
                return Err(StoreError::Missing("article"));
            }
            Err(error) => return Err(RepositoryError::sdk("UpdateItem", error).into()),
        };
        crate::capacity::record("UpdateItem", output.consumed_capacity());
        output
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get("comments_seq"))
            .and_then(|value| value.as_n().ok())
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| {
                RepositoryError::CorruptItem { key: article.to_string(), source: "comments_seq is not a number".into() }
                    .into()
            })
    }
}

impl CommentReader for DynamoComments {
    /// One consistent Query (a comment shows on the next read): one comment more than the page,
    /// to know whether any follow, and never past the 1 MB that one call reads, so the cost is
    /// bounded by the page whatever the article holds.
    async fn comments_page(&self, article: ArticleId, request: CommentPageRequest) -> Result<CommentPage, StoreError> {
        let article = article.to_string();
        let first_number = request.after.map_or(1, |after| after.value().saturating_add(1));
        let (_, first) = keys::comment(&article, first_number);
        let (_, last) = keys::comment(&article, u64::MAX);
        let (items, stopped_early) = self
            .table
            .query_once(
                KeyQuery::partition(keys::article_partition(&article))
                    .sort_between(&first, &last)
                    .limit(Some(request.limit + 1))
                    .consistent(),
            )
            .await?;
        let mut comments = items
            .into_iter()
            .map(|item| crate::decode::<CommentItem>(item)?.into_comment())
            .collect::<Result<Vec<_>, _>>()?;
        let more = stopped_early || comments.len() > request.limit;
        comments.truncate(request.limit);
        Ok(CommentPage { comments, more })
    }

    async fn find_comment(&self, article: ArticleId, id: CommentId) -> Result<Option<Comment>, StoreError> {
        let item = self.table.get(keys::comment(&article.to_string(), id.value()), true).await?;
        Ok(item.map(|item| crate::decode::<CommentItem>(item)?.into_comment()).transpose()?)
    }
}

impl CommentWriter for DynamoComments {
    async fn next_comment_id(&self, article: ArticleId) -> Result<CommentId, StoreError> {
        let number = self.next_number(article).await?;
        CommentId::new(number).map_err(|problem| {
            RepositoryError::CorruptItem { key: article.to_string(), source: problem.to_string().into() }.into()
        })
    }

    /// The number is this comment's alone, so the only item that may already hold its key is the
    /// comment itself, written by an attempt the SDK retried after it timed out on the client's
    /// side: the condition lets that retry through and refuses anything else.
    ///
    /// The put and the quota's count are one transaction rather than a count taken before the
    /// put and given back when it fails: the count then always equals the comments stored in the
    /// window (a give-back can itself fail, or never run when the function times out between the
    /// two), at the same round trips. Its price: the put is billed as a transactional write.
    async fn insert_comment(
        &self,
        comment: &Comment,
        charge: &WriteCharge,
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        let stored = CommentItem::from_comment(comment);
        let values =
            vec![(":author", text(stored.author_id.clone())), (":created_at", text(stored.created_at.clone()))];
        let item = serde_dynamo::to_item(stored).map_err(RepositoryError::from)?;
        let condition = "attribute_not_exists(PK) OR (author_id = :author AND created_at = :created_at)";
        let items = vec![
            writes::put_if(&self.table, item, condition, values)?,
            write_quotas::counted(&self.table, comment.author_id, charge)?,
        ];
        match self.table.transact_completing(items, completion).await? {
            Ok(()) => Ok(()),
            Err(TransactError::Cancelled(codes)) if condition_failed(&codes, 1) => {
                Err(StoreError::OverQuota(charge.refusal()))
            }
            Err(TransactError::Cancelled(_)) => Err(StoreError::Conflict),
            Err(TransactError::Failed(error)) => Err(error.into()),
        }
    }

    /// One conditional delete: the comment goes only if it exists and `author` wrote it.
    async fn delete_comment_by(&self, author: UserId, article: ArticleId, id: CommentId) -> Result<bool, StoreError> {
        let key = keys::comment(&article.to_string(), id.value());
        let values = vec![(":author", text(author.to_string()))];
        Ok(self.table.delete_if(key, "author_id = :author", &[], values).await?)
    }
}
