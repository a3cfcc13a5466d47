use super::UserId;

/// Which generation of an account's sign-ins a token belongs to. Revoking (a password change, a
/// completed reset, "sign out everywhere") moves the account to the next generation, and every
/// token of an earlier one stops working. A counter, not a time: it cannot be fooled by two events
/// in the same clock tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionGeneration(u32);

impl SessionGeneration {
    /// Accounts start here; so do tokens issued before tokens carried a generation.
    pub const FIRST: Self = Self(0);

    pub fn from_stored(value: u32) -> Self {
        Self(value)
    }

    pub fn value(self) -> u32 {
        self.0
    }

    /// The generation that revokes this one.
    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

/// What a bearer token asserts once its signature checks out: whose it is, and of which generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub user: UserId,
    pub generation: SessionGeneration,
}

impl Session {
    /// A session of an account that never revoked any.
    pub fn first(user: UserId) -> Self {
        Self { user, generation: SessionGeneration::FIRST }
    }

    /// Whether the account's current generation still accepts this session.
    pub fn is_current(&self, current: SessionGeneration) -> bool {
        self.generation == current
    }
}
