//! The AWS call log: when `CONDUIT_AWS_CALL_LOG_DIR` names a directory, every call a client built
//! by [`crate::clients`] makes is written there as the IAM permissions it needs, one JSON line per distinct
//! (function, action, resource). The IAM contract test holds that record against each function's
//! policy in `template.yaml`, because neither DynamoDB Local nor moto_server enforces IAM.
//!
//! Off by default: a deployed function never sets the variable, and then no interceptor is added.
//!
//! What IAM checks per call follows the service documentation: DynamoDB authorises each item
//! action inside `TransactWriteItems` on its own (`Put` as `PutItem`, `Update` as `UpdateItem`,
//! `Delete` as `DeleteItem`, `ConditionCheck` as `ConditionCheckItem`), `TransactGetItems` as
//! `GetItem`, and a `Query` or `Scan` on an index against the index's ARN
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html>,
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html>).
//! SES v2's `SendEmail` is checked against the sending identity and, when the call names one, the
//! configuration set
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html>).

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use serde_json::Value;

/// The directory the log is written to; unset means no log.
pub const LOG_DIR_VARIABLE: &str = "CONDUIT_AWS_CALL_LOG_DIR";

tokio::task_local! {
    /// The function on whose behalf the current task calls AWS (the local gateway runs every
    /// function in one process, so it names the function around each invocation).
    static CURRENT_FUNCTION: &'static str;
}

/// Runs `work` as the named function: its AWS calls are logged under that name.
pub async fn as_function<F: Future>(function: &'static str, work: F) -> F::Output {
    CURRENT_FUNCTION.scope(function, work).await
}

/// One permission a call needed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct LoggedPermission {
    /// The binary that made the call: the enclosing [`as_function`] scope, else the Lambda
    /// function name from the environment; `None` for calls made outside any function.
    pub function: Option<String>,
    /// The IAM action, e.g. `dynamodb:UpdateItem`.
    pub action: String,
    pub resource: LoggedResource,
}

/// What a permission applies to, by kind; names are the ones the call used.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoggedResource {
    Table {
        name: String,
    },
    Index {
        table: String,
        index: String,
    },
    Secret {
        id: String,
    },
    /// An SES identity mail is sent from: the sender address, as the call names it.
    EmailIdentity {
        identity: String,
    },
    /// A call the log cannot interpret yet: the contract test fails on it until the log learns it.
    Unrecognised {
        service: String,
        detail: String,
    },
}

/// The interceptor, added to a client's configuration when the log is on.
pub(crate) fn interceptor(service: &'static str) -> Option<CallLogInterceptor> {
    log_file().map(|_| CallLogInterceptor { service })
}

pub(crate) struct CallLogInterceptor {
    service: &'static str,
}

impl fmt::Debug for CallLogInterceptor {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("CallLogInterceptor").field("service", &self.service).finish()
    }
}

impl Intercept for CallLogInterceptor {
    fn name(&self) -> &'static str {
        "CallLogInterceptor"
    }

    // Once per operation (not per retry attempt): the serialised request names the operation in
    // its `X-Amz-Target` header (JSON protocols) or its method and path (REST protocols), and the
    // resources in its JSON body.
    fn read_after_serialization(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        let body = request.body().bytes().and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok());
        let function = CURRENT_FUNCTION
            .try_with(|function| (*function).to_owned())
            .ok()
            .or_else(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok());
        let (method, path) = (request.method(), path_of(request.uri()));
        for (action, resource) in permissions(self.service, method, path, target, body.as_ref().unwrap_or(&Value::Null))
        {
            write(LoggedPermission { function: function.clone(), action, resource });
        }
        Ok(())
    }
}

/// The path of a request URI (`https://host/v2/email/outbound-emails?x` gives `/v2/email/outbound-emails`).
fn path_of(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |start| &after_scheme[start..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The permissions one request needs, from its operation (the `X-Amz-Target` header of a JSON
/// protocol, `DynamoDB_20120810.Query`; the method and path of a REST one) and its body.
pub fn permissions(
    service: &str,
    method: &str,
    path: &str,
    target: &str,
    body: &Value,
) -> Vec<(String, LoggedResource)> {
    let operation = target.rsplit('.').next().unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let unrecognised = || {
        let detail = if target.is_empty() { format!("{method} {path}") } else { target.to_owned() };
        vec![(format!("{service}:{operation}"), LoggedResource::Unrecognised { service: service.to_owned(), detail })]
    };
    match (service, operation) {
        ("dynamodb", "TransactWriteItems" | "TransactGetItems") => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.as_object()?.iter().next())
            .map(|(kind, operation)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    _ => "UnknownTransactItem",
                };
                (format!("dynamodb:{action}"), LoggedResource::Table { name: text(&operation["TableName"]) })
            })
            .collect(),
        ("dynamodb", "BatchGetItem" | "BatchWriteItem") => body["RequestItems"]
            .as_object()
            .into_iter()
            .flat_map(|tables| tables.keys())
            .map(|table| (format!("dynamodb:{operation}"), LoggedResource::Table { name: table.clone() }))
            .collect(),
        ("dynamodb", _) if body["TableName"].is_string() => {
            let table = text(&body["TableName"]);
            let resource = match body["IndexName"].as_str() {
                Some(index) => LoggedResource::Index { table, index: index.to_owned() },
                None => LoggedResource::Table { name: table },
            };
            vec![(format!("dynamodb:{operation}"), resource)]
        }
        ("secretsmanager", _) if body["SecretId"].is_string() => {
            vec![(format!("secretsmanager:{operation}"), LoggedResource::Secret { id: text(&body["SecretId"]) })]
        }
        ("ses", _) if method == "POST" && path.ends_with("/v2/email/outbound-emails") => {
            let identity = sender_address(body["FromEmailAddress"].as_str().unwrap_or_default()).to_owned();
            let mut needed = vec![("ses:SendEmail".to_owned(), LoggedResource::EmailIdentity { identity })];
            // No configuration set is used yet; one that appears must be taught here and granted.
            if let Some(set) = body["ConfigurationSetName"].as_str() {
                needed.push((
                    "ses:SendEmail".to_owned(),
                    LoggedResource::Unrecognised {
                        service: service.to_owned(),
                        detail: format!("configuration set {set}"),
                    },
                ));
            }
            needed
        }
        _ => unrecognised(),
    }
}

/// The address of a sender that may carry a display name (`Conduit <noreply@example.com>`): the
/// identity IAM checks is the address alone.
fn sender_address(sender: &str) -> &str {
    match sender.rsplit_once('<') {
        Some((_, rest)) => rest.split('>').next().unwrap_or(rest).trim(),
        None => sender.trim(),
    }
}

struct LogFile {
    path: PathBuf,
    written: Mutex<HashSet<LoggedPermission>>,
}

/// One file per process, so parallel test processes never interleave their lines.
fn log_file() -> Option<&'static LogFile> {
    static FILE: OnceLock<Option<LogFile>> = OnceLock::new();
    FILE.get_or_init(|| {
        let directory = PathBuf::from(std::env::var_os(LOG_DIR_VARIABLE)?);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let path = directory.join(format!("{}-{nanos}.jsonl", std::process::id()));
        Some(LogFile { path, written: Mutex::new(HashSet::new()) })
    })
    .as_ref()
}

fn write(permission: LoggedPermission) {
    let Some(file) = log_file() else {
        return;
    };
    let Ok(mut written) = file.written.lock() else {
        return;
    };
    if written.contains(&permission) {
        return;
    }
    let Ok(line) = serde_json::to_string(&permission) else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file.path)
        .and_then(|mut output| writeln!(output, "{line}"));
    match appended {
        Ok(()) => {
            written.insert(permission);
        }
        // The log serves a test; failing to write it must not fail the call being logged.
        Err(error) => tracing::warn!(path = %file.path.display(), %error, "cannot write the AWS call log"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table(name: &str) -> LoggedResource {
        LoggedResource::Table { name: name.to_owned() }
    }

    fn dynamodb(target: &str, body: &Value) -> Vec<(String, LoggedResource)> {
        permissions("dynamodb", "POST", "/", target, body)
    }

    #[test]
    fn each_item_of_a_write_transaction_needs_its_own_action() {
        let body = json!({ "TransactItems": [
            { "Update": { "TableName": "t" } },
            { "Put": { "TableName": "t" } },
            { "Delete": { "TableName": "t" } },
            { "ConditionCheck": { "TableName": "t" } },
        ]});

        let needed = dynamodb("DynamoDB_20120810.TransactWriteItems", &body);

        assert_eq!(
            needed,
            vec![
                ("dynamodb:UpdateItem".to_owned(), table("t")),
                ("dynamodb:PutItem".to_owned(), table("t")),
                ("dynamodb:DeleteItem".to_owned(), table("t")),
                ("dynamodb:ConditionCheckItem".to_owned(), table("t")),
            ]
        );
    }

    #[test]
    fn a_query_on_an_index_needs_the_index_and_a_batch_needs_each_table() {
        let query = dynamodb("DynamoDB_20120810.Query", &json!({ "TableName": "t", "IndexName": "GSI1" }));
        let batch = dynamodb("DynamoDB_20120810.BatchGetItem", &json!({ "RequestItems": { "t": {} } }));

        assert_eq!(
            query,
            vec![("dynamodb:Query".to_owned(), LoggedResource::Index { table: "t".into(), index: "GSI1".into() })]
        );
        assert_eq!(batch, vec![("dynamodb:BatchGetItem".to_owned(), table("t"))]);
    }

    #[test]
    fn a_secret_read_needs_the_secret_and_an_unknown_call_is_flagged() {
        let secret =
            permissions("secretsmanager", "POST", "/", "secretsmanager.GetSecretValue", &json!({ "SecretId": "s" }));
        let unknown = permissions("ses", "GET", "/v2/email/identities", "", &Value::Null);

        assert_eq!(
            secret,
            vec![("secretsmanager:GetSecretValue".to_owned(), LoggedResource::Secret { id: "s".into() })]
        );
        assert_eq!(
            unknown,
            vec![(
                "ses:".to_owned(),
                LoggedResource::Unrecognised { service: "ses".into(), detail: "GET /v2/email/identities".into() }
            )]
        );
    }

    #[test]
    fn sending_a_mail_needs_send_email_on_the_sender_identity() {
        // Given SES v2 SendEmail requests, from a bare address and from one with a display name
        let send = |sender: &str| {
            let body = json!({ "FromEmailAddress": sender, "Destination": { "ToAddresses": ["jake@example.com"] } });
            permissions("ses", "POST", "/v2/email/outbound-emails", "", &body)
        };

        // Then each needs ses:SendEmail on the sender's address as identity, never the recipient's
        let expected = vec![(
            "ses:SendEmail".to_owned(),
            LoggedResource::EmailIdentity { identity: "noreply@conduit.example".into() },
        )];
        assert_eq!(send("noreply@conduit.example"), expected);
        assert_eq!(send("Conduit <noreply@conduit.example>"), expected);
    }

    #[test]
    fn a_mail_sent_through_a_configuration_set_is_flagged_until_the_log_learns_it() {
        let body = json!({ "FromEmailAddress": "noreply@conduit.example", "ConfigurationSetName": "tracking" });

        let needed = permissions("ses", "POST", "/v2/email/outbound-emails", "", &body);

        assert_eq!(needed.len(), 2, "{needed:?}");
        assert!(matches!(&needed[1].1, LoggedResource::Unrecognised { detail, .. } if detail.contains("tracking")));
    }

    #[test]
    fn the_path_of_a_request_uri_leaves_out_host_and_query() {
        assert_eq!(
            path_of("https://email.us-east-1.amazonaws.com/v2/email/outbound-emails"),
            "/v2/email/outbound-emails"
        );
        assert_eq!(path_of("http://127.0.0.1:5000/v2/email/outbound-emails?x=1"), "/v2/email/outbound-emails");
        assert_eq!(path_of("https://dynamodb.us-east-1.amazonaws.com"), "/");
    }
}
