//! In-memory stand-ins for the ports, for the domain's own unit tests only. They honour the same
//! contracts as the real adapters (unique canonical e-mail and username, optimistic versions).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::User;
use crate::error::InfrastructureError;
use crate::ports::{PasswordHasher, StoreError, TokenIssuer, UniqueField, UserReader, UserWriter};
use crate::values::{Email, Password, PasswordHash, UserId, Username};

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
