//! Field-level validation failures, gathered so a client learns every problem with its input at once.

use std::collections::BTreeMap;

/// Why one raw value was refused; the message is written for the API's `{"errors":{field:[msg]}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

impl InvalidValue {
    pub fn blank() -> Self {
        Self("can't be blank".into())
    }
    pub fn invalid() -> Self {
        Self("is invalid".into())
    }
    pub fn too_short(minimum: usize) -> Self {
        Self(format!("is too short (minimum is {minimum} characters)"))
    }
    pub fn too_long(maximum: usize) -> Self {
        Self(format!("is too long (maximum is {maximum} characters)"))
    }
    pub fn taken() -> Self {
        Self("has already been taken".into())
    }
    pub fn too_common() -> Self {
        Self("is too common (found in a list of breached passwords)".into())
    }
}

/// Messages per field, in a stable (sorted) order so responses and tests are deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(BTreeMap<String, Vec<String>>);

impl ValidationErrors {
    pub fn single(field: &str, problem: InvalidValue) -> Self {
        let mut errors = Self::default();
        errors.add(field, problem);
        errors
    }

    pub fn add(&mut self, field: &str, problem: InvalidValue) {
        self.0.entry(field.to_owned()).or_default().push(problem.0);
    }

    /// Keeps the parsed value, or records why it was refused under `field`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, InvalidValue>) -> Option<T> {
        parsed.map_err(|problem| self.add(field, problem)).ok()
    }

    /// Like [`Self::check`] for a value that may be absent: `None` stays `None` without complaint.
    pub fn check_optional<T>(&mut self, field: &str, parsed: Option<Result<T, InvalidValue>>) -> Option<Option<T>> {
        match parsed {
            None => Some(None),
            Some(result) => self.check(field, result).map(Some),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields: Vec<&str> = self.0.keys().map(String::as_str).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_every_message_per_field_in_field_order() {
        let mut errors = ValidationErrors::default();
        errors.add("username", InvalidValue::blank());
        errors.add("email", InvalidValue::invalid());
        errors.add("email", InvalidValue::taken());

        let fields: Vec<_> = errors.fields().iter().collect();

        assert_eq!(
            fields,
            vec![
                (&"email".to_owned(), &vec!["is invalid".to_owned(), "has already been taken".to_owned()]),
                (&"username".to_owned(), &vec!["can't be blank".to_owned()]),
            ]
        );
    }

    #[test]
    fn an_absent_optional_value_is_not_an_error() {
        let mut errors = ValidationErrors::default();
        let checked: Option<Option<u8>> = errors.check_optional("bio", None);
        assert_eq!(checked, Some(None));
        assert!(errors.is_empty());
    }
}
