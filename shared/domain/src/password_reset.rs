//! An account's password-reset state: the one link that currently works, and how many reset
//! mails the account has been sent lately.

use std::time::Duration;

use crate::values::{Email, Timestamp, TokenDigest, UserId};

/// The link that currently works for an account. Only its digest is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReset {
    pub digest: TokenDigest,
    pub expires_at: Timestamp,
    /// The address the link was mailed to (canonical): once the account's e-mail changes, a link
    /// in the old mailbox stops working.
    pub sent_to: String,
}

/// Reset mails sent in the current window, which opens with the first mail and lasts
/// [`PasswordReset::RATE_WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailWindow {
    pub opened_at: Timestamp,
    pub mails_sent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub user: UserId,
    pub pending: Option<PendingReset>,
    pub window: Option<MailWindow>,
    /// 0 for a state never stored; increases with every stored change (optimistic concurrency).
    pub version: u64,
}

/// The account has had its share of reset mails for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimited;

impl PasswordReset {
    /// Long enough to switch to the mailbox and back, short enough that a forgotten mail in an
    /// inbox is soon worthless.
    pub const LINK_LIFETIME: Duration = Duration::from_secs(30 * 60);
    /// At most this many reset mails per account per window: enough for a lost or slow mail,
    /// too few to flood someone's inbox through our sender.
    pub const MAILS_PER_WINDOW: u32 = 3;
    pub const RATE_WINDOW: Duration = Duration::from_secs(60 * 60);

    /// An account that has never asked for a reset.
    pub fn none_yet(user: UserId) -> Self {
        Self { user, pending: None, window: None, version: 0 }
    }

    /// A new link replaces any earlier one (so older links stop working) and counts against the
    /// window; refused when the window's mails are used up.
    pub fn request(&self, digest: TokenDigest, sent_to: &Email, now: Timestamp) -> Result<Self, RateLimited> {
        let window = match self.window {
            Some(window) if now < window.opened_at.plus(Self::RATE_WINDOW) => {
                if window.mails_sent >= Self::MAILS_PER_WINDOW {
                    return Err(RateLimited);
                }
                MailWindow { mails_sent: window.mails_sent + 1, ..window }
            }
            _ => MailWindow { opened_at: now, mails_sent: 1 },
        };
        let pending = PendingReset { digest, expires_at: now.plus(Self::LINK_LIFETIME), sent_to: sent_to.canonical() };
        Ok(Self { user: self.user, pending: Some(pending), window: Some(window), version: self.version + 1 })
    }

    /// Whether `digest` is the account's current link, has not expired, and was sent to the
    /// account's address as it is now.
    pub fn accepts(&self, digest: &TokenDigest, email: &Email, now: Timestamp) -> bool {
        self.pending.as_ref().is_some_and(|pending| {
            &pending.digest == digest && now < pending.expires_at && pending.sent_to == email.canonical()
        })
    }

    /// The state once the current link has been used: no link works until a new request.
    pub fn completed(&self) -> Self {
        Self { pending: None, version: self.version + 1, ..self.clone() }
    }

    /// When nothing in this state matters any more (the link expired and the window closed): the
    /// store may forget it then.
    pub fn forgettable_after(&self) -> Option<Timestamp> {
        let link = self.pending.as_ref().map(|pending| pending.expires_at);
        let window = self.window.map(|window| window.opened_at.plus(Self::RATE_WINDOW));
        link.max(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(text: &str) -> TokenDigest {
        TokenDigest::from_hex(text.to_owned())
    }

    fn jake() -> Email {
        Email::parse("jake@example.com").expect("valid")
    }

    fn at(iso: &str) -> Timestamp {
        Timestamp::parse_iso8601(iso).expect("valid instant")
    }

    #[test]
    fn a_link_works_until_it_expires_and_only_the_newest_works() {
        let state = PasswordReset::none_yet(UserId::generate());
        let now = at("2026-01-01T10:00:00Z");

        let first = state.request(digest("a"), &jake(), now).expect("admitted");
        let second = first.request(digest("b"), &jake(), now.plus(Duration::from_secs(60))).expect("admitted");

        assert!(first.accepts(&digest("a"), &jake(), now.plus(Duration::from_secs(29 * 60))));
        assert!(!first.accepts(&digest("a"), &jake(), now.plus(PasswordReset::LINK_LIFETIME)));
        assert!(!second.accepts(&digest("a"), &jake(), now.plus(Duration::from_secs(61))));
        assert!(second.accepts(&digest("b"), &jake(), now.plus(Duration::from_secs(61))));
        assert!(!second.completed().accepts(&digest("b"), &jake(), now.plus(Duration::from_secs(61))));
    }

    #[test]
    fn a_link_stops_working_once_the_account_has_another_address() {
        let now = at("2026-01-01T10:00:00Z");
        let state = PasswordReset::none_yet(UserId::generate()).request(digest("a"), &jake(), now).expect("admitted");

        let moved = Email::parse("jake@elsewhere.example").expect("valid");

        assert!(state.accepts(&digest("a"), &Email::parse("JAKE@example.com").expect("valid"), now));
        assert!(!state.accepts(&digest("a"), &moved, now));
    }

    #[test]
    fn three_mails_an_hour_then_refused_until_the_window_closes() {
        let now = at("2026-01-01T10:00:00Z");
        let mut state = PasswordReset::none_yet(UserId::generate());
        for minute in 0..3 {
            state = state.request(digest("x"), &jake(), now.plus(Duration::from_secs(minute * 60))).expect("admitted");
        }

        let fourth = state.request(digest("x"), &jake(), now.plus(Duration::from_secs(59 * 60)));
        let next_hour = state.request(digest("x"), &jake(), now.plus(PasswordReset::RATE_WINDOW)).expect("new window");

        assert_eq!(fourth, Err(RateLimited));
        assert_eq!(next_hour.window.map(|window| window.mails_sent), Some(1));
        assert_eq!(next_hour.version, 4);
    }

    #[test]
    fn the_state_may_be_forgotten_once_both_link_and_window_are_over() {
        let now = at("2026-01-01T10:00:00Z");

        let state = PasswordReset::none_yet(UserId::generate()).request(digest("x"), &jake(), now).expect("admitted");

        assert_eq!(state.forgettable_after(), Some(now.plus(PasswordReset::RATE_WINDOW)));
        assert_eq!(PasswordReset::none_yet(UserId::generate()).forgettable_after(), None);
    }
}
