//! The response CloudFormation reads from the ResponseURL.

use std::collections::HashMap;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus,
};

use crate::request::Addressee;

/// The most of a failure's text the Reason carries: CloudFormation takes responses up to 4 KB,
/// and the log stream it names holds the rest.
const FAILURE_TEXT_LIMIT: usize = 1000;

/// What came of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The ids of the migrations this invocation applied (none when the table was up to date).
    Migrated(Vec<String>),
    NothingToUndo,
    /// Why not, on one line.
    Failed(String),
}

pub(crate) fn response(
    addressee: &Addressee,
    physical_resource_id: String,
    outcome: &Outcome,
    log_stream: &str,
    catalog: String,
) -> CloudFormationCustomResourceResponse {
    let (status, reason, applied) = match outcome {
        Outcome::Migrated(applied) if applied.is_empty() => {
            (CloudFormationCustomResourceResponseStatus::Success, "no migration pending".to_owned(), String::new())
        }
        Outcome::Migrated(applied) => (
            CloudFormationCustomResourceResponseStatus::Success,
            format!("applied {}", applied.join(", ")),
            applied.join(","),
        ),
        Outcome::NothingToUndo => (
            CloudFormationCustomResourceResponseStatus::Success,
            "nothing to undo: the table and its data outlive the stack".to_owned(),
            String::new(),
        ),
        Outcome::Failed(failure) => (
            CloudFormationCustomResourceResponseStatus::Failed,
            format!("{} (CloudWatch log stream {log_stream})", shortened(failure)),
            String::new(),
        ),
    };
    // The type is non-exhaustive: built from its default, field by field.
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = status;
    response.reason = Some(reason);
    response.physical_resource_id = physical_resource_id;
    response.stack_id = addressee.stack_id.clone();
    response.request_id = addressee.request_id.clone();
    response.logical_resource_id = addressee.logical_resource_id.clone();
    response.data = HashMap::from([("Applied".to_owned(), applied), ("Catalog".to_owned(), catalog)]);
    response
}

/// `text` cut to [`FAILURE_TEXT_LIMIT`] bytes, on a character boundary.
fn shortened(text: &str) -> String {
    if text.len() <= FAILURE_TEXT_LIMIT {
        return text.to_owned();
    }
    let end = (0..=FAILURE_TEXT_LIMIT).rev().find(|&index| text.is_char_boundary(index)).unwrap_or(0);
    format!("{}...", &text[..end])
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn addressee() -> Addressee {
        Addressee {
            response_url: "https://example.com/response".into(),
            stack_id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/conduit/1".into(),
            request_id: "request-1".into(),
            logical_resource_id: "Migrations".into(),
            physical_resource_id: None,
        }
    }

    fn as_json(outcome: &Outcome) -> Value {
        let response = response(
            &addressee(),
            "conduit-Table-migrations".into(),
            outcome,
            "2026/01/01/[$LATEST]ab",
            "0001-a,0002-b".into(),
        );
        serde_json::to_value(response).expect("JSON")
    }

    #[test]
    fn a_success_echoes_the_request_and_names_what_was_applied() {
        let answer = as_json(&Outcome::Migrated(vec!["0001-a".into(), "0002-b".into()]));

        assert_eq!(answer["Status"], "SUCCESS");
        assert_eq!(answer["PhysicalResourceId"], "conduit-Table-migrations");
        assert_eq!(answer["StackId"], "arn:aws:cloudformation:eu-west-1:123456789012:stack/conduit/1");
        assert_eq!(answer["RequestId"], "request-1");
        assert_eq!(answer["LogicalResourceId"], "Migrations");
        assert_eq!(answer["Data"], json!({"Applied": "0001-a,0002-b", "Catalog": "0001-a,0002-b"}));
        assert_eq!(answer["Reason"], "applied 0001-a, 0002-b");
    }

    #[test]
    fn a_failure_says_why_on_one_bounded_line_and_where_the_logs_are() {
        let long = format!("table t: DynamoDB refused Scan: {}", "é".repeat(2000));

        let answer = as_json(&Outcome::Failed(long));

        let reason = answer["Reason"].as_str().expect("a reason");
        assert_eq!(answer["Status"], "FAILED");
        assert!(reason.starts_with("table t: DynamoDB refused Scan: é"), "{reason}");
        assert!(reason.ends_with("... (CloudWatch log stream 2026/01/01/[$LATEST]ab)"), "{reason}");
        assert!(reason.len() < FAILURE_TEXT_LIMIT + 100 && !reason.contains('\n'));
        assert_eq!(answer["Data"]["Applied"], "");
    }
}
