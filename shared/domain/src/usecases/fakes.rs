//! In-memory stand-ins for the ports, for the domain's own unit tests only. They honour the same
//! contracts as the real adapters (unique canonical e-mail and username, optimistic versions).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::User;
use crate::article::{Article, ArticleSummary};
use crate::error::InfrastructureError;
use crate::ports::{
    ArticleFilter, ArticleReader, ArticleWriter, FollowWriter, PasswordHasher, Relations, RelationsReader, StoreError,
    SummaryPage, TokenIssuer, UniqueField, UserReader, UserWriter,
};
use crate::values::{ArticleId, Email, Page, Password, PasswordHash, Slug, UserId, Username};

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
}

impl UserWriter for InMemoryUsers {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let mut users = self.0.lock().expect("lock");
        let taken = Self::clashes(&users, user);
        if !taken.is_empty() {
            return Err(StoreError::AlreadyTaken(taken));
        }
        users.insert(user.id, user.clone());
        Ok(())
    }

    async fn update(&self, previous: &User, updated: &User) -> Result<(), StoreError> {
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

pub struct FakeTokens;

impl TokenIssuer for FakeTokens {
    async fn issue(&self, user: UserId) -> Result<String, InfrastructureError> {
        Ok(format!("token-for-{user}"))
    }
}

/// Articles in memory: slugs unique, versions checked, lists newest first.
#[derive(Clone, Default)]
pub struct InMemoryArticles(Arc<Mutex<HashMap<ArticleId, Article>>>);

impl InMemoryArticles {
    pub fn all(&self) -> Vec<Article> {
        self.0.lock().expect("lock").values().cloned().collect()
    }
}

impl ArticleReader for InMemoryArticles {
    async fn find_by_slug(&self, slug: &Slug) -> Result<Option<Article>, StoreError> {
        Ok(self.all().into_iter().find(|article| &article.summary.slug == slug))
    }

    async fn find_summary_by_slug(&self, slug: &Slug) -> Result<Option<ArticleSummary>, StoreError> {
        Ok(self.find_by_slug(slug).await?.map(|article| article.summary))
    }

    async fn find_by_id(&self, id: ArticleId) -> Result<Option<Article>, StoreError> {
        Ok(self.0.lock().expect("lock").get(&id).cloned())
    }

    async fn list(&self, filter: &ArticleFilter, page: Page) -> Result<SummaryPage, StoreError> {
        let matching: Vec<_> = self
            .all()
            .into_iter()
            .map(|article| article.summary)
            .filter(|summary| filter.author.is_none_or(|author| summary.author_id == author))
            .filter(|summary| filter.tag.as_ref().is_none_or(|tag| summary.tags.contains(tag)))
            .collect();
        Ok(newest_first_page(matching, page))
    }

    async fn by_authors(&self, authors: &[UserId], page: Page) -> Result<SummaryPage, StoreError> {
        let matching: Vec<_> = self
            .all()
            .into_iter()
            .map(|article| article.summary)
            .filter(|summary| authors.contains(&summary.author_id))
            .collect();
        Ok(newest_first_page(matching, page))
    }
}

impl ArticleWriter for InMemoryArticles {
    async fn insert(&self, article: &Article) -> Result<(), StoreError> {
        let mut articles = self.0.lock().expect("lock");
        if articles.values().any(|other| other.summary.slug == article.summary.slug) {
            return Err(StoreError::AlreadyTaken(vec![UniqueField::Slug]));
        }
        articles.insert(article.summary.id, article.clone());
        Ok(())
    }

    async fn update(&self, previous: &Article, updated: &Article) -> Result<(), StoreError> {
        let mut articles = self.0.lock().expect("lock");
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
        self.0.lock().expect("lock").remove(&article.id);
        Ok(())
    }
}

fn newest_first_page(mut matching: Vec<ArticleSummary>, page: Page) -> SummaryPage {
    matching.sort_by_key(|summary| std::cmp::Reverse(summary.id));
    let total = matching.len() as u64;
    let summaries = matching.into_iter().skip(page.offset).take(page.limit).collect();
    SummaryPage { summaries, total }
}

/// Relations from the users store and a set of follows; nobody has favorited anything.
#[derive(Clone, Default)]
pub struct InMemoryRelations {
    pub users: InMemoryUsers,
    pub follows: Arc<Mutex<HashSet<(UserId, UserId)>>>,
}

impl RelationsReader for InMemoryRelations {
    async fn relations(
        &self,
        viewer: Option<UserId>,
        users: &[UserId],
        _articles: &[ArticleId],
    ) -> Result<Relations, StoreError> {
        let follows = self.follows.lock().expect("lock");
        let mut relations = Relations::default();
        for id in users {
            if let Some(user) = self.users.get(*id) {
                relations.users.insert(*id, user);
            }
            if viewer.is_some_and(|viewer| follows.contains(&(viewer, *id))) {
                relations.following.insert(*id);
            }
        }
        Ok(relations)
    }
}

impl FollowWriter for InMemoryRelations {
    async fn follow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        self.follows.lock().expect("lock").insert((follower, followee));
        Ok(())
    }

    async fn unfollow(&self, follower: UserId, followee: UserId) -> Result<(), StoreError> {
        self.follows.lock().expect("lock").remove(&(follower, followee));
        Ok(())
    }
}
