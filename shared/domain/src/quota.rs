//! What every quota is made of: fixed windows, the kinds of writes an account's quota counts, and
//! the refusal a quota gives. Below both the abuse limits (`throttling`) and the write quotas
//! (`write_quotas`), which share them.

use std::time::Duration;

use crate::values::Timestamp;

/// At most `max` in each fixed window of `window`, per source. Fixed windows (not sliding) keep
/// each check to one atomic counter; a source can at worst fit twice `max` around a boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowQuota {
    pub max: u32,
    pub window: Duration,
}

/// One window of a [`WindowQuota`]: which one `now` falls in, and when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    /// The window's start, in seconds since the Unix epoch: what names its counter.
    pub start_seconds: i64,
    pub ends_at: Timestamp,
}

impl WindowQuota {
    pub fn window_at(&self, now: Timestamp) -> QuotaWindow {
        let length = i64::try_from(self.window.as_secs().max(1)).unwrap_or(i64::MAX);
        let start_seconds = now.unix_seconds().div_euclid(length) * length;
        let ends_at = Timestamp::from_unix_millis(start_seconds.saturating_add(length).saturating_mul(1000));
        QuotaWindow { start_seconds, ends_at }
    }
}

/// What a per-account write quota counts. Only writes that add something count: a repeated
/// follow or favorite changes nothing and is not counted; unfollowing and unfavoriting undo a
/// counted write, so toggling is bounded by the quota of the write they undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteAction {
    Article,
    Comment,
    Follow,
    Favorite,
}

impl WriteAction {
    /// The stable name the counters are stored under.
    pub fn name(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Comment => "comment",
            Self::Follow => "follow",
            Self::Favorite => "favorite",
        }
    }

    /// What a refusal speaks of (the field of its error answer).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Article => "articles",
            Self::Comment => "comments",
            Self::Follow => "follows",
            Self::Favorite => "favorites",
        }
    }
}

/// Whose limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// The account (by the address given), after too many failed attempts.
    Account,
    /// The source address, after too many requests of one kind.
    Source,
    /// The caller's account, after too many writes of one kind in the window.
    AccountWrites(WriteAction),
}

/// A request refused by a limit; the client may try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub scope: ThrottleScope,
    pub retry_after: Duration,
}
