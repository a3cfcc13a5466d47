//! The body of every error response, and the rule that lets two kinds of client read it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

/// The key of the sentence list, as the official RealWorld schema (`GenericErrorModel`) names it.
pub(crate) const SENTENCES: &str = "body";

/// `{"errors": {"body": ["<field> <message>", ...], "<field>": ["<message>", ...], ...}}`.
///
/// Clients written against the official schema read `errors.body`: one readable sentence per
/// message, the field's name then the message ("email has already been taken"). Clients that read
/// field keys find each field's messages under its name. `body` is the one key both want, and the
/// official schema wins it: a field named `body` (an article's or a comment's text, or the request
/// body itself) is reported only as sentences there ("body can't be blank").
#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    errors: BTreeMap<&'a str, Vec<String>>,
}

impl<'a> ErrorBody<'a> {
    /// From each field's messages, whatever the error was.
    pub(crate) fn new(fields: BTreeMap<&'a str, Vec<String>>) -> Self {
        let sentences = fields
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |message| format!("{field} {message}")))
            .collect();
        let mut errors: BTreeMap<&'a str, Vec<String>> =
            fields.into_iter().filter(|(field, _)| *field != SENTENCES).collect();
        errors.insert(SENTENCES, sentences);
        Self { errors }
    }
}

const DESCRIPTION: &str = "Every error. `errors.body` lists one readable sentence per message, the field's name then \
the message (\"email has already been taken\"), as the official RealWorld GenericErrorModel has it. Every other key \
is a field (`email`, `token`, `article`, ...) with its messages (\"has already been taken\"). A field named `body` \
(an article's or a comment's text, or the request body itself) has no key of its own: its messages are the \
sentences in `errors.body` that start with \"body \".";

fn strings() -> ArrayBuilder {
    ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String))
}

impl utoipa::PartialSchema for ErrorBody<'_> {
    fn schema() -> RefOr<Schema> {
        let errors = ObjectBuilder::new()
            .property(SENTENCES, strings().description(Some("One sentence per message: \"<field> <message>\"")))
            .required(SENTENCES)
            .additional_properties(Some(strings().description(Some("A field's messages"))));
        let example = serde_json::json!({"errors": {
            "body": ["body can't be blank", "email has already been taken"],
            "email": ["has already been taken"],
        }});
        ObjectBuilder::new()
            .description(Some(DESCRIPTION))
            .property("errors", errors)
            .required("errors")
            .examples([example])
            .into()
    }
}

impl utoipa::ToSchema for ErrorBody<'_> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorBody")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(fields: &[(&'static str, &[&str])]) -> serde_json::Value {
        let fields = fields
            .iter()
            .map(|(field, messages)| (*field, messages.iter().map(|message| (*message).to_owned()).collect()))
            .collect();
        serde_json::to_value(ErrorBody::new(fields)).expect("serialises")
    }

    #[test]
    fn every_field_keeps_its_key_and_is_also_a_sentence_in_body() {
        let body = rendered(&[("email", &["is invalid", "has already been taken"]), ("username", &["can't be blank"])]);

        assert_eq!(
            body,
            serde_json::json!({"errors": {
                "body": ["email is invalid", "email has already been taken", "username can't be blank"],
                "email": ["is invalid", "has already been taken"],
                "username": ["can't be blank"],
            }})
        );
    }

    #[test]
    fn a_field_named_body_is_reported_only_as_sentences() {
        let body = rendered(&[("body", &["can't be blank"]), ("title", &["can't be blank"])]);

        assert_eq!(
            body,
            serde_json::json!({"errors": {
                "body": ["body can't be blank", "title can't be blank"],
                "title": ["can't be blank"],
            }})
        );
    }
}
