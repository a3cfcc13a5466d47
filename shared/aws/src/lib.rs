//! What every AWS adapter shares: clients built in one place with one time budget
//! ([`clients`], [`budget`]), the AWS call log the IAM contract test reads ([`call_log`]), and the
//! line between a dependency that is unavailable for a moment and a defect ([`errors`]), and the
//! boxed request future that keeps the SDK's pipeline out of every binary's build ([`sending`]),
//! and each call's span of the trace ([`traced`]).

pub mod budget;
pub mod call_log;
pub mod clients;
pub mod errors;
pub mod sending;
pub mod traced;

pub use budget::{BudgetError, TimeBudget};
