//! Architecture rules that the compiler alone does not enforce.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
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

/// The modules of one crate's `src` (`lib.rs` or `main.rs` is `crate`, `a/mod.rs` is `a`, `a/b.rs`
/// is `a::b`) and, for each, the other modules its code (not its comments, not its tests) names
/// through `crate::` or `super::`.
fn module_imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                files.push(path);
            }
        }
    }
    let module_of = |path: &Path| {
        let relative = path.strip_prefix(src).expect("inside src").with_extension("");
        let parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
        let parts = match parts.split_last() {
            Some((last, parent)) if ["mod", "lib", "main"].contains(&last.as_str()) => parent.to_vec(),
            _ => parts,
        };
        if parts.is_empty() { "crate".to_owned() } else { parts.join("::") }
    };
    let modules: BTreeSet<String> = files.iter().map(|path| module_of(path)).collect();
    let mut imports = BTreeMap::new();
    for path in &files {
        let module = module_of(path);
        let text = std::fs::read_to_string(path).expect("a source file");
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let parent = module.rsplit_once("::").map_or("", |(parent, _)| parent).to_owned();
        let mut named = BTreeSet::new();
        for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
            for (at, _) in code.match_indices(prefix) {
                let path: String = code[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut parts: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
                // The longest prefix of the path that names a module of the crate.
                while !parts.is_empty() {
                    let joined = parts.join("::");
                    let candidate = if base.is_empty() { joined } else { format!("{base}::{joined}") };
                    if modules.contains(&candidate) {
                        let nested = candidate.starts_with(&format!("{module}::"))
                            || module.starts_with(&format!("{candidate}::"));
                        if candidate != module && !nested {
                            named.insert(candidate);
                        }
                        break;
                    }
                    parts.pop();
                }
            }
        }
        imports.insert(module, named);
    }
    imports
}

/// The modules of `imports` that reach themselves again through other modules' imports.
fn modules_in_cycles(imports: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&String> = imports[from].iter().collect();
        while let Some(module) = pending.pop() {
            if seen.insert(module.clone()) {
                pending.extend(imports.get(module).into_iter().flatten());
            }
        }
        seen
    };
    imports.keys().filter(|module| reaches(module).contains(*module)).cloned().collect()
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    // Given every crate of the workspace (each `src` under shared/, functions/, infra/, tests/)
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf();
    let mut sources: Vec<PathBuf> = ["shared", "functions", "infra"]
        .iter()
        .flat_map(|group| std::fs::read_dir(root.join(group)).into_iter().flatten().flatten())
        .map(|entry| entry.path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.push(root.join("tests/src"));
    assert!(sources.len() > 30, "found {} crates", sources.len());

    // When each crate's modules and what they import are read
    let cycles: Vec<String> = sources
        .iter()
        .filter_map(|src| {
            let cyclic = modules_in_cycles(&module_imports(src));
            (!cyclic.is_empty()).then(|| format!("{}: {}", src.display(), cyclic.join(", ")))
        })
        .collect();

    // Then no module reaches itself through the modules it imports
    assert!(cycles.is_empty(), "modules in an import cycle:\n{}", cycles.join("\n"));
}
