//! The Conduit domain: what an account, a profile or an article *is*, the rules they obey, the ports
//! through which use cases reach storage and crypto, and the use cases themselves.
//!
//! Nothing in here knows about AWS, HTTP or Lambda; adapters implement [`ports`] and the interface
//! layer turns events into use-case calls.

pub mod account_notice;
pub mod article;
pub mod error;
pub mod idempotency;
pub mod mail_templates;
pub mod password_reset;
pub mod ports;
pub mod quota;
pub mod read_limits;
pub mod throttling;
pub mod usecases;
pub mod user;
pub mod validation;
pub mod values;
pub mod views;
pub mod work_chunks;
pub mod write_quotas;

pub use error::DomainError;
pub use user::User;
pub use validation::ValidationErrors;
