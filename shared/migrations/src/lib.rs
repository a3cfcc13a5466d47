//! Versioned data migrations of the table.
//!
//! A single-table design has no schema to alter, but it has the same need: when an access pattern
//! changes, stored items must be rewritten while the API keeps serving, and everyone must be able
//! to tell which rewrites a table has had. The [`catalog`] lists every migration in order; the
//! [`Migrator`] applies the pending ones (under a lease, in checkpointed parallel scan segments,
//! with conditional writes) and records them in the table itself. `conduit-migrate` is its
//! command line, the `run-migrations` function its deployment hook. How to add one, and the
//! expand/contract rule every migration follows, are in this crate's README.

pub mod catalog;
mod error;
mod lease;
mod migration;
mod records;
mod runner;

pub use error::MigrationError;
pub use migration::{Item, Migration, Rewrite};
pub use records::Applied;
pub use runner::{DryRunReport, MigrationStatus, Migrator, Progress, Settings, State, Status};
