//! In-memory stand-ins for the ports, for the domain's own unit tests only. They honour the same
//! contracts as the real adapters (unique canonical e-mail and username, optimistic versions).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::User;
use crate::account_notice::AccountNotice;
use crate::article::{Article, ArticleSummary};
use crate::error::InfrastructureError;
use crate::password_reset::PasswordReset;
use crate::ports::{
    ArticleFilter, ArticleReader, ArticleRef, ArticleWriter, Clock, FavoriteWriter, FollowWriter, MailLedger,
    MailMessage, Mailer, OneTimeTokens, PasswordHasher, PasswordResets, Relations, RelationsReader, SessionReader,
    StoreError, SummaryPage, TokenIssuer, TokenRejection, TokenVerifier, UniqueField, UserReader, UserWriter,
    ViewedArticle,
};
use crate::values::{
    ArticleId, Email, Page, Password, PasswordHash, ResetToken, Session, SessionGeneration, Slug, Timestamp,
    TokenDigest, UserId, Username,
};
use crate::write_quotas::{WriteAction, WriteCharge};

#[derive(Clone, Default)]
pub struct InMemoryUsers(Arc<Mutex<HashMap<UserId, User>>>);

impl InMemoryUsers {
    pub fn with_user(username: &str, email: &str, password: &str) -> Self {
        let users = Self::default();
        users.add(username, email, password);
        users
    }

    pub fn add(&self, username: &str, email: &str, password: &str) -> UserId {
        let user = User::register(
            Username::parse(username).expect("valid username"),
            Email::parse(email).expect("valid email"),
            PasswordHash::from_phc(format!("hashed:{password}")),
        );
        let id = user.id;
        self.0.lock().expect("lock").insert(id, user);
        id
    }

    pub fn only_id(&self) -> UserId {
        let users = self.0.lock().expect("lock");
        assert_eq!(users.len(), 1, "only_id needs exactly one user");
        *users.keys().next().expect("one user")
    }

    pub fn get(&self, id: UserId) -> Option<User> {
        self.0.lock().expect("lock").get(&id).cloned()
    }

    /// Stores `user` as is, as a change made elsewhere would.
    pub fn replace(&self, user: User) {
        self.0.lock().expect("lock").insert(user.id, user);
    }

    fn clashes(users: &HashMap<UserId, User>, candidate: &User) -> Vec<UniqueField> {
        let others = || users.values().filter(|other| other.id != candidate.id);
        let mut taken = Vec::new();
        if others().any(|other| other.email.canonical() == candidate.email.canonical()) {
            taken.push(UniqueField::Email);
        }
        if others().any(|other| other.username.canonical() == candidate.username.canonical()) {
            taken.push(UniqueField::Username);
        }
        taken
    }
}

impl UserReader for InMemoryUsers {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.get(id))
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let users = self.0.lock().expect("lock");
        Ok(users.values().find(|user| user.email.canonical() == email.canonical()).cloned())
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let users = self.0.lock().expect("lock");
        Ok(users.values().find(|user| user.username.canonical() == username.canonical()).cloned())
    }

    async fn id_by_username(&self, username: &Username) -> Result<Option<UserId>, StoreError> {
        Ok(self.find_by_username(username).await?.map(|user| user.id))
    }

    async fn id_by_email(&self, email: &Email) -> Result<Option<UserId>, StoreError> {
        Ok(self.find_by_email(email).await?.map(|user| user.id))
    }
}

impl SessionReader for InMemoryUsers {
    async fn current_generation(&self, user: UserId) -> Result<Option<SessionGeneration>, StoreError> {
        Ok(self.get(user).map(|user| user.session_generation))
    }
}

impl UserWriter for InMemoryUsers {
    async fn insert(
        &self,
        user: &User,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let mut users = self.0.lock().expect("lock");
        let taken = Self::clashes(&users, user);
        if !taken.is_empty() {
            return Err(StoreError::AlreadyTaken(taken));
        }
        users.insert(user.id, user.clone());
        Ok(())
    }

    async fn update(
        &self,
        previous: &User,
        updated: &User,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let mut users = self.0.lock().expect("lock");
        if users.get(&previous.id).map(|stored| stored.version) != Some(previous.version) {
            return Err(StoreError::Conflict);
        }
        let taken = Self::clashes(&users, updated);
        if !taken.is_empty() {
            return Err(StoreError::AlreadyTaken(taken));
        }
        users.insert(updated.id, updated.clone());
        Ok(())
    }
}

/// "Hashes" by prefixing, so tests can see what was hashed.
pub struct FakeHasher;

impl PasswordHasher for FakeHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, InfrastructureError> {
        Ok(PasswordHash::from_phc(format!("hashed:{}", password.expose())))
    }

    fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, InfrastructureError> {
        Ok(hash.as_phc() == format!("hashed:{}", password.expose()))
    }

    fn verify_against_nothing(&self, _password: &Password) {}
}

/// Tokens that spell out their session: `token-for-<user>@<generation>`.
pub struct FakeTokens;

impl TokenIssuer for FakeTokens {
    async fn issue(&self, session: Session) -> Result<String, InfrastructureError> {
        Ok(format!("token-for-{}@{}", session.user, session.generation.value()))
    }
}

impl TokenVerifier for FakeTokens {
    async fn verify(&self, token: &str) -> Result<Session, TokenRejection> {
        let (user, generation) =
            token.strip_prefix("token-for-").and_then(|rest| rest.split_once('@')).ok_or(TokenRejection::Invalid)?;
        let user = UserId::parse(user).map_err(|_| TokenRejection::Invalid)?;
        let generation = generation.parse().map_err(|_| TokenRejection::Invalid)?;
        Ok(Session { user, generation: SessionGeneration::from_stored(generation) })
    }
}

/// Reset state in memory, with the same version checks as the table.
#[derive(Clone, Default)]
pub struct InMemoryResets {
    states: Arc<Mutex<HashMap<UserId, PasswordReset>>>,
    holders: Arc<Mutex<HashMap<TokenDigest, UserId>>>,
    users: InMemoryUsers,
}

impl InMemoryResets {
    pub fn sharing(users: &InMemoryUsers) -> Self {
        Self { users: users.clone(), ..Self::default() }
    }

    pub fn state(&self, user: UserId) -> Option<PasswordReset> {
        self.states.lock().expect("lock").get(&user).cloned()
    }
}

impl PasswordResets for InMemoryResets {
    async fn find(&self, user: UserId) -> Result<Option<PasswordReset>, StoreError> {
        Ok(self.state(user))
    }

    async fn save_request(
        &self,
        next: &PasswordReset,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let mut states = self.states.lock().expect("lock");
        let stored = states.get(&next.user).map_or(0, |state| state.version);
        if stored + 1 != next.version {
            return Err(StoreError::Conflict);
        }
        if let Some(pending) = &next.pending {
            self.holders.lock().expect("lock").insert(pending.digest.clone(), next.user);
        }
        states.insert(next.user, next.clone());
        Ok(())
    }

    async fn holder_of(&self, digest: &TokenDigest) -> Result<Option<UserId>, StoreError> {
        Ok(self.holders.lock().expect("lock").get(digest).copied())
    }

    async fn complete(
        &self,
        completed: &PasswordReset,
        previous: &User,
        updated: &User,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let stored = self.state(completed.user).map_or(0, |state| state.version);
        if stored + 1 != completed.version {
            return Err(StoreError::Conflict);
        }
        self.users.update(previous, updated, None).await?;
        self.states.lock().expect("lock").insert(completed.user, completed.clone());
        Ok(())
    }
}

/// Numbered tokens (`000…001`, `000…002`, …) and a readable "digest" of them.
#[derive(Clone, Default)]
pub struct CountingTokens(Arc<Mutex<u64>>);

impl OneTimeTokens for CountingTokens {
    fn generate(&self) -> ResetToken {
        let mut issued = self.0.lock().expect("lock");
        *issued += 1;
        ResetToken::parse(&format!("{:0>43}", *issued)).expect("43 digits")
    }

    fn digest(&self, token: &ResetToken) -> TokenDigest {
        TokenDigest::from_hex(format!("digest-of-{}", token.expose()))
    }
}

/// A clock that stands still until moved.
#[derive(Clone)]
pub struct FixedClock(Arc<Mutex<Timestamp>>);

impl FixedClock {
    pub fn at(iso: &str) -> Self {
        Self(Arc::new(Mutex::new(Timestamp::parse_iso8601(iso).expect("valid instant"))))
    }

    pub fn advance(&self, by: std::time::Duration) {
        let mut now = self.0.lock().expect("lock");
        *now = now.plus(by);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("lock")
    }
}

/// What names a mail in [`InMemoryMailLedger`].
pub trait LedgerKey {
    fn ledger_key(&self) -> String;
}

impl LedgerKey for UserId {
    fn ledger_key(&self) -> String {
        self.to_string()
    }
}

impl LedgerKey for AccountNotice {
    fn ledger_key(&self) -> String {
        format!("{}#{}", self.user(), self.version())
    }
}

/// Mail claims in memory: (sent, claimed until) by mail.
pub struct InMemoryMailLedger<M> {
    entries: Arc<Mutex<HashMap<String, (bool, Timestamp)>>>,
    mails: std::marker::PhantomData<fn() -> M>,
}

impl<M> Default for InMemoryMailLedger<M> {
    fn default() -> Self {
        Self { entries: Arc::default(), mails: std::marker::PhantomData }
    }
}

impl<M: LedgerKey + Send + Sync> MailLedger for InMemoryMailLedger<M> {
    type Mail = M;

    async fn claim(&self, mail: &M, now: Timestamp, until: Timestamp) -> Result<bool, StoreError> {
        let mut entries = self.entries.lock().expect("lock");
        match entries.get(&mail.ledger_key()) {
            Some((true, _)) => Ok(false),
            Some((false, held_until)) if now < *held_until => Ok(false),
            _ => {
                entries.insert(mail.ledger_key(), (false, until));
                Ok(true)
            }
        }
    }

    async fn record_sent(&self, mail: &M, at: Timestamp) -> Result<(), StoreError> {
        self.entries.lock().expect("lock").insert(mail.ledger_key(), (true, at));
        Ok(())
    }

    async fn release(&self, mail: &M) -> Result<(), StoreError> {
        self.entries.lock().expect("lock").remove(&mail.ledger_key());
        Ok(())
    }
}

/// Fails the first send (the mail service throttling), then keeps what it is asked to send.
#[derive(Clone, Default)]
pub struct FlakyMailer {
    failed_once: Arc<std::sync::atomic::AtomicBool>,
    inner: RecordingMailer,
}

impl FlakyMailer {
    pub fn sent(&self) -> Vec<MailMessage> {
        self.inner.sent()
    }
}

impl Mailer for FlakyMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
        if !self.failed_once.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(InfrastructureError::unavailable("sending mail", "Amazon SES", "throttled"));
        }
        self.inner.send(message).await
    }
}

/// Keeps what it was asked to send.
#[derive(Clone, Default)]
pub struct RecordingMailer(Arc<Mutex<Vec<MailMessage>>>);

impl RecordingMailer {
    pub fn sent(&self) -> Vec<MailMessage> {
        self.0.lock().expect("lock").clone()
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, message: &MailMessage) -> Result<(), InfrastructureError> {
        self.0.lock().expect("lock").push(message.clone());
        Ok(())
    }
}

/// Articles in memory: slugs unique, versions checked, lists newest first; read for viewers
/// through the relations they share.
#[derive(Clone, Default)]
pub struct InMemoryArticles {
    articles: Arc<Mutex<HashMap<ArticleId, Article>>>,
    relations: InMemoryRelations,
}

impl InMemoryArticles {
    /// Articles whose authors, follows and favorites are those of `relations`.
    pub fn reading(relations: &InMemoryRelations) -> Self {
        Self { articles: Arc::default(), relations: relations.clone() }
    }

    pub fn all(&self) -> Vec<Article> {
        self.articles.lock().expect("lock").values().cloned().collect()
    }

    async fn viewed(
        &self,
        article: Option<Article>,
        viewer: Option<UserId>,
    ) -> Result<Option<ViewedArticle>, StoreError> {
        let Some(article) = article else { return Ok(None) };
        let relations = self.relations.relations(viewer, &[article.summary.author_id], &[article.summary.id]).await?;
        Ok(Some(ViewedArticle { article, relations }))
    }

    async fn page(
        &self,
        matching: Vec<ArticleSummary>,
        page: Page,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, StoreError> {
        let (summaries, total) = newest_first_page(matching, page);
        let authors: Vec<UserId> = summaries.iter().map(|summary| summary.author_id).collect();
        let ids: Vec<ArticleId> = summaries.iter().map(|summary| summary.id).collect();
        let relations = self.relations.relations(viewer, &authors, &ids).await?;
        Ok(SummaryPage { summaries, total, relations })
    }

    fn by_slug(&self, slug: &Slug) -> Option<Article> {
        self.all().into_iter().find(|article| &article.summary.slug == slug)
    }

    fn user_named(&self, username: Option<&Username>) -> Option<Option<UserId>> {
        username.map(|username| {
            let users = self.relations.users.0.lock().expect("lock");
            users.values().find(|user| user.username.canonical() == username.canonical()).map(|user| user.id)
        })
    }
}

impl ArticleReader for InMemoryArticles {
    async fn resolve_slug(&self, slug: &Slug) -> Result<Option<ArticleRef>, StoreError> {
        Ok(self.by_slug(slug).map(|article| ArticleRef::from(&article.summary)))
    }

    async fn find_by_slug(&self, slug: &Slug, viewer: Option<UserId>) -> Result<Option<ViewedArticle>, StoreError> {
        self.viewed(self.by_slug(slug), viewer).await
    }

    async fn find_by_ref(
        &self,
        article: ArticleRef,
        viewer: Option<UserId>,
    ) -> Result<Option<ViewedArticle>, StoreError> {
        let stored = self.articles.lock().expect("lock").get(&article.id).cloned();
        self.viewed(stored, viewer).await
    }

    async fn find_summary_by_slug(&self, slug: &Slug) -> Result<Option<ArticleSummary>, StoreError> {
        Ok(self.by_slug(slug).map(|article| article.summary))
    }

    async fn list(
        &self,
        filter: &ArticleFilter,
        page: Page,
        viewer: Option<UserId>,
    ) -> Result<SummaryPage, StoreError> {
        let author = self.user_named(filter.author.as_ref());
        let fan = self.user_named(filter.favorited_by.as_ref());
        let favorites = self.relations.favorites.lock().expect("lock").clone();
        let matching: Vec<_> = self
            .all()
            .into_iter()
            .map(|article| article.summary)
            .filter(|summary| author.is_none_or(|author| author == Some(summary.author_id)))
            .filter(|summary| fan.is_none_or(|fan| fan.is_some_and(|fan| favorites.contains(&(fan, summary.id)))))
            .filter(|summary| filter.tag.as_ref().is_none_or(|tag| summary.tags.contains(tag)))
            .collect();
        self.page(matching, page, viewer).await
    }
}

impl ArticleWriter for InMemoryArticles {
    async fn insert(
        &self,
        article: &Article,
        charge: &WriteCharge,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let mut articles = self.articles.lock().expect("lock");
        if articles.values().any(|other| other.summary.slug == article.summary.slug) {
            return Err(StoreError::AlreadyTaken(vec![UniqueField::Slug]));
        }
        self.relations.write_counts.take(article.summary.author_id, charge)?;
        articles.insert(article.summary.id, article.clone());
        Ok(())
    }

    async fn update(
        &self,
        previous: &Article,
        updated: &Article,
        _completion: Option<&crate::idempotency::Completion>,
    ) -> Result<(), StoreError> {
        let mut articles = self.articles.lock().expect("lock");
        let stored_version = articles.get(&previous.summary.id).map(|stored| stored.summary.version);
        if stored_version != Some(previous.summary.version) {
            return Err(StoreError::Conflict);
        }
        let clash = articles
            .values()
            .any(|other| other.summary.id != updated.summary.id && other.summary.slug == updated.summary.slug);
        if clash {
            return Err(StoreError::AlreadyTaken(vec![UniqueField::Slug]));
        }
        articles.insert(updated.summary.id, updated.clone());
        Ok(())
    }

    async fn delete(&self, article: &ArticleSummary) -> Result<(), StoreError> {
        self.articles.lock().expect("lock").remove(&article.id);
        Ok(())
    }
}

impl FavoriteWriter for InMemoryArticles {
    async fn favorite(&self, user: UserId, article: ArticleRef, charge: &WriteCharge) -> Result<(), StoreError> {
        let mut articles = self.articles.lock().expect("lock");
        let stored = articles.get_mut(&article.id).ok_or(StoreError::Missing("article"))?;
        let mut favorites = self.relations.favorites.lock().expect("lock");
        if !favorites.contains(&(user, article.id)) {
            self.relations.write_counts.take(user, charge)?;
            favorites.insert((user, article.id));
            stored.summary.favorites_count += 1;
        }
        Ok(())
    }

    async fn unfavorite(&self, user: UserId, article: ArticleRef) -> Result<(), StoreError> {
        let mut articles = self.articles.lock().expect("lock");
        let stored = articles.get_mut(&article.id).ok_or(StoreError::Missing("article"))?;
        if self.relations.favorites.lock().expect("lock").remove(&(user, article.id)) {
            stored.summary.favorites_count -= 1;
        }
        Ok(())
    }
}

fn newest_first_page(mut matching: Vec<ArticleSummary>, page: Page) -> (Vec<ArticleSummary>, u64) {
    matching.sort_by_key(|summary| std::cmp::Reverse(summary.id));
    let total = matching.len() as u64;
    (matching.into_iter().skip(page.offset).take(page.limit).collect(), total)
}

/// Relations from the users store and sets of follows and favorites.
#[derive(Clone, Default)]
pub struct InMemoryRelations {
    pub users: InMemoryUsers,
    pub follows: Arc<Mutex<HashSet<(UserId, UserId)>>>,
    /// (fan, article)
    pub favorites: Arc<Mutex<HashSet<(UserId, ArticleId)>>>,
    /// The accounts' write quotas, counted by every write of these stores.
    pub write_counts: InMemoryWriteCounts,
}

/// The write-quota counters, per (kind of write, account, window start), kept as the DynamoDB
/// adapters keep them: a write is counted with what it stores, or refused without either.
#[derive(Clone, Default)]
pub struct InMemoryWriteCounts(Arc<Mutex<HashMap<WriteCounter, u32>>>);

/// One counter of a write quota: (kind of write, account, window start).
type WriteCounter = (WriteAction, UserId, i64);

impl InMemoryWriteCounts {
    /// Counts one write of `account`; refused (nothing counted) when its window's allowance is used up.
    fn take(&self, account: UserId, charge: &WriteCharge) -> Result<(), StoreError> {
        let mut counts = self.0.lock().expect("lock");
        let count = counts.entry((charge.action, account, charge.window().start_seconds)).or_default();
        if *count >= charge.quota.max {
            return Err(StoreError::OverQuota(charge.refusal()));
        }
        *count += 1;
        Ok(())
    }
}

impl RelationsReader for InMemoryRelations {
    async fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        let follows = self.follows.lock().expect("lock");
        let favorites = self.favorites.lock().expect("lock");
        let mut relations = Relations::default();
        for id in users {
            if let Some(user) = self.users.get(*id) {
                relations.users.insert(*id, user);
            }
            if viewer.is_some_and(|viewer| follows.contains(&(viewer, *id))) {
                relations.following.insert(*id);
            }
        }
        for id in articles {
            if viewer.is_some_and(|viewer| favorites.contains(&(viewer, *id))) {
                relations.favorited.insert(*id);
            }
        }
        Ok(relations)
    }

    async fn page_relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        self.relations(viewer, users, articles).await
    }

    async fn relations_by_username(
        &self,
        viewer: Option<UserId>,
        username: &Username,
    ) -> Result<Option<(UserId, Relations)>, StoreError> {
        let Some(user) = self.users.id_by_username(username).await? else { return Ok(None) };
        Ok(Some((user, self.relations(viewer, &[user], &[]).await?)))
    }
}

impl FollowWriter for InMemoryRelations {
    async fn follow(&self, follower: UserId, followee: UserId, charge: &WriteCharge) -> Result<(), StoreError> {
        let mut follows = self.follows.lock().expect("lock");
        if !follows.contains(&(follower, followee)) {
            self.write_counts.take(follower, charge)?;
            follows.insert((follower, followee));
        }
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        self.follows.lock().expect("lock").remove(&(follower, followee));
        Ok(())
    }
}

/// Failed-login records and per-source counters in memory, deciding as the DynamoDB adapter does.
#[derive(Clone, Default)]
pub struct InMemoryThrottles {
    attempts: Arc<Mutex<HashMap<String, crate::throttling::FailedAttempts>>>,
    quotas: Arc<Mutex<HashMap<QuotaCounter, u32>>>,
}

/// One counter of a source quota: (action, source, window start).
type QuotaCounter = (String, String, i64);

impl InMemoryThrottles {
    /// Attempts counted on `account` since its failures were last forgotten.
    pub fn failures_of(&self, account: &str) -> u32 {
        self.attempts.lock().expect("lock").get(&account.to_lowercase()).map_or(0, |record| record.count)
    }
}

impl crate::ports::LoginAttempts for InMemoryThrottles {
    async fn begin(
        &self,
        account: &Email,
        backoff: &crate::throttling::LoginBackoff,
        now: Timestamp,
    ) -> Result<crate::ports::Admission, StoreError> {
        let mut attempts = self.attempts.lock().expect("lock");
        let stored = attempts.get(&account.canonical()).copied();
        Ok(match backoff.admit(stored, now) {
            Ok(record) => {
                attempts.insert(account.canonical(), record);
                crate::ports::Admission::Admitted
            }
            Err(retry_after) => crate::ports::Admission::Refused { retry_after },
        })
    }

    async fn clear(&self, account: &Email) {
        self.attempts.lock().expect("lock").remove(&account.canonical());
    }
}

impl crate::ports::SourceQuotas for InMemoryThrottles {
    async fn take(
        &self,
        action: crate::throttling::QuotaAction,
        source: &crate::values::ClientSource,
        quota: &crate::throttling::WindowQuota,
        now: Timestamp,
    ) -> Result<crate::ports::Admission, StoreError> {
        let window = quota.window_at(now);
        let mut quotas = self.quotas.lock().expect("lock");
        let taken =
            quotas.entry((action.name().to_owned(), source.as_str().to_owned(), window.start_seconds)).or_default();
        if *taken >= quota.max {
            return Ok(crate::ports::Admission::Refused { retry_after: window.ends_at.since(now) });
        }
        *taken += 1;
        Ok(crate::ports::Admission::Admitted)
    }

    async fn give_back(
        &self,
        action: crate::throttling::QuotaAction,
        source: &crate::values::ClientSource,
        quota: &crate::throttling::WindowQuota,
        taken_at: Timestamp,
    ) {
        let window = quota.window_at(taken_at);
        let mut quotas = self.quotas.lock().expect("lock");
        if let Some(taken) =
            quotas.get_mut(&(action.name().to_owned(), source.as_str().to_owned(), window.start_seconds))
        {
            *taken = taken.saturating_sub(1);
        }
    }
}

/// A guard over `throttles` at `clock`'s time, with the default limits unless given others.
pub fn guard(
    throttles: &InMemoryThrottles,
    clock: &FixedClock,
    limits: crate::throttling::AbuseLimits,
) -> super::AbuseGuard<InMemoryThrottles, FixedClock> {
    super::AbuseGuard::new(throttles.clone(), clock.clone(), limits)
}
