use std::collections::HashMap;
use std::time::{Duration, Instant};

use authorizer::AuthorizerResponse;
use tokio::sync::Mutex;

/// API Gateway's authorizer result cache: answers are reused per identity-source value (the
/// `Authorization` header) for the TTL configured in `template.yaml`.
pub struct AuthorizerCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, AuthorizerResponse)>>,
}

impl AuthorizerCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    pub async fn get(&self, identity: &str) -> Option<AuthorizerResponse> {
        let mut entries = self.entries.lock().await;
        entries.retain(|_, (stored_at, _)| stored_at.elapsed() < self.ttl);
        entries.get(identity).map(|(_, response)| response.clone())
    }

    pub async fn put(&self, identity: &str, response: AuthorizerResponse) {
        if !self.ttl.is_zero() {
            self.entries.lock().await.insert(identity.to_owned(), (Instant::now(), response));
        }
    }
}
