//! Accounts: the user item plus one claim item per unique value (e-mail, username). Claims are
//! written in the same transaction as the user, with `attribute_not_exists`, so uniqueness holds
//! under any concurrency without a read first.

use aws_sdk_dynamodb::types::TransactWriteItem;
use conduit_domain::User;
use conduit_domain::account_notice::AccountNotice;
use conduit_domain::idempotency::Completion;
use conduit_domain::ports::{SessionReader, StoreError, UniqueField, UserReader, UserWriter};
use conduit_domain::values::{Bio, Email, ImageUrl, PasswordHash, SessionGeneration, Timestamp, UserId, Username};
use serde::{Deserialize, Serialize};

use crate::account_notices::notice_put;
use crate::error::RepositoryError;
use crate::items::corrupt;
use crate::keys;
use crate::table::{Item, Key, Table, TransactError};
use crate::writes::{self, number, text};

#[derive(Clone, Debug)]
pub struct DynamoUsers {
    table: Table,
}

/// The stored shape of an account. The counters are maintained by the article and favorite
/// transactions with `ADD`, so account updates never overwrite the whole item.
#[derive(Serialize, Deserialize)]
pub(crate) struct UserItem {
    #[serde(rename = "PK")]
    partition: String,
    #[serde(rename = "SK")]
    sort: String,
    pub(crate) id: String,
    username: String,
    email: String,
    password_hash: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    bio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    image: Option<String>,
    created_at: String,
    updated_at: String,
    /// Absent on accounts stored before sessions could be revoked: the first generation.
    #[serde(default)]
    session_generation: u32,
    version: u64,
    /// Articles this user has published.
    #[serde(default)]
    pub(crate) articles_count: u64,
    /// Articles this user has favorited.
    #[serde(default)]
    pub(crate) favorites_count: u64,
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
            session_generation: user.session_generation.value(),
            version: user.version,
            articles_count: 0,
            favorites_count: 0,
        }
    }

    pub(crate) fn decode(item: Item) -> Result<Self, RepositoryError> {
        crate::decode(item)
    }

    pub(crate) fn into_user(self) -> Result<User, RepositoryError> {
        let key = &self.partition;
        Ok(User {
            id: UserId::parse(&self.id).map_err(corrupt(key, "id"))?,
            username: Username::parse(&self.username).map_err(corrupt(key, "username"))?,
            email: Email::parse(&self.email).map_err(corrupt(key, "email"))?,
            password_hash: PasswordHash::from_phc(self.password_hash.clone()),
            bio: self.bio.as_deref().map(Bio::parse).transpose().map_err(corrupt(key, "bio"))?.flatten(),
            image: self.image.as_deref().map(ImageUrl::parse).transpose().map_err(corrupt(key, "image"))?.flatten(),
            created_at: Timestamp::parse_iso8601(&self.created_at).map_err(corrupt(key, "created_at"))?,
            updated_at: Timestamp::parse_iso8601(&self.updated_at).map_err(corrupt(key, "updated_at"))?,
            session_generation: SessionGeneration::from_stored(self.session_generation),
            version: self.version,
        })
    }
}

impl DynamoUsers {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    async fn find_by_claim(&self, claim_key: Key) -> Result<Option<User>, RepositoryError> {
        let Some(id) = claim_holder(&self.table, claim_key).await? else {
            return Ok(None);
        };
        let user = self.table.get(keys::user(&id.to_string()), true).await?;
        user.map(|item| UserItem::decode(item)?.into_user()).transpose()
    }

    fn claim_put(&self, (partition, sort): Key, user: &User) -> Result<TransactWriteItem, RepositoryError> {
        writes::put(&self.table, ClaimItem { partition, sort, user_id: user.id.to_string() }, true)
    }

    /// Releases a claim, but only if it is still ours: never delete a value someone else now holds.
    fn claim_release(&self, key: Key, user: &User) -> Result<TransactWriteItem, RepositoryError> {
        let owner = vec![(":owner", text(user.id.to_string()))];
        writes::delete(&self.table, key, Some(("user_id = :owner", owner)))
    }

    /// Sets the account's own fields, leaving the counters alone, if the version is unchanged.
    fn user_update(&self, previous: &User, updated: &User) -> Result<TransactWriteItem, RepositoryError> {
        user_update(&self.table, previous, updated)
    }

    /// Runs the transaction, with a keyed request's completion; `meaning` names, per item in
    /// order, which unique field a failed condition on it stands for (`None`: the user item's own
    /// condition, a concurrent change).
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        meaning: &[Option<UniqueField>],
        completion: Option<&Completion>,
    ) -> Result<(), StoreError> {
        match self.table.transact_completing(items, completion).await? {
            Ok(()) => Ok(()),
            Err(TransactError::Failed(error)) => Err(error.into()),
            Err(TransactError::Cancelled(codes)) => {
                let failed: Vec<Option<UniqueField>> = codes
                    .iter()
                    .zip(meaning)
                    .filter(|(code, _)| *code == "ConditionalCheckFailed")
                    .map(|(_, meaning)| *meaning)
                    .collect();
                if failed.contains(&None) {
                    Err(StoreError::Conflict)
                } else {
                    Err(StoreError::AlreadyTaken(failed.into_iter().flatten().collect()))
                }
            }
        }
    }
}

/// The account holding a claim. Read-your-writes: a client logging in right after signing up, or
/// looked up right after a rename, must be found.
async fn claim_holder(table: &Table, claim_key: Key) -> Result<Option<UserId>, RepositoryError> {
    let Some(claim) = table.get(claim_key, true).await? else {
        return Ok(None);
    };
    let claim: ClaimItem = crate::decode(claim)?;
    UserId::parse(&claim.user_id).map(Some).map_err(corrupt(&claim.partition, "user_id"))
}

/// The account holding `username` (case-insensitive), from its claim alone.
pub(crate) async fn user_id_by_username(table: &Table, username: &Username) -> Result<Option<UserId>, RepositoryError> {
    claim_holder(table, keys::username_claim(&username.canonical())).await
}

/// The write of an account's own fields (not its counters, not its claims), conditional on the
/// version `previous` was read at; shared with the writes that change an account alongside other
/// items (a completed password reset).
pub(crate) fn user_update(
    table: &Table,
    previous: &User,
    updated: &User,
) -> Result<TransactWriteItem, RepositoryError> {
    let mut set = vec![
        "username = :username",
        "email = :email",
        "password_hash = :password_hash",
        "updated_at = :updated_at",
        "session_generation = :session_generation",
        "version = :version",
    ];
    let mut values = vec![
        (":expected", number(previous.version)),
        (":username", text(updated.username.as_str())),
        (":email", text(updated.email.as_str())),
        (":password_hash", text(updated.password_hash.as_phc())),
        (":updated_at", text(updated.updated_at.to_iso8601())),
        (":version", number(updated.version)),
        (":session_generation", number(updated.session_generation.value())),
    ];
    let mut remove = Vec::new();
    // Optional fields are set when present and removed when cleared.
    for (attribute, assignment, placeholder, value) in [
        ("bio", "bio = :bio", ":bio", updated.bio.as_ref().map(|bio| bio.as_str())),
        ("image", "image = :image", ":image", updated.image.as_ref().map(|image| image.as_str())),
    ] {
        match value {
            Some(value) => {
                set.push(assignment);
                values.push((placeholder, text(value)));
            }
            None => remove.push(attribute),
        }
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    let key = keys::user(&updated.id.to_string());
    writes::update(table, key, &expression, "version = :expected", values)
}

impl UserReader for DynamoUsers {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let item = self.table.get(keys::user(&id.to_string()), true).await?;
        Ok(item.map(|item| UserItem::decode(item)?.into_user()).transpose()?)
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self.find_by_claim(keys::email_claim(&email.canonical())).await?)
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self.find_by_claim(keys::username_claim(&username.canonical())).await?)
    }

    async fn id_by_username(&self, username: &Username) -> Result<Option<UserId>, StoreError> {
        Ok(user_id_by_username(&self.table, username).await?)
    }

    async fn id_by_email(&self, email: &Email) -> Result<Option<UserId>, StoreError> {
        Ok(claim_holder(&self.table, keys::email_claim(&email.canonical())).await?)
    }
}

impl SessionReader for DynamoUsers {
    /// Eventually consistent and projected to one attribute: the cheapest read (half a read unit)
    /// on the path of every authenticated request. A revocation may take that long (typically
    /// well under a second) to be seen.
    async fn current_generation(&self, id: UserId) -> Result<Option<SessionGeneration>, StoreError> {
        let key = keys::user(&id.to_string());
        let Some(item) = self.table.get_projected(key, Some("id, session_generation"), false).await? else {
            return Ok(None);
        };
        let generation = match item.get("session_generation") {
            Some(value) => value.as_n().ok().and_then(|number| number.parse().ok()).ok_or_else(|| {
                RepositoryError::CorruptItem {
                    key: format!("USER#{id}"),
                    source: "session_generation is not a whole number".into(),
                }
            })?,
            None => 0,
        };
        Ok(Some(SessionGeneration::from_stored(generation)))
    }
}

impl UserWriter for DynamoUsers {
    async fn insert(&self, user: &User, completion: Option<&Completion>) -> Result<(), StoreError> {
        let items = vec![
            // Its creation brings the welcome mail: the mail continues this request's trace.
            writes::put_traced(&self.table, UserItem::from_user(user), true)?,
            self.claim_put(keys::email_claim(&user.email.canonical()), user)?,
            self.claim_put(keys::username_claim(&user.username.canonical()), user)?,
        ];
        self.transact(items, &[None, Some(UniqueField::Email), Some(UniqueField::Username)], completion).await
    }

    async fn update(&self, previous: &User, updated: &User, completion: Option<&Completion>) -> Result<(), StoreError> {
        let mut items = vec![self.user_update(previous, updated)?];
        let mut meaning = vec![None];
        // A change of case only ("Jake" -> "jake") keeps the same claim.
        if previous.email.canonical() != updated.email.canonical() {
            items.push(self.claim_put(keys::email_claim(&updated.email.canonical()), updated)?);
            items.push(self.claim_release(keys::email_claim(&previous.email.canonical()), previous)?);
            meaning.extend([Some(UniqueField::Email), None]);
        }
        if previous.username.canonical() != updated.username.canonical() {
            items.push(self.claim_put(keys::username_claim(&updated.username.canonical()), updated)?);
            items.push(self.claim_release(keys::username_claim(&previous.username.canonical()), previous)?);
            meaning.extend([Some(UniqueField::Username), None]);
        }
        // A new address or password: the notice to the address before, written with the change
        // so that it exists exactly when the change does.
        if let Some(notice) = AccountNotice::for_change(previous, updated) {
            items.push(notice_put(&self.table, &notice)?);
            meaning.push(None);
        }
        self.transact(items, &meaning, completion).await
    }
}
