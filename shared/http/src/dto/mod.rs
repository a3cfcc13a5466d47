//! Request and response bodies, exactly as the Conduit API spells them.

pub mod articles;
pub mod comments;
pub mod profiles;
pub mod tags;
pub mod users;

use conduit_domain::usecases::FieldUpdate;
use serde::{Deserialize, Deserializer};

/// For partial updates: an absent key keeps the value (`#[serde(default)]`), `null` clears it.
pub(crate) fn field_update<'de, D: Deserializer<'de>>(deserializer: D) -> Result<FieldUpdate, D::Error> {
    Ok(match Option::<String>::deserialize(deserializer)? {
        None => FieldUpdate::Clear,
        Some(text) => FieldUpdate::Set(text),
    })
}
