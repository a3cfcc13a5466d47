//! What `template.yaml` keeps about the key that signs every token: it outlives the stack, only
//! the functions that sign or verify may read it, and it is rotated on a schedule that never ends
//! a session early (docs/authentication.md).

use std::collections::BTreeSet;
use std::time::Duration;

use conduit_api_tests::template::{self, intrinsic};
use conduit_bootstrap::{DEFAULT_KEY_CACHE_TTL, MAX_TOKEN_LIFETIME};

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

#[test]
fn the_key_rotates_on_a_schedule_further_apart_than_any_token_lives_and_not_on_a_stack_update() {
    let template = template::template();
    let rotation = &template["Resources"]["SigningKeyRotation"];
    let properties = &rotation["Properties"];
    let parameter = &template["Parameters"]["SigningKeyRotationSchedule"];
    let pattern = regex::Regex::new(parameter["AllowedPattern"].as_str().expect("a pattern")).expect("a regex");
    let accepted_days: Vec<u64> = (1..=1000).filter(|days| pattern.is_match(&format!("rate({days} days)"))).collect();

    assert_eq!(rotation["Type"].as_str(), Some("AWS::SecretsManager::RotationSchedule"));
    assert_eq!(intrinsic(&properties["SecretId"], "Ref"), Some("SigningSecret"));
    assert_eq!(intrinsic(&properties["RotationLambdaARN"], "GetAtt"), Some("RotateSigningKeyFunction.Arn"));
    assert_eq!(
        intrinsic(&properties["RotationRules"]["ScheduleExpression"], "Ref"),
        Some("SigningKeyRotationSchedule")
    );
    // A stack update must not rotate: with the next scheduled rotation it could retire a key
    // sooner than the tokens it signed expire
    assert_eq!(properties["RotateImmediatelyOnUpdate"].as_bool(), Some(false));
    // Secrets Manager may rotate at any hour of the scheduled day, so two rotations can be a day
    // less apart than the schedule says; a token must outlive neither its key nor the key before
    let shortest = accepted_days.first().copied().expect("some schedule is accepted");
    let closest_rotations = Duration::from_secs((shortest - 1) * 24 * 60 * 60);
    assert!(closest_rotations > MAX_TOKEN_LIFETIME + DEFAULT_KEY_CACHE_TTL, "rate({shortest} days) is accepted");
    assert_eq!(parameter["Default"].as_str(), Some("rate(30 days)"));
    assert!(accepted_days.contains(&30) && accepted_days.contains(&999));
    assert!(!pattern.is_match("rate(1 day)") && !pattern.is_match("cron(0 0 * * ? *)"));
}

#[test]
fn secrets_manager_may_invoke_the_rotation_function_for_this_account_only() {
    let template = template::template();
    let permission = &template["Resources"]["RotateSigningKeyPermission"]["Properties"];
    let rotation = &template["Resources"]["SigningKeyRotation"];

    assert_eq!(intrinsic(&permission["FunctionName"], "GetAtt"), Some("RotateSigningKeyFunction.Arn"));
    assert_eq!(permission["Principal"].as_str(), Some("secretsmanager.amazonaws.com"));
    assert_eq!(intrinsic(&permission["SourceAccount"], "Ref"), Some("AWS::AccountId"));
    // Secrets Manager checks the permission when the schedule is created
    assert_eq!(rotation["DependsOn"].as_str(), Some("RotateSigningKeyPermission"));
}
