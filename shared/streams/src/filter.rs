//! Lambda event filtering, the subset the consumers use: a pattern is a JSON object whose leaves
//! are arrays of allowed values, and a record matches when, for every key of the pattern, its
//! value at that path is one of them (nested objects are matched key by key). An allowed value
//! may also be a rule `{"prefix": "..."}`: any string starting so. Lambda applies the template's
//! `FilterCriteria`; the local gateway applies the same patterns with this.

use serde_json::Value;

/// Whether `record` (a stream record as Lambda's JSON has it) matches `pattern`.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => {
            fields.iter().all(|(key, wanted)| record.get(key).is_some_and(|value| matches(wanted, value)))
        }
        Value::Array(allowed) => allowed.iter().any(|candidate| allows(candidate, record)),
        _ => false,
    }
}

/// Whether one allowed value of a pattern admits `value`.
fn allows(candidate: &Value, value: &Value) -> bool {
    match candidate.get("prefix").and_then(Value::as_str) {
        Some(prefix) => value.as_str().is_some_and(|text| text.starts_with(prefix)),
        None => candidate == value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_record_matches_when_every_path_of_the_pattern_holds_an_allowed_value() {
        let pattern = json!({"eventName": ["INSERT"], "dynamodb": {"Keys": {"SK": {"S": ["USER"]}}}});
        let user_inserted =
            json!({"eventName": "INSERT", "dynamodb": {"Keys": {"PK": {"S": "USER#1"}, "SK": {"S": "USER"}}}});
        let user_modified =
            json!({"eventName": "MODIFY", "dynamodb": {"Keys": {"PK": {"S": "USER#1"}, "SK": {"S": "USER"}}}});
        let claim_inserted =
            json!({"eventName": "INSERT", "dynamodb": {"Keys": {"PK": {"S": "EMAIL#a"}, "SK": {"S": "EMAIL"}}}});
        let without_keys = json!({"eventName": "INSERT"});

        assert!(matches(&pattern, &user_inserted));
        assert!(!matches(&pattern, &user_modified));
        assert!(!matches(&pattern, &claim_inserted));
        assert!(!matches(&pattern, &without_keys));
    }

    #[test]
    fn a_prefix_rule_admits_the_strings_starting_so() {
        let pattern = json!({"dynamodb": {"Keys": {"SK": {"S": [{"prefix": "FEED_ENDED#"}]}}}});
        let ended = json!({"dynamodb": {"Keys": {"SK": {"S": "FEED_ENDED#01A#01B"}}}});
        let pulled = json!({"dynamodb": {"Keys": {"SK": {"S": "FEED_PULL#01A"}}}});
        let number = json!({"dynamodb": {"Keys": {"SK": {"N": "1"}}}});

        assert!(matches(&pattern, &ended));
        assert!(!matches(&pattern, &pulled));
        assert!(!matches(&pattern, &number));
    }
}
