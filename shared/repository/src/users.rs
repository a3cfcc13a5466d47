//! Accounts: the user item plus one claim item per unique value (e-mail, username). Claims are
//! written in the same transaction as the user, with `attribute_not_exists`, so uniqueness holds
//! under any concurrency without a read first.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, ReturnConsumedCapacity, TransactWriteItem,
};
use conduit_domain::User;
use conduit_domain::ports::{StoreError, UniqueField, UserReader, UserWriter};
use conduit_domain::values::{Bio, Email, ImageUrl, PasswordHash, Timestamp, UserId, Username};
use serde::{Deserialize, Serialize};

use crate::error::RepositoryError;
use crate::keys;
use crate::table::Table;

#[derive(Clone, Debug)]
pub struct DynamoUsers {
    table: Table,
}

/// The stored shape of an account.
#[derive(Serialize, Deserialize)]
struct UserItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    id: String,
    username: String,
    email: String,
    password_hash: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    bio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    image: Option<String>,
    created_at: String,
    updated_at: String,
    version: u64,
}

/// The stored shape of a uniqueness claim: which account holds the value.
#[derive(Serialize, Deserialize)]
struct ClaimItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    user_id: String,
}

impl UserItem {
    fn from_user(user: &User) -> Self {
        let (partition, sort) = keys::user(&user.id.to_string());
        Self {
            partition,
            sort,
            id: user.id.to_string(),
            username: user.username.as_str().to_owned(),
            email: user.email.as_str().to_owned(),
            password_hash: user.password_hash.as_phc().to_owned(),
            bio: user.bio.as_ref().map(|bio| bio.as_str().to_owned()),
            image: user.image.as_ref().map(|image| image.as_str().to_owned()),
            created_at: user.created_at.to_iso8601(),
            updated_at: user.updated_at.to_iso8601(),
            version: user.version,
        }
    }

    fn into_user(self) -> Result<User, RepositoryError> {
        let corrupt = |field: &'static str| {
            let key = self.partition.clone();
            move |problem: conduit_domain::validation::InvalidValue| RepositoryError::CorruptItem {
                key,
                source: format!("{field} {problem}").into(),
            }
        };
        Ok(User {
            id: UserId::parse(&self.id).map_err(corrupt("id"))?,
            username: Username::parse(&self.username).map_err(corrupt("username"))?,
            email: Email::parse(&self.email).map_err(corrupt("email"))?,
            password_hash: PasswordHash::from_phc(self.password_hash.clone()),
            bio: self
                .bio
                .as_deref()
                .map(Bio::parse)
                .transpose()
                .map_err(corrupt("bio"))?
                .flatten(),
            image: self
                .image
                .as_deref()
                .map(ImageUrl::parse)
                .transpose()
                .map_err(corrupt("image"))?
                .flatten(),
            created_at: Timestamp::parse_iso8601(&self.created_at)
                .map_err(corrupt("created_at"))?,
            updated_at: Timestamp::parse_iso8601(&self.updated_at)
                .map_err(corrupt("updated_at"))?,
            version: self.version,
        })
    }
}

impl DynamoUsers {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn get_item<T: for<'de> Deserialize<'de>>(
        &self,
        key: (String, String),
    ) -> Result<Option<T>, RepositoryError> {
        let key_text = key.0.clone();
        let output = self
            .table
            .client
            .get_item()
            .table_name(self.table.name())
            .set_key(Some(Table::key(key)))
            // Read-your-writes: a client logging in right after signing up must find its account.
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|error| RepositoryError::request("GetItem", error))?;
        self.table
            .meter
            .record("GetItem", output.consumed_capacity());
        output
            .item
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|error| RepositoryError::CorruptItem {
                    key: key_text,
                    source: Box::new(error),
                })
            })
            .transpose()
    }

    async fn find_by_claim(
        &self,
        claim_key: (String, String),
    ) -> Result<Option<User>, RepositoryError> {
        let Some(claim) = self.get_item::<ClaimItem>(claim_key).await? else {
            return Ok(None);
        };
        let user = self
            .get_item::<UserItem>(keys::user(&claim.user_id))
            .await?;
        user.map(UserItem::into_user).transpose()
    }

    fn claim_put(
        &self,
        (partition, sort): (String, String),
        user: &User,
    ) -> Result<TransactWriteItem, RepositoryError> {
        let item = ClaimItem {
            partition,
            sort,
            user_id: user.id.to_string(),
        };
        let put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(serde_dynamo::to_item(item)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(|error| RepositoryError::request("TransactWriteItems", error))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Releases a claim, but only if it is still ours: never delete a value someone else now holds.
    fn claim_release(
        &self,
        key: (String, String),
        user: &User,
    ) -> Result<TransactWriteItem, RepositoryError> {
        let delete = Delete::builder()
            .table_name(self.table.name())
            .set_key(Some(Table::key(key)))
            .condition_expression("user_id = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(user.id.to_string()))
            .build()
            .map_err(|error| RepositoryError::request("TransactWriteItems", error))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn user_put(
        &self,
        user: &User,
        expected_version: Option<u64>,
    ) -> Result<TransactWriteItem, RepositoryError> {
        let mut put = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(serde_dynamo::to_item(UserItem::from_user(user))?));
        put = match expected_version {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(version) => put
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string())),
        };
        let put = put
            .build()
            .map_err(|error| RepositoryError::request("TransactWriteItems", error))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Runs one transaction. `meaning` names, per item in order, which unique field a failed
    /// condition on that item stands for (`None`: the user item's own condition, a concurrent change).
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        meaning: &[Option<UniqueField>],
    ) -> Result<(), StoreError> {
        let result = self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match result {
            Ok(output) => {
                self.table
                    .meter
                    .record("TransactWriteItems", output.consumed_capacity());
                Ok(())
            }
            Err(SdkError::ServiceError(service))
                if matches!(
                    service.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                let TransactWriteItemsError::TransactionCanceledException(cancelled) =
                    service.err()
                else {
                    unreachable!("matched above")
                };
                match interpret_cancellation(cancelled.cancellation_reasons(), meaning) {
                    Some(error) => Err(error),
                    None => Err(
                        RepositoryError::request("TransactWriteItems", service.into_err()).into(),
                    ),
                }
            }
            Err(error) => Err(RepositoryError::request("TransactWriteItems", error).into()),
        }
    }
}

/// Turns failed conditions into the domain's outcome; `None` when the transaction failed for
/// another reason (throttling, a conflicting transaction) that the caller should see as a failure.
fn interpret_cancellation(
    reasons: &[CancellationReason],
    meaning: &[Option<UniqueField>],
) -> Option<StoreError> {
    let failed_conditions: Vec<Option<UniqueField>> = reasons
        .iter()
        .zip(meaning)
        .filter(|(reason, _)| reason.code() == Some("ConditionalCheckFailed"))
        .map(|(_, meaning)| *meaning)
        .collect();
    if failed_conditions.is_empty() {
        return None;
    }
    if failed_conditions.contains(&None) {
        return Some(StoreError::Conflict);
    }
    Some(StoreError::AlreadyTaken(
        failed_conditions.into_iter().flatten().collect(),
    ))
}

impl UserReader for DynamoUsers {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let item = self
            .get_item::<UserItem>(keys::user(&id.to_string()))
            .await?;
        Ok(item.map(UserItem::into_user).transpose()?)
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self
            .find_by_claim(keys::email_claim(&email.canonical()))
            .await?)
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self
            .find_by_claim(keys::username_claim(&username.canonical()))
            .await?)
    }
}

impl UserWriter for DynamoUsers {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let items = vec![
            self.user_put(user, None)?,
            self.claim_put(keys::email_claim(&user.email.canonical()), user)?,
            self.claim_put(keys::username_claim(&user.username.canonical()), user)?,
        ];
        self.transact(
            items,
            &[None, Some(UniqueField::Email), Some(UniqueField::Username)],
        )
        .await
    }

    async fn update(&self, previous: &User, updated: &User) -> Result<(), StoreError> {
        let mut items = vec![self.user_put(updated, Some(previous.version))?];
        let mut meaning = vec![None];
        // A change of case only ("Jake" -> "jake") keeps the same claim.
        if previous.email.canonical() != updated.email.canonical() {
            items.push(self.claim_put(keys::email_claim(&updated.email.canonical()), updated)?);
            items.push(
                self.claim_release(keys::email_claim(&previous.email.canonical()), previous)?,
            );
            meaning.extend([Some(UniqueField::Email), None]);
        }
        if previous.username.canonical() != updated.username.canonical() {
            items.push(
                self.claim_put(keys::username_claim(&updated.username.canonical()), updated)?,
            );
            items.push(self.claim_release(
                keys::username_claim(&previous.username.canonical()),
                previous,
            )?);
            meaning.extend([Some(UniqueField::Username), None]);
        }
        self.transact(items, &meaning).await
    }
}
