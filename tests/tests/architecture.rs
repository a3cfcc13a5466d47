//! Architecture rules that the compiler alone does not enforce.

use std::process::Command;

/// Every crate the domain links, directly or not (normal dependencies only).
fn domain_dependency_tree() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--package", "conduit-domain", "--edges", "normal", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_domain_knows_nothing_of_aws_lambda_or_http() {
    let crates = domain_dependency_tree();

    assert!(crates.contains(&"conduit-domain".to_owned()), "{crates:?}");
    let forbidden: Vec<&String> = crates
        .iter()
        .filter(|name| {
            ["aws-", "aws_", "lambda", "http", "hyper", "tokio", "serde_dynamo"].iter().any(|p| name.starts_with(p))
        })
        .collect();
    assert!(forbidden.is_empty(), "the domain depends on {forbidden:?}");
}
