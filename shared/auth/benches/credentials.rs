//! What credentials cost in CPU: password hashing (register, password change), verification
//! (login), and issuing and verifying a JWT (every login; the authorizer on every uncached
//! request). The numbers size the functions' memory (Lambda's CPU share grows with it).
//!
//! Run: `cargo bench -p conduit-auth --bench credentials`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use conduit_auth::{Argon2Hasher, JwtService, KeyRing, SigningKey, SigningKeySource};
use conduit_domain::ports::PasswordHasher;
use conduit_domain::values::{Password, Session, SessionGeneration, UserId};
use criterion::{Criterion, criterion_group, criterion_main};

fn password_hashing(c: &mut Criterion) {
    let hasher = Argon2Hasher;
    let password = Password::parse("correct horse battery staple").expect("valid");
    let stored = hasher.hash(&password).expect("hashed");
    let mut group = c.benchmark_group("argon2id (m=19 MiB, t=2, p=1)");
    group.sample_size(20);
    group.bench_function("hash", |b| b.iter(|| hasher.hash(black_box(&password)).expect("hashed")));
    group.bench_function("verify", |b| b.iter(|| hasher.verify(black_box(&password), &stored).expect("verified")));
    group.finish();
}

fn tokens(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let ring = KeyRing { current: SigningKey::generate("bench"), previous: None };
    let jwt = JwtService::new(SigningKeySource::Static(Arc::new(ring)), Duration::from_secs(3600));
    let user = Session { user: UserId::generate(), generation: SessionGeneration::FIRST };
    let token = runtime.block_on(jwt.issue_for(user)).expect("issued");
    let mut group = c.benchmark_group("jwt HS256");
    group.bench_function("issue", |b| b.iter(|| runtime.block_on(jwt.issue_for(black_box(user))).expect("issued")));
    group.bench_function("verify", |b| b.iter(|| runtime.block_on(jwt.verify(black_box(&token))).expect("verified")));
    group.finish();
}

criterion_group!(benches, password_hashing, tokens);
criterion_main!(benches);
