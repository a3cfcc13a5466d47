//! What `template.yaml` keeps about the key that signs every token: it outlives the stack, only
//! the functions that sign or verify may read it, and it is rotated on a schedule that never ends
//! a session early (docs/authentication.md).

use std::collections::BTreeSet;

use conduit_api_tests::template::{self, intrinsic};

/// The functions whose policies grant reading the signing key.
fn key_readers(template: &serde_norway::Value) -> BTreeSet<String> {
    template::functions(template)
        .into_iter()
        .filter(|function| {
            let statements = function.properties["Policies"].as_sequence().cloned().unwrap_or_default();
            statements.iter().flat_map(|policy| policy["Statement"].as_sequence().cloned().unwrap_or_default()).any(
                |statement| {
                    let actions = serde_norway::to_string(&statement["Action"]).unwrap_or_default();
                    actions.contains("secretsmanager:GetSecretValue")
                        && intrinsic(&statement["Resource"], "Ref") == Some("SigningSecret")
                },
            )
        })
        .map(|function| function.logical_id)
        .collect()
}

#[test]
fn the_signing_secret_outlives_the_stack_and_a_replacement() {
    let template = template::template();
    let secret = &template["Resources"]["SigningSecret"];

    assert_eq!(secret["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(secret["UpdateReplacePolicy"].as_str(), Some("Retain"));
}

#[test]
fn only_the_functions_that_sign_or_verify_may_read_the_key_whatever_else_the_account_grants() {
    let template = template::template();
    let readers = key_readers(&template);
    assert!(readers.contains("AuthorizerFunction") && readers.contains("LoginUserFunction"), "{readers:?}");
    let policy = &template["Resources"]["SigningSecretPolicy"];
    let properties = &policy["Properties"];
    let statements = properties["ResourcePolicy"]["Statement"].as_sequence().expect("statements");

    assert_eq!(policy["Type"].as_str(), Some("AWS::SecretsManager::ResourcePolicy"));
    assert_eq!(intrinsic(&properties["SecretId"], "Ref"), Some("SigningSecret"));
    assert_eq!(properties["BlockPublicPolicy"].as_bool(), Some(true));
    // One deny for every principal but the readers' roles: an explicit deny beats any allow an
    // administrator's identity policy has
    assert_eq!(statements.len(), 1);
    let deny = &statements[0];
    assert_eq!(deny["Effect"].as_str(), Some("Deny"));
    assert_eq!(deny["Principal"].as_str(), Some("*"));
    assert_eq!(deny["Action"].as_str(), Some("secretsmanager:GetSecretValue"));
    let excepted: BTreeSet<String> = deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"]
        .as_sequence()
        .expect("the excepted roles")
        .iter()
        .map(|role| intrinsic(role, "GetAtt").expect("!GetAtt <Function>Role.Arn").to_owned())
        .collect();
    let roles: BTreeSet<String> = readers.iter().map(|reader| format!("{reader}Role.Arn")).collect();
    assert_eq!(excepted, roles);
}
