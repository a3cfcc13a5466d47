//! Quotas on what one account may write in a window: articles, comments, follows and favorites
//! (OWASP API Security Top 10 2023 API4 unrestricted resource consumption and API6 automated
//! business flows; ASVS 4.0 V11.1.4 anti-automation). A person writing by hand never meets them; a
//! script filling the table or spamming others does. Each write is counted by the same atomic
//! write that stores it (see the adapters), so concurrent writes never pass a quota and a refused
//! write stores nothing.

use std::time::Duration;

pub use crate::quota::WriteAction;
use crate::quota::{QuotaWindow, ThrottleScope, Throttled, WindowQuota};
use crate::values::Timestamp;

/// The allowance of each kind of write, per account, each in fixed windows of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteQuotas {
    pub articles: WindowQuota,
    pub comments: WindowQuota,
    pub follows: WindowQuota,
    pub favorites: WindowQuota,
}

const HOUR: Duration = Duration::from_secs(60 * 60);

impl Default for WriteQuotas {
    fn default() -> Self {
        Self {
            // An article is the largest write (up to 50,000 characters of body, with its tags'
            // entries and counters); people publish a few a day, a script thousands an hour.
            articles: WindowQuota { max: 100, window: HOUR },
            // A lively discussion by hand is a comment a minute or two; 500 an hour is eight a
            // minute for a whole hour (up to 5 MB of text), which only spam reaches.
            comments: WindowQuota { max: 500, window: HOUR },
            // A follow is the most amplified write: it copies up to 50 of the author's articles into
            // the follower's feed. Following a few dozen people in a sitting is a lot by hand;
            // 500 an hour bounds what one account makes the table store to 26,000 items an hour.
            follows: WindowQuota { max: 500, window: HOUR },
            // The cheapest write and the quickest by hand (one click each): 1,000 an hour is one
            // every 3.6 s for an hour, beyond anyone reading what they favorite.
            favorites: WindowQuota { max: 1_000, window: HOUR },
        }
    }
}

impl WriteQuotas {
    pub fn of(&self, action: WriteAction) -> WindowQuota {
        match action {
            WriteAction::Article => self.articles,
            WriteAction::Comment => self.comments,
            WriteAction::Follow => self.follows,
            WriteAction::Favorite => self.favorites,
        }
    }

    /// The charge of one `action` made `at` that moment, against its quota.
    pub fn charge(&self, action: WriteAction, at: Timestamp) -> WriteCharge {
        WriteCharge { action, quota: self.of(action), at }
    }
}

/// One write counted against its account's quota: what kind it is, the quota, and when it is
/// made, which names the window it counts in. The account is the one making the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteCharge {
    pub action: WriteAction,
    pub quota: WindowQuota,
    pub at: Timestamp,
}

impl WriteCharge {
    /// The window the write counts in.
    pub fn window(&self) -> QuotaWindow {
        self.quota.window_at(self.at)
    }

    /// The answer when the window's allowance is used up: try again when the window ends.
    pub fn refusal(&self) -> Throttled {
        let window = self.window();
        Throttled { scope: ThrottleScope::AccountWrites(self.action), retry_after: window.ends_at.since(self.at) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;
    use crate::ports::StoreError;

    #[test]
    fn a_refused_write_names_its_kind_and_waits_until_its_window_ends() {
        // Given a quota of an hour and a write 20 minutes into a window
        let quotas = WriteQuotas::default();
        let at = Timestamp::from_unix_millis(1_800_000_000_000 + 20 * 60 * 1000);
        assert_eq!(quotas.articles.window_at(at).start_seconds, 1_800_000_000);

        // When its quota refuses it
        let refusal = quotas.charge(WriteAction::Comment, at).refusal();

        // Then the refusal speaks of comments and asks for the 40 minutes left
        assert_eq!(refusal.scope, ThrottleScope::AccountWrites(WriteAction::Comment));
        assert_eq!(refusal.retry_after, Duration::from_secs(40 * 60));
    }

    #[test]
    fn a_store_refusing_a_write_over_its_quota_is_a_throttled_request() {
        let charge = WriteQuotas::default().charge(WriteAction::Favorite, Timestamp::from_unix_millis(0));

        let error = DomainError::from(StoreError::OverQuota(charge.refusal()));

        let DomainError::Throttled(refusal) = error else { panic!("expected a throttled request, got {error:?}") };
        assert_eq!(refusal, charge.refusal());
    }

    #[test]
    fn each_kind_of_write_has_its_own_quota_and_stored_name() {
        let quotas = WriteQuotas::default();
        let kinds = [WriteAction::Article, WriteAction::Comment, WriteAction::Follow, WriteAction::Favorite];

        let allowances: Vec<u32> = kinds.iter().map(|kind| quotas.of(*kind).max).collect();
        let names: Vec<&str> = kinds.iter().map(|kind| kind.name()).collect();

        assert_eq!(allowances, [100, 500, 500, 1_000]);
        assert_eq!(names, ["article", "comment", "follow", "favorite"]);
    }
}
