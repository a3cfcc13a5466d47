//! Security notices: after a change to how an account is reached or signed in to (its e-mail
//! address, its password), a mail to the address the account had before the change. Its owner
//! learns of a change they did not make while that address still reaches them, and can act.

use std::time::Duration;

use crate::User;
use crate::values::{Email, Timestamp, UserId, Username};

/// How a password came to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// Set by the signed-in account (`PUT /api/user`).
    Changed,
    /// Set through a reset link mailed to the account's address.
    Reset,
}

/// The notice one stored change of an account calls for. It tells of at least one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountNotice {
    user: UserId,
    /// The account's version the change produced: one notice per change.
    version: u64,
    /// The username before the change, as the owner knew the account.
    username: Username,
    /// The address the account had before the change.
    recipient: Email,
    new_email: Option<Email>,
    password: Option<PasswordChange>,
    changed_at: Timestamp,
}

impl AccountNotice {
    /// How long the store keeps a notice: past the 24 hours a change record stays in the table's
    /// stream, the longest a consumer may still be handed it.
    pub const KEPT_FOR: Duration = Duration::from_secs(3 * 24 * 60 * 60);

    /// The notice a change of the account's own fields calls for, if any: a new address (a change
    /// of case only reaches the same mailbox, and is none) or a new password. A bio, image or
    /// username alone calls for none.
    pub fn for_change(previous: &User, updated: &User) -> Option<Self> {
        let new_email = (updated.email.canonical() != previous.email.canonical()).then(|| updated.email.clone());
        let password = (updated.password_hash != previous.password_hash).then_some(PasswordChange::Changed);
        (new_email.is_some() || password.is_some()).then(|| Self::between(previous, updated, new_email, password))
    }

    /// The notice a password set through a reset link calls for.
    pub fn for_reset(previous: &User, updated: &User) -> Self {
        Self::between(previous, updated, None, Some(PasswordChange::Reset))
    }

    /// A notice as it was stored; `None` when it would tell of nothing.
    pub fn restore(
        user: UserId,
        version: u64,
        username: Username,
        recipient: Email,
        new_email: Option<Email>,
        password: Option<PasswordChange>,
        changed_at: Timestamp,
    ) -> Option<Self> {
        (new_email.is_some() || password.is_some()).then_some(Self {
            user,
            version,
            username,
            recipient,
            new_email,
            password,
            changed_at,
        })
    }

    /// The notice of the change from `previous` to `updated`: told to the owner as they knew the
    /// account before it.
    fn between(previous: &User, updated: &User, new_email: Option<Email>, password: Option<PasswordChange>) -> Self {
        Self {
            user: previous.id,
            version: updated.version,
            username: previous.username.clone(),
            recipient: previous.email.clone(),
            new_email,
            password,
            changed_at: updated.updated_at,
        }
    }

    pub fn user(&self) -> UserId {
        self.user
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    pub fn recipient(&self) -> &Email {
        &self.recipient
    }

    /// The account's new address, when the change moved it.
    pub fn new_email(&self) -> Option<&Email> {
        self.new_email.as_ref()
    }

    pub fn password(&self) -> Option<PasswordChange> {
        self.password
    }

    pub fn changed_at(&self) -> Timestamp {
        self.changed_at
    }

    /// When the store may forget the notice.
    pub fn forgettable_after(&self) -> Timestamp {
        self.changed_at.plus(Self::KEPT_FOR)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::values::{Bio, PasswordHash};

    /// jake's new account, for the notices' tests.
    pub(crate) fn jake() -> User {
        User::register(
            Username::parse("jake").expect("valid"),
            Email::parse("jake@example.com").expect("valid"),
            PasswordHash::from_phc("hashed:first".into()),
        )
    }

    /// `previous` as stored one version later, changed by `change`.
    fn changed(previous: &User, change: impl FnOnce(&mut User)) -> User {
        let mut updated = previous.clone();
        change(&mut updated);
        updated.version = previous.version + 1;
        updated.updated_at = previous.updated_at.plus(Duration::from_secs(60));
        updated
    }

    #[test]
    fn a_new_address_is_told_to_the_old_one() {
        // Given jake's account
        let previous = jake();

        // When its address changes
        let updated = changed(&previous, |user| user.email = Email::parse("jake@elsewhere.example").expect("valid"));
        let notice = AccountNotice::for_change(&previous, &updated).expect("a notice");

        // Then the notice goes to the address before, names the new one, and is the new version's
        assert_eq!(notice.recipient().as_str(), "jake@example.com");
        assert_eq!(notice.new_email().map(Email::as_str), Some("jake@elsewhere.example"));
        assert_eq!(notice.password(), None);
        assert_eq!((notice.user(), notice.version()), (previous.id, previous.version + 1));
        assert_eq!(notice.changed_at(), updated.updated_at);
        assert_eq!(notice.forgettable_after(), updated.updated_at.plus(AccountNotice::KEPT_FOR));
    }

    #[test]
    fn a_new_password_is_told_and_so_is_a_new_password_with_a_new_address_in_one_notice() {
        let previous = jake();
        let new_hash = || PasswordHash::from_phc("hashed:second".into());

        let password_only = changed(&previous, |user| user.password_hash = new_hash());
        let both = changed(&previous, |user| {
            user.password_hash = new_hash();
            user.email = Email::parse("jake@elsewhere.example").expect("valid");
        });

        let password_notice = AccountNotice::for_change(&previous, &password_only).expect("a notice");
        let both_notice = AccountNotice::for_change(&previous, &both).expect("a notice");
        assert_eq!((password_notice.password(), password_notice.new_email()), (Some(PasswordChange::Changed), None));
        assert_eq!(both_notice.password(), Some(PasswordChange::Changed));
        assert!(both_notice.new_email().is_some());
        assert_eq!(both_notice.recipient().as_str(), "jake@example.com");
    }

    #[test]
    fn a_change_that_leaves_the_credentials_alone_calls_for_no_notice() {
        let previous = jake();

        let changes = [
            changed(&previous, |user| user.bio = Bio::parse("I work at statefarm").expect("valid")),
            changed(&previous, |user| user.username = Username::parse("jacob").expect("valid")),
            // The same mailbox: addresses are compared without case.
            changed(&previous, |user| user.email = Email::parse("Jake@Example.com").expect("valid")),
        ];

        for updated in changes {
            assert_eq!(AccountNotice::for_change(&previous, &updated), None, "{updated:?}");
        }
    }

    #[test]
    fn a_completed_reset_is_told_to_the_account_as_a_reset() {
        let previous = jake();
        let updated = changed(&previous, |user| user.password_hash = PasswordHash::from_phc("hashed:reset".into()));

        let notice = AccountNotice::for_reset(&previous, &updated);

        assert_eq!(notice.password(), Some(PasswordChange::Reset));
        assert_eq!(notice.new_email(), None);
        assert_eq!(notice.recipient().as_str(), "jake@example.com");
        assert_eq!(notice.username().as_str(), "jake");
        assert_eq!(notice.version(), previous.version + 1);
    }

    #[test]
    fn a_stored_notice_that_tells_of_nothing_is_not_one() {
        let user = jake();

        let restored =
            AccountNotice::restore(user.id, 2, user.username.clone(), user.email.clone(), None, None, user.updated_at);

        assert_eq!(restored, None);
    }
}
