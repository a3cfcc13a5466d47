//! The IAM contract. DynamoDB Local and moto_server enforce no IAM, so a function whose policy in
//! `template.yaml` lacks an action it uses passes every other test and fails only on AWS. While the
//! test suite runs with `CONDUIT_AWS_CALL_LOG_DIR` set (`infra/test.sh` does), every AWS call a
//! function makes is logged as the permission it needs (see `conduit_bootstrap::aws_call_log`);
//! this test then holds that log against each function's policy, both ways:
//! - every permission used is granted (an action on a matching resource ARN, index ARNs included);
//! - every permission granted was used by some test, or its statement carries a comment
//!   `# Not exercised by tests: <why it is needed>` on the line above.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use conduit_api_tests::template::{self, TEMPLATE, intrinsic};
use conduit_bootstrap::aws_call_log::{LOG_DIR_VARIABLE, LoggedPermission, LoggedResource};
use serde_norway::Value;

const JUSTIFICATION: &str = "# Not exercised by tests:";
/// The template parameter holding the address mail is sent from.
const MAIL_SENDER_PARAMETER: &str = "MailSender";
/// How a policy names an SES identity held in a parameter: `!Sub "<this>${Parameter}"`.
const SES_IDENTITY_ARN_PREFIX: &str = "arn:aws:ses:${AWS::Region}:${AWS::AccountId}:identity/";

/// A resource as the template names it: by logical id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Resource {
    Table(String),
    /// A table's index; `*` in a grant stands for every index.
    Index(String, String),
    Secret(String),
    /// An SES identity, named by the template parameter that holds its address.
    EmailIdentity(String),
}

impl Resource {
    fn covers(&self, used: &Resource) -> bool {
        match (self, used) {
            (Resource::Index(table, granted), Resource::Index(used_table, used_index)) => {
                table == used_table && (granted == "*" || granted == used_index)
            }
            _ => self == used,
        }
    }
}

#[derive(Debug)]
struct Statement {
    actions: Vec<String>,
    resources: Vec<Resource>,
    /// The comment explaining why a grant no test exercises is needed.
    justification: Option<String>,
}

impl Statement {
    fn allows(&self, action: &str, resource: &Resource) -> bool {
        self.actions.iter().any(|granted| action_matches(granted, action))
            && self.resources.iter().any(|granted| granted.covers(resource))
    }
}

fn action_matches(granted: &str, action: &str) -> bool {
    match granted.strip_suffix('*') {
        Some(prefix) => action.to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase()),
        None => granted.eq_ignore_ascii_case(action),
    }
}

/// A permission a function used, with the resource named by logical id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Use {
    function: String,
    action: String,
    resource: Resource,
}

struct Contract {
    /// Policy statements by binary name.
    policies: BTreeMap<String, Vec<Statement>>,
    table: String,
    secret: Option<String>,
    /// The template parameter naming the address mail is sent from, when the template has it.
    mail_sender: Option<String>,
}

impl Contract {
    fn from_template(text: &str) -> Self {
        let template: Value = serde_norway::from_str(text).expect("template parses");
        let tables: Vec<String> =
            template::resources_of_type(&template, "AWS::DynamoDB::Table").map(|(id, _)| id).collect();
        let secrets: Vec<String> =
            template::resources_of_type(&template, "AWS::SecretsManager::Secret").map(|(id, _)| id).collect();
        // Tests create a table (and a secret) per run under names of their own; with one of each in
        // the template, every logged name maps to it. A second one needs a rule telling them apart.
        assert_eq!(tables.len(), 1, "the contract maps logged tables to the template's single table: {tables:?}");
        assert!(secrets.len() <= 1, "the contract maps logged secrets to the template's single secret: {secrets:?}");
        let policies = template::functions(&template)
            .into_iter()
            .map(|function| {
                let justifications = statement_comments(text, &function.logical_id);
                let statements = function.properties["Policies"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .flat_map(|policy| {
                        policy["Statement"].as_sequence().cloned().unwrap_or_else(|| {
                            panic!(
                                "{}: only inline `Statement` policies are understood: {policy:?}",
                                function.logical_id
                            )
                        })
                    })
                    .enumerate()
                    .map(|(position, statement)| {
                        parse_statement(
                            &function.logical_id,
                            &statement,
                            justifications.get(position).cloned().flatten(),
                        )
                    })
                    .collect();
                (function.binary, statements)
            })
            .collect();
        let mail_sender = template["Parameters"].get(MAIL_SENDER_PARAMETER).map(|_| MAIL_SENDER_PARAMETER.to_owned());
        Self { policies, table: tables[0].clone(), secret: secrets.first().cloned(), mail_sender }
    }

    fn resource(&self, logged: &LoggedResource) -> Result<Resource, String> {
        match logged {
            LoggedResource::Table { .. } => Ok(Resource::Table(self.table.clone())),
            LoggedResource::Index { index, .. } => Ok(Resource::Index(self.table.clone(), index.clone())),
            LoggedResource::Secret { id } => {
                self.secret.clone().map(Resource::Secret).ok_or(format!("secret {id} is not in the template"))
            }
            // Tests send from sender addresses of their own (each verified in moto for one test),
            // where the deployed functions send from the one in the MailSender parameter: every
            // logged sender stands for that parameter.
            LoggedResource::EmailIdentity { identity } => self.mail_sender.clone().map(Resource::EmailIdentity).ok_or(
                format!("mail is sent from {identity}, but the template has no {MAIL_SENDER_PARAMETER} parameter"),
            ),
            LoggedResource::Unrecognised { service, detail } => {
                Err(format!("a {service} call ({detail}) the AWS call log cannot interpret yet: teach it"))
            }
        }
    }

    /// Everything wrong: permissions used but not granted, and grants nothing used or justified.
    fn violations(&self, log: &[LoggedPermission]) -> Vec<String> {
        let mut violations = BTreeSet::new();
        let mut uses = BTreeSet::new();
        for logged in log {
            let Some(function) = &logged.function else {
                continue; // a test's own set-up, not a function
            };
            let Some(statements) = self.policies.get(function) else {
                violations.insert(format!("{function} is not a function of the template but called {}", logged.action));
                continue;
            };
            match self.resource(&logged.resource) {
                Err(problem) => {
                    violations.insert(format!("{function}: {problem}"));
                }
                Ok(resource) => {
                    if !statements.iter().any(|statement| statement.allows(&logged.action, &resource)) {
                        violations.insert(format!(
                            "{function} uses {} on {resource:?}, which its policy does not grant",
                            logged.action
                        ));
                    }
                    uses.insert(Use { function: function.clone(), action: logged.action.clone(), resource });
                }
            }
        }
        for (function, statements) in &self.policies {
            for statement in statements.iter().filter(|statement| statement.justification.is_none()) {
                for action in &statement.actions {
                    for resource in &statement.resources {
                        let used = uses.iter().any(|used| {
                            &used.function == function
                                && action_matches(action, &used.action)
                                && resource.covers(&used.resource)
                        });
                        if !used {
                            violations.insert(format!(
                                "{function} is granted {action} on {resource:?}, which no test used; remove it or say \
                                 why it is needed with `{JUSTIFICATION} ...` above its statement"
                            ));
                        }
                    }
                }
            }
        }
        violations.into_iter().collect()
    }
}

fn parse_statement(function: &str, statement: &Value, justification: Option<String>) -> Statement {
    assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{function}: only Allow statements are expected");
    let list = |value: &Value| -> Vec<Value> {
        match value {
            Value::Sequence(items) => items.clone(),
            Value::Null => panic!("{function}: a statement lacks Action or Resource"),
            single => vec![single.clone()],
        }
    };
    let actions = list(&statement["Action"])
        .iter()
        .map(|action| action.as_str().unwrap_or_else(|| panic!("{function}: action {action:?}")).to_owned())
        .collect();
    let resources = list(&statement["Resource"]).iter().map(|resource| parse_resource(function, resource)).collect();
    Statement { actions, resources, justification }
}

/// `!GetAtt Table.Arn`, `!Sub "${Table.Arn}/index/NAME"`, `!Ref Secret` and
/// `!Sub "arn:aws:ses:${AWS::Region}:${AWS::AccountId}:identity/${Parameter}"`: the forms the
/// template uses. Anything else fails loudly rather than being guessed at.
fn parse_resource(function: &str, resource: &Value) -> Resource {
    if let Some(table) = intrinsic(resource, "GetAtt").and_then(|target| target.strip_suffix(".Arn")) {
        return Resource::Table(table.to_owned());
    }
    if let Some((table, index)) = intrinsic(resource, "Sub")
        .and_then(|text| text.strip_prefix("${"))
        .and_then(|text| text.split_once(".Arn}/index/"))
    {
        return Resource::Index(table.to_owned(), index.to_owned());
    }
    if let Some(parameter) = intrinsic(resource, "Sub")
        .and_then(|text| text.strip_prefix(SES_IDENTITY_ARN_PREFIX))
        .and_then(|text| text.strip_prefix("${"))
        .and_then(|text| text.strip_suffix('}'))
    {
        return Resource::EmailIdentity(parameter.to_owned());
    }
    if let Some(secret) = intrinsic(resource, "Ref") {
        return Resource::Secret(secret.to_owned());
    }
    panic!("{function}: the contract does not understand the resource {resource:?}")
}

/// For each statement of a function's policies, in order, the justification comment on the line
/// above its `- Effect:` line, if any. Comments are not part of the parsed YAML, so this reads text.
fn statement_comments(text: &str, logical_id: &str) -> Vec<Option<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|line| *line == format!("  {logical_id}:")).expect("the function's block");
    let end = lines[start + 1..]
        .iter()
        .position(|line| line.starts_with("  ") && !line.starts_with("   ") && !line.trim_start().starts_with('#'))
        .map_or(lines.len(), |offset| start + 1 + offset);
    (start..end)
        .filter(|&number| lines[number].trim_start().starts_with("- Effect:"))
        .map(|number| {
            let above = lines[number - 1].trim();
            above.starts_with(JUSTIFICATION).then(|| above[JUSTIFICATION.len()..].trim().to_owned())
        })
        .collect()
}

fn read_log(directory: &Path) -> Vec<LoggedPermission> {
    let mut log = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display())) {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|extension| extension == "jsonl") {
            let text = std::fs::read_to_string(&path).expect("log readable");
            log.extend(
                text.lines().map(|line| serde_json::from_str::<LoggedPermission>(line).expect("a logged permission")),
            );
        }
    }
    log
}

#[test]
#[ignore = "needs the AWS call log of a whole test run; infra/test.sh runs it after the suite"]
fn every_aws_call_the_tests_made_is_granted_and_every_grant_is_used() {
    let directory = std::env::var_os(LOG_DIR_VARIABLE)
        .unwrap_or_else(|| panic!("set {LOG_DIR_VARIABLE} to the directory the test run logged AWS calls to"));
    let log = read_log(Path::new(&directory));
    let contract = Contract::from_template(TEMPLATE);
    let logged_functions: BTreeSet<&str> = log.iter().filter_map(|logged| logged.function.as_deref()).collect();
    assert!(!logged_functions.is_empty(), "the AWS call log in {directory:?} holds no call made by a function");

    let violations = contract.violations(&log);

    assert!(violations.is_empty(), "IAM contract broken:\n{}", violations.join("\n"));
}

// ---------------------------------------------------------------- the checker itself

const TWO_FUNCTIONS: &str = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  SigningSecret:
    Type: AWS::SecretsManager::Secret
  UpdateCurrentUserFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: update-current-user
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem]
              Resource: !GetAtt Table.Arn
  ListArticlesFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: list-articles
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: dynamodb:Query
              Resource: !Sub "${Table.Arn}/index/GSI3"
            # Not exercised by tests: reads the signing key on a path the tests do not reach.
            - Effect: Allow
              Action: secretsmanager:GetSecretValue
              Resource: !Ref SigningSecret
"#;

fn used(function: &str, action: &str, resource: LoggedResource) -> LoggedPermission {
    LoggedPermission { function: Some(function.to_owned()), action: action.to_owned(), resource }
}

fn table() -> LoggedResource {
    LoggedResource::Table { name: "conduit-test-1234".to_owned() }
}

#[test]
fn an_update_inside_a_transaction_is_refused_when_only_put_and_delete_are_granted() {
    // Given the policy PUT /api/user had: GetItem, PutItem, DeleteItem on the table
    let contract = Contract::from_template(TWO_FUNCTIONS);
    // When its transaction updates the account item
    let log = vec![
        used("update-current-user", "dynamodb:GetItem", table()),
        used("update-current-user", "dynamodb:PutItem", table()),
        used("update-current-user", "dynamodb:DeleteItem", table()),
        used("update-current-user", "dynamodb:UpdateItem", table()),
        used("list-articles", "dynamodb:Query", LoggedResource::Index { table: "t".into(), index: "GSI3".into() }),
    ];

    // Then the contract names exactly that missing permission
    assert_eq!(
        contract.violations(&log),
        vec![r#"update-current-user uses dynamodb:UpdateItem on Table("Table"), which its policy does not grant"#]
    );
}

#[test]
fn a_query_on_an_index_needs_that_index_granted() {
    let contract = Contract::from_template(TWO_FUNCTIONS);
    let log = vec![
        used("update-current-user", "dynamodb:GetItem", table()),
        used("update-current-user", "dynamodb:PutItem", table()),
        used("update-current-user", "dynamodb:DeleteItem", table()),
        used("list-articles", "dynamodb:Query", LoggedResource::Index { table: "t".into(), index: "GSI3".into() }),
        used("list-articles", "dynamodb:Query", LoggedResource::Index { table: "t".into(), index: "GSI1".into() }),
        used("list-articles", "dynamodb:Query", table()),
    ];

    let violations = contract.violations(&log);

    assert_eq!(violations.len(), 2, "{violations:#?}");
    assert!(violations.iter().any(|violation| violation.contains(r#"Index("Table", "GSI1")"#)));
    assert!(violations.iter().any(|violation| violation.contains(r#"on Table("Table")"#)));
}

#[test]
fn a_grant_no_test_used_is_reported_unless_a_comment_says_why_it_is_needed() {
    let contract = Contract::from_template(TWO_FUNCTIONS);
    // Given a log where PUT /api/user never deleted anything and list-articles never read the secret
    let log = vec![
        used("update-current-user", "dynamodb:GetItem", table()),
        used("update-current-user", "dynamodb:PutItem", table()),
        used("list-articles", "dynamodb:Query", LoggedResource::Index { table: "t".into(), index: "GSI3".into() }),
    ];

    let violations = contract.violations(&log);

    // Then only the unexplained grant is reported
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(violations[0].starts_with("update-current-user is granted dynamodb:DeleteItem"));
}

#[test]
fn a_call_the_log_cannot_interpret_or_from_an_unknown_function_is_a_violation() {
    let contract = Contract::from_template(TWO_FUNCTIONS);
    let log = vec![
        used(
            "list-articles",
            "sesv2:SendEmail",
            LoggedResource::Unrecognised { service: "sesv2".into(), detail: "".into() },
        ),
        used("no-such-function", "dynamodb:GetItem", table()),
    ];

    let violations = contract.violations(&log);

    assert!(violations.iter().any(|violation| violation.contains("cannot interpret")));
    assert!(violations.iter().any(|violation| violation.contains("no-such-function is not a function")));
}

const A_MAILING_FUNCTION: &str = r#"
Parameters:
  MailSender:
    Type: String
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  RequestPasswordResetFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: request-password-reset
    Properties:
      Policies:
        - Statement:
            - Effect: Allow
              Action: ses:SendEmail
              Resource: !Sub "arn:aws:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailSender}"
  ListTagsFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
      BuildProperties:
        Binary: list-tags
    Properties:
      Policies:
        - Statement:
            # Not exercised by tests: reads the table.
            - Effect: Allow
              Action: dynamodb:Query
              Resource: !GetAtt Table.Arn
"#;

fn sent_from(sender: &str) -> LoggedResource {
    LoggedResource::EmailIdentity { identity: sender.to_owned() }
}

#[test]
fn mail_sent_from_a_test_sender_is_granted_by_send_email_on_the_mail_sender_identity() {
    // Given a function allowed ses:SendEmail on the identity in the MailSender parameter
    let contract = Contract::from_template(A_MAILING_FUNCTION);
    // When, in a test, it sends from a sender address of that test's own
    let log = vec![used("request-password-reset", "ses:SendEmail", sent_from("noreply-01abc@conduit.example"))];

    // Then the grant covers it, and counts as used
    assert_eq!(contract.violations(&log), Vec::<String>::new());
}

#[test]
fn mail_sent_by_a_function_without_the_grant_or_with_no_mail_sender_in_the_template_is_a_violation() {
    let contract = Contract::from_template(A_MAILING_FUNCTION);
    let without_parameter = Contract::from_template(TWO_FUNCTIONS);
    let log = vec![
        used("request-password-reset", "ses:SendEmail", sent_from("noreply@conduit.example")),
        used("list-tags", "ses:SendEmail", sent_from("noreply@conduit.example")),
    ];
    let stray = vec![used("list-articles", "ses:SendEmail", sent_from("noreply@conduit.example"))];

    let violations = contract.violations(&log);
    let unmapped = without_parameter.violations(&stray);

    assert_eq!(
        violations,
        vec![r#"list-tags uses ses:SendEmail on EmailIdentity("MailSender"), which its policy does not grant"#]
    );
    assert!(
        unmapped.iter().any(|violation| violation.contains("the template has no MailSender parameter")),
        "{unmapped:#?}"
    );
}

#[test]
fn the_real_template_is_understood_by_the_contract() {
    let contract = Contract::from_template(TEMPLATE);

    assert!(contract.policies.contains_key("update-current-user"));
    assert_eq!(contract.table, "Table");
}
