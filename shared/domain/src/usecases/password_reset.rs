//! Forgotten passwords: a one-time link by e-mail, then a new password through that link.

use super::{AbuseGuard, AuthenticatedUser, required};
use crate::idempotency::AnswerOf;
use crate::mail_templates;
use crate::password_reset::{PasswordReset, RateLimited};
use crate::ports::{
    Clock, LoginAttempts, Mailer, OneTimeTokens, PasswordHasher, PasswordResets, SourceQuotas, StoreError, TokenIssuer,
    UserReader,
};
use crate::throttling::QuotaAction;
use crate::values::{ClientSource, Email, Password, PasswordHash, ResetToken, reset_token_refused};
use crate::{DomainError, ValidationErrors};

/// How often a write that lost an optimistic-concurrency race is re-applied to a fresh read.
const ATTEMPTS: usize = 3;

/// What became of a reset request. The client is told the same in every case (202), so that the
/// answer does not reveal which addresses have accounts; the outcome is for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequestOutcome {
    MailSent,
    NoAccount,
    /// The account has had its share of reset mails for now; nothing was sent.
    RateLimited,
}

pub struct RequestPasswordReset<U, R, T, C, M, S> {
    users: U,
    resets: R,
    tokens: T,
    clock: C,
    mailer: M,
    /// Where the front end lives; the link is `<app_base_url>/reset-password#token=<token>`.
    app_base_url: String,
    guard: AbuseGuard<S, C>,
}

impl<U, R, T, C, M, S> RequestPasswordReset<U, R, T, C, M, S>
where
    U: UserReader,
    R: PasswordResets,
    T: OneTimeTokens,
    C: Clock,
    M: Mailer,
    S: LoginAttempts + SourceQuotas,
{
    pub fn new(
        users: U,
        resets: R,
        tokens: T,
        clock: C,
        mailer: M,
        app_base_url: impl Into<String>,
        guard: AbuseGuard<S, C>,
    ) -> Self {
        Self { users, resets, tokens, clock, mailer, app_base_url: app_base_url.into(), guard }
    }

    /// Every valid request counts against its source's allowance (429 past it, whatever the
    /// address): the per-account mail limit bounds one inbox, this bounds one source spraying many.
    pub async fn execute(
        &self,
        email: Option<String>,
        source: &ClientSource,
    ) -> Result<ResetRequestOutcome, DomainError> {
        self.execute_keyed(email, source, &AnswerOf::unkeyed()).await
    }

    /// Requests, committing `answer`'s completion with the new link (a keyed request), so a retry
    /// under the key sends no second mail. The mail goes out after that write: should it fail, a
    /// retry under the same key is still answered as accepted, and a new request sends a new link.
    /// A request that stores no link (no account, the account's mails used up) writes nothing of
    /// its own, and its answer is stored after it.
    #[tracing::instrument(name = "RequestPasswordReset", skip_all)]
    pub async fn execute_keyed(
        &self,
        email: Option<String>,
        source: &ClientSource,
        answer: &AnswerOf<'_, ResetRequestOutcome>,
    ) -> Result<ResetRequestOutcome, DomainError> {
        let mut errors = ValidationErrors::default();
        let Some(email) = required(&mut errors, "email", email.as_deref(), Email::parse) else {
            return Err(errors.into());
        };
        // Made whether or not there is an account, so both cases do the same work up to the store.
        let token = self.tokens.generate();
        let digest = self.tokens.digest(&token);
        // The source's count and the address lookup at once: neither depends on the other.
        let holder = async { self.users.id_by_email(&email).await.map_err(DomainError::from) };
        let (_, holder) =
            futures_util::future::try_join(self.guard.take(QuotaAction::PasswordResetRequest, source), holder).await?;
        let Some(holder) = holder else {
            return Ok(ResetRequestOutcome::NoAccount);
        };

        for _ in 0..ATTEMPTS {
            // The account and its reset state at once: neither read depends on the other.
            let (user, current) =
                futures_util::future::try_join(self.users.find_by_id(holder), self.resets.find(holder)).await?;
            // Gone since its address was looked up: answered as if it never existed.
            let Some(user) = user else { return Ok(ResetRequestOutcome::NoAccount) };
            let now = self.clock.now();
            let current = current.unwrap_or_else(|| PasswordReset::none_yet(user.id));
            let next = match current.request(digest.clone(), &user.email, now) {
                Ok(next) => next,
                Err(RateLimited) => return Ok(ResetRequestOutcome::RateLimited),
            };
            let completion = answer.completion(&ResetRequestOutcome::MailSent);
            match self.resets.save_request(&next, completion.as_ref()).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
            let valid_for_minutes = (PasswordReset::LINK_LIFETIME.as_secs() / 60) as u32;
            let message =
                mail_templates::password_reset(&user.email, &user.username, &self.link(&token), valid_for_minutes)?;
            self.mailer.send(&message).await?;
            return Ok(ResetRequestOutcome::MailSent);
        }
        Err(DomainError::Conflict)
    }

    /// In the fragment, not the query: browsers never send a fragment to a server, so the token
    /// stays out of the front end's access logs and `Referer` headers.
    fn link(&self, token: &ResetToken) -> String {
        format!("{}/reset-password#token={}", self.app_base_url.trim_end_matches('/'), token.expose())
    }
}

/// What a client sends to set a new password through a reset link.
#[derive(Debug, Default, Clone)]
pub struct PasswordResetConfirmation {
    pub token: Option<String>,
    pub password: Option<String>,
}

pub struct ConfirmPasswordReset<U, R, T, C, H, I, S> {
    users: U,
    resets: R,
    tokens: T,
    clock: C,
    hasher: H,
    issuer: I,
    guard: AbuseGuard<S, C>,
}

impl<U, R, T, C, H, I, S> ConfirmPasswordReset<U, R, T, C, H, I, S>
where
    U: UserReader,
    R: PasswordResets,
    T: OneTimeTokens,
    C: Clock,
    H: PasswordHasher,
    I: TokenIssuer,
    S: LoginAttempts + SourceQuotas,
{
    pub fn new(users: U, resets: R, tokens: T, clock: C, hasher: H, issuer: I, guard: AbuseGuard<S, C>) -> Self {
        Self { users, resets, tokens, clock, hasher, issuer, guard }
    }

    /// Sets the new password, uses the link up and revokes every token issued before, in one
    /// atomic write; answers with a fresh token. Of two confirmations of one link, exactly one wins.
    pub async fn execute(&self, input: PasswordResetConfirmation) -> Result<AuthenticatedUser, DomainError> {
        self.execute_keyed(input, &AnswerOf::unkeyed()).await
    }

    /// Confirms, committing `answer`'s completion with the new password (a keyed request), so a
    /// retry gets the first answer rather than finding the link used.
    #[tracing::instrument(name = "ConfirmPasswordReset", skip_all)]
    pub async fn execute_keyed(
        &self,
        input: PasswordResetConfirmation,
        answer: &AnswerOf<'_, AuthenticatedUser>,
    ) -> Result<AuthenticatedUser, DomainError> {
        let mut errors = ValidationErrors::default();
        let token = required(&mut errors, "token", input.token.as_deref(), ResetToken::parse);
        let password = required(&mut errors, "password", input.password.as_deref(), Password::parse);
        let (Some(token), Some(password)) = (token, password) else {
            return Err(errors.into());
        };
        let digest = self.tokens.digest(&token);
        let holder = self.resets.holder_of(&digest).await?.ok_or_else(refused)?;

        let mut password_hash: Option<PasswordHash> = None;
        for _ in 0..ATTEMPTS {
            // The account and the link's state at once: neither read depends on the other.
            let (user, reset) =
                futures_util::future::try_join(self.users.find_by_id(holder), self.resets.find(holder)).await?;
            let (user, reset) = (user.ok_or_else(refused)?, reset.ok_or_else(refused)?);
            let now = self.clock.now();
            if !reset.accepts(&digest, &user.email, now) {
                return Err(refused());
            }
            // Hashed only for a link that works, and once: it is the expensive part.
            let hash = match &password_hash {
                Some(hash) => hash.clone(),
                None => password_hash.insert(self.hasher.hash(&password)?).clone(),
            };
            let updated = user.with_password(hash, now);
            let fresh_token = self.issuer.issue(updated.session()).await?;
            let confirmed = AuthenticatedUser { user: updated, token: fresh_token };
            let completion = answer.completion(&confirmed);
            // Whoever holds the mailbox may sign in again at once: the account's failed logins are
            // forgotten beside the write (harmless if the write then loses a race).
            let completing =
                async { self.resets.complete(&reset.completed(), &user, &confirmed.user, completion.as_ref()).await };
            let (completed, ()) = futures_util::future::join(completing, self.guard.forget_failures(&user.email)).await;
            match completed {
                Ok(()) => return Ok(confirmed),
                // Another confirmation, a new request or a profile change got there first: read
                // again, and the link decides.
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict)
    }
}

fn refused() -> DomainError {
    ValidationErrors::single("token", reset_token_refused()).into()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::throttling::AbuseLimits;
    use crate::usecases::fakes::{
        CountingTokens, FakeHasher, FakeTokens, FixedClock, InMemoryResets, InMemoryThrottles, InMemoryUsers,
        RecordingMailer, guard,
    };
    use crate::values::UserId;

    struct World {
        users: InMemoryUsers,
        resets: InMemoryResets,
        tokens: CountingTokens,
        clock: FixedClock,
        mailer: RecordingMailer,
        throttles: InMemoryThrottles,
        jake: UserId,
    }

    fn source() -> ClientSource {
        ClientSource::parse("203.0.113.7")
    }

    type Requester = RequestPasswordReset<
        InMemoryUsers,
        InMemoryResets,
        CountingTokens,
        FixedClock,
        RecordingMailer,
        InMemoryThrottles,
    >;

    impl World {
        fn new() -> Self {
            let users = InMemoryUsers::with_user("jake", "jake@jake.jake", "jakejake");
            let jake = users.only_id();
            Self {
                resets: InMemoryResets::sharing(&users),
                users,
                tokens: CountingTokens::default(),
                clock: FixedClock::at("2026-01-01T10:00:00Z"),
                mailer: RecordingMailer::default(),
                throttles: InMemoryThrottles::default(),
                jake,
            }
        }

        fn guard(&self) -> AbuseGuard<InMemoryThrottles, FixedClock> {
            guard(&self.throttles, &self.clock, AbuseLimits::default())
        }

        /// The request use case over this world, with `limits`.
        fn requester(&self, limits: AbuseLimits) -> Requester {
            RequestPasswordReset::new(
                self.users.clone(),
                self.resets.clone(),
                self.tokens.clone(),
                self.clock.clone(),
                self.mailer.clone(),
                "https://conduit.example/",
                guard(&self.throttles, &self.clock, limits),
            )
        }

        async fn request(&self, email: &str) -> ResetRequestOutcome {
            self.requester(AbuseLimits::default()).execute(Some(email.to_owned()), &source()).await.expect("answered")
        }

        async fn confirm(&self, token: &str, password: &str) -> Result<AuthenticatedUser, DomainError> {
            ConfirmPasswordReset::new(
                self.users.clone(),
                self.resets.clone(),
                self.tokens.clone(),
                self.clock.clone(),
                FakeHasher,
                FakeTokens,
                self.guard(),
            )
            .execute(PasswordResetConfirmation { token: Some(token.into()), password: Some(password.into()) })
            .await
        }

        /// The token of the newest mail, read from its link.
        fn mailed_token(&self) -> String {
            let mail = self.mailer.sent().pop().expect("a mail was sent");
            let (_, token) = mail.text.split_once("#token=").expect("a link in the text");
            token.chars().take(ResetToken::LENGTH).collect()
        }
    }

    fn refused_token(result: Result<AuthenticatedUser, DomainError>) -> bool {
        matches!(result, Err(DomainError::Validation(errors)) if errors.fields()["token"] == [reset_token_refused().0])
    }

    #[tokio::test]
    async fn a_mailed_link_sets_a_new_password_once_and_revokes_older_tokens() {
        let world = World::new();
        let before = world.users.get(world.jake).expect("stored");

        let outcome = world.request("JAKE@jake.jake").await;
        let token = world.mailed_token();
        let confirmed = world.confirm(&token, "a-new-password").await.expect("confirmed");
        let again = world.confirm(&token, "another-password").await;

        assert_eq!(outcome, ResetRequestOutcome::MailSent);
        let mail = world.mailer.sent().pop().expect("sent");
        assert_eq!(mail.to.as_str(), "jake@jake.jake");
        assert!(mail.text.contains(&format!("https://conduit.example/reset-password#token={token}")));
        let stored = world.users.get(world.jake).expect("stored");
        assert_eq!(stored.password_hash.as_phc(), "hashed:a-new-password");
        assert!(!before.session().is_current(stored.session_generation), "older tokens are revoked");
        assert_eq!(confirmed.token, format!("token-for-{}@1", world.jake));
        assert!(refused_token(again), "a link works once");
    }

    #[tokio::test]
    async fn an_unknown_address_is_answered_alike_and_sends_nothing() {
        let world = World::new();

        let outcome = world.request("nobody@jake.jake").await;

        assert_eq!(outcome, ResetRequestOutcome::NoAccount);
        assert!(world.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_keyed_request_asks_for_its_answer_for_the_write_that_stores_the_link_and_only_then_mails() {
        // Given a keyed request for jake's address, whose answer notes whether a link was stored
        // and a mail sent by the time it is made
        let world = World::new();
        let answered = std::sync::Mutex::new(Vec::new());
        let answer = AnswerOf::keyed(|outcome: &ResetRequestOutcome| {
            let noted = (*outcome, world.resets.state(world.jake).is_some(), world.mailer.sent().len());
            answered.lock().expect("lock").push(noted);
            None
        });
        let requester = world.requester(AbuseLimits::default());

        // When it is made
        let outcome = requester.execute_keyed(Some("jake@jake.jake".into()), &source(), &answer).await;

        // Then the answer was made once, before the link was stored (the write commits it) and
        // before the mail went out
        assert_eq!(outcome.expect("answered"), ResetRequestOutcome::MailSent);
        assert_eq!(*answered.lock().expect("lock"), [(ResetRequestOutcome::MailSent, false, 0)]);
        assert_eq!(world.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn a_keyed_request_that_stores_no_link_asks_for_no_completion() {
        // Given an unknown address, and jake's mails for the hour used up
        let world = World::new();
        for _ in 0..3 {
            world.request("jake@jake.jake").await;
        }
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let answer = AnswerOf::keyed(|_: &ResetRequestOutcome| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            None
        });
        let requester = world.requester(AbuseLimits::default());

        // When keyed requests are made for both
        let unknown = requester.execute_keyed(Some("nobody@jake.jake".into()), &source(), &answer).await;
        let used_up = requester.execute_keyed(Some("jake@jake.jake".into()), &source(), &answer).await;

        // Then neither writes an answer with a link: theirs are stored after the request
        assert_eq!(unknown.expect("answered"), ResetRequestOutcome::NoAccount);
        assert_eq!(used_up.expect("answered"), ResetRequestOutcome::RateLimited);
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_keyed_confirmation_makes_its_answer_with_the_fresh_token_before_the_password_changes() {
        // Given a mailed link, confirmed with a key whose answer notes the stored password hash
        let world = World::new();
        world.request("jake@jake.jake").await;
        let token = world.mailed_token();
        let answered = std::sync::Mutex::new(Vec::new());
        let answer = AnswerOf::keyed(|confirmed: &AuthenticatedUser| {
            let stored = world.users.get(world.jake).expect("stored").password_hash.as_phc().to_owned();
            answered.lock().expect("lock").push((confirmed.token.clone(), stored));
            None
        });
        let confirm = ConfirmPasswordReset::new(
            world.users.clone(),
            world.resets.clone(),
            world.tokens.clone(),
            world.clock.clone(),
            FakeHasher,
            FakeTokens,
            world.guard(),
        );

        // When the new password is set
        let confirmation = PasswordResetConfirmation { token: Some(token), password: Some("a-new-password".into()) };
        let confirmed = confirm.execute_keyed(confirmation, &answer).await.expect("confirmed");

        // Then the answer was made once, with the token the client gets, before the write
        assert_eq!(*answered.lock().expect("lock"), [(confirmed.token.clone(), "hashed:jakejake".to_owned())]);
        assert_eq!(world.users.get(world.jake).expect("stored").password_hash.as_phc(), "hashed:a-new-password");
    }

    #[tokio::test]
    async fn a_link_expires_after_thirty_minutes() {
        let world = World::new();
        world.request("jake@jake.jake").await;
        let token = world.mailed_token();

        world.clock.advance(PasswordReset::LINK_LIFETIME);

        assert!(refused_token(world.confirm(&token, "a-new-password").await));
        assert_eq!(world.users.get(world.jake).expect("stored").password_hash.as_phc(), "hashed:jakejake");
    }

    #[tokio::test]
    async fn a_newer_request_makes_the_older_link_stop_working() {
        let world = World::new();
        world.request("jake@jake.jake").await;
        let older = world.mailed_token();
        world.clock.advance(Duration::from_secs(60));
        world.request("jake@jake.jake").await;
        let newer = world.mailed_token();

        assert!(refused_token(world.confirm(&older, "a-new-password").await));
        assert!(world.confirm(&newer, "a-new-password").await.is_ok());
    }

    #[tokio::test]
    async fn the_fourth_request_within_an_hour_sends_nothing() {
        let world = World::new();
        for _ in 0..3 {
            assert_eq!(world.request("jake@jake.jake").await, ResetRequestOutcome::MailSent);
        }

        let fourth = world.request("jake@jake.jake").await;
        world.clock.advance(PasswordReset::RATE_WINDOW);
        let an_hour_later = world.request("jake@jake.jake").await;

        assert_eq!(fourth, ResetRequestOutcome::RateLimited);
        assert_eq!(an_hour_later, ResetRequestOutcome::MailSent);
        assert_eq!(world.mailer.sent().len(), 4);
    }

    #[tokio::test]
    async fn malformed_tokens_unknown_tokens_and_weak_passwords_are_field_errors() {
        let world = World::new();

        let malformed = world.confirm("short", "a-new-password").await;
        let unknown = world.confirm(&"u".repeat(43), "a-new-password").await;
        let weak = world.confirm(&"u".repeat(43), "short").await;

        assert!(refused_token(malformed));
        assert!(refused_token(unknown));
        let Err(DomainError::Validation(errors)) = weak else { panic!("expected validation, got {weak:?}") };
        assert_eq!(errors.fields()["password"], ["is too short (minimum is 8 characters)"]);
    }

    #[tokio::test]
    async fn a_blank_or_malformed_address_is_a_field_error() {
        let world = World::new();
        let request = world.requester(AbuseLimits::default());

        let blank = request.execute(None, &source()).await;
        let malformed = request.execute(Some("not-an-address".to_owned()), &source()).await;

        assert!(matches!(blank, Err(DomainError::Validation(e)) if e.fields()["email"] == ["can't be blank"]));
        assert!(matches!(malformed, Err(DomainError::Validation(e)) if e.fields()["email"] == ["is invalid"]));
    }

    #[tokio::test]
    async fn a_completed_reset_forgets_the_accounts_failed_logins() {
        // Given an account with failed logins on record
        let world = World::new();
        let jake = Email::parse("jake@jake.jake").expect("valid");
        for _ in 0..3 {
            world.guard().begin_password_check(&jake).await.expect("counted");
        }

        // When its owner completes a reset
        world.request("jake@jake.jake").await;
        world.confirm(&world.mailed_token(), "a-new-password").await.expect("confirmed");

        // Then the failures are forgotten
        assert_eq!(world.throttles.failures_of("jake@jake.jake"), 0);
    }

    #[tokio::test]
    async fn one_source_asking_past_its_allowance_is_throttled_whatever_the_address() {
        let world = World::new();
        let limits = AbuseLimits {
            reset_requests_per_source: crate::throttling::WindowQuota { max: 1, window: Duration::from_secs(3600) },
            ..AbuseLimits::default()
        };
        let request = world.requester(limits);

        let first = request.execute(Some("nobody@jake.jake".to_owned()), &source()).await;
        let second = request.execute(Some("jake@jake.jake".to_owned()), &source()).await;

        assert_eq!(first.expect("answered"), ResetRequestOutcome::NoAccount);
        assert!(matches!(second, Err(DomainError::Throttled(_))), "{second:?}");
        assert!(world.mailer.sent().is_empty());
    }
}
