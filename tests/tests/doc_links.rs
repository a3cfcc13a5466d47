//! The documentation set holds together: the README, `docs/`, `infra/README.md`, the crates'
//! READMEs and the bench's reports link to each other, and every link between them leads
//! somewhere. A relative link names a file or directory of the repository; a link with a
//! `#fragment` into a Markdown file names one of its headings, by GitHub's anchor for it.
//! The README stays short enough to read first.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// Directories that hold no documentation of ours: build output, installed tools, other
/// projects' packages, git's own files, SAM's build directory, local state.
const SKIPPED_DIRECTORIES: [&str; 6] = ["target", ".tools", "node_modules", ".git", ".aws-sam", ".local"];

/// The most lines the README may have: what a newcomer reads first, the rest one link away.
const README_MAX_LINES: usize = 300;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the tests crate sits in the workspace").to_path_buf()
}

/// Every Markdown file of the repository, outside the skipped directories, sorted.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let entries = fs::read_dir(&directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !SKIPPED_DIRECTORIES.contains(&name) {
                    pending.push(path);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The lines of a Markdown file that are prose: fenced code blocks (``` or ~~~) become empty
/// lines, so that line numbers stay those of the file and nothing in code counts as a link or
/// a heading.
fn prose_lines(text: &str) -> Vec<String> {
    let mut fence: Option<(char, usize)> = None;
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
            let run = marker.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
            match (fence, marker) {
                (None, Some(c)) if run >= 3 => {
                    fence = Some((c, run));
                    String::new()
                }
                (Some((c, opened)), Some(m)) if m == c && run >= opened && trimmed.trim_end().len() == run => {
                    fence = None;
                    String::new()
                }
                (Some(_), _) => String::new(),
                (None, _) => line.to_owned(),
            }
        })
        .collect()
}

/// The line without its inline code spans (`` `...` ``), which show Markdown rather than link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => {
                out.push_str(&" ".repeat(ticks * 2 + end));
                rest = &after[end + ticks..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The destinations of the line's inline links and images (`[text](dest "title")`) and of a
/// link reference definition (`[name]: dest`).
fn link_destinations(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut destinations = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(end) = trimmed.find(']').filter(|end| trimmed[end + 1..].starts_with(':'))
        && let Some(destination) = trimmed[end + 2..].split_whitespace().next()
    {
        destinations.push(destination.trim_matches(|c| c == '<' || c == '>').to_owned());
    }
    let mut rest = line.as_str();
    while let Some(start) = rest.find("](") {
        let after = &rest[start + 2..];
        let mut depth = 0usize;
        let mut end = after.len();
        for (index, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = index;
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let inside = after[..end].trim();
        let destination = if let Some(angled) = inside.strip_prefix('<') {
            angled.split('>').next().unwrap_or_default()
        } else {
            inside.split_whitespace().next().unwrap_or_default()
        };
        if !destination.is_empty() {
            destinations.push(destination.to_owned());
        }
        rest = &after[end.min(after.len())..];
    }
    destinations
}

/// The text a heading renders to: code spans, links and emphasis markers give their content.
fn heading_text(raw: &str) -> String {
    let mut text = String::new();
    let mut rest = raw;
    // [label](destination) renders as its label
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|at| open + at) else { break };
        let Some(end) = rest[close..].find(')').map(|at| close + at) else { break };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    text.chars().filter(|c| *c != '`' && *c != '*').collect()
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_` kept, spaces made
/// `-`, everything else dropped.
fn slug(heading: &str) -> String {
    heading_text(heading)
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a Markdown file's headings give, a repeated heading's with GitHub's `-1`, `-2`...
fn anchors(text: &str) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = Vec::new();
    for line in prose_lines(text) {
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&level) || !trimmed[level..].starts_with(' ') {
            continue;
        }
        let title = trimmed[level..].trim().trim_end_matches('#').trim();
        let base = slug(title);
        let count = seen.entry(base.clone()).or_insert(0);
        anchors.push(if *count == 0 { base.clone() } else { format!("{base}-{count}") });
        *count += 1;
    }
    anchors
}

/// `%20` and the like, as a browser decodes them in a path.
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes.get(index + 1..index + 3).and_then(|pair| std::str::from_utf8(pair).ok());
        match (bytes[index], hex.and_then(|pair| u8::from_str_radix(pair, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The path a relative link names, from the directory of the file it is in; `None` when it
/// climbs out of the repository.
fn resolve(root: &Path, file: &Path, target: &str) -> Option<PathBuf> {
    let start = if target.starts_with('/') { root.to_path_buf() } else { file.parent()?.to_path_buf() };
    let mut resolved = start;
    for component in Path::new(target.trim_start_matches('/')).components() {
        match component {
            // `..` climbs one directory (the guard pops it), never out of the repository
            Component::ParentDir if !resolved.pop() || !resolved.starts_with(root) => return None,
            Component::Normal(part) => resolved.push(part),
            _ => {}
        }
    }
    Some(resolved)
}

fn is_external(destination: &str) -> bool {
    let lower = destination.to_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
}

/// Every broken link of the documentation set, as `file:line: destination: why`.
fn broken_links(root: &Path) -> Vec<String> {
    let files = markdown_files(root);
    let mut anchors_of: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        anchors_of.insert(file.clone(), anchors(&text));
    }
    let mut broken = Vec::new();
    for file in &files {
        let shown = file.strip_prefix(root).unwrap_or(file).display().to_string();
        let text = fs::read_to_string(file).expect("read above");
        for (number, line) in prose_lines(&text).iter().enumerate() {
            for destination in link_destinations(line) {
                if is_external(&destination) {
                    continue;
                }
                let (path, fragment) = match destination.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (destination.as_str(), None),
                };
                let path = percent_decoded(path);
                let target = if path.is_empty() { Some(file.clone()) } else { resolve(root, file, &path) };
                let place = format!("{shown}:{}: ({destination})", number + 1);
                let Some(target) = target else {
                    broken.push(format!("{place}: leads out of the repository"));
                    continue;
                };
                if !target.exists() {
                    broken.push(format!(
                        "{place}: no file or directory {}",
                        target.strip_prefix(root).unwrap_or(&target).display()
                    ));
                    continue;
                }
                let Some(fragment) = fragment.filter(|fragment| !fragment.is_empty()) else { continue };
                let Some(anchors) = anchors_of.get(&target) else {
                    // a fragment into a file that is not Markdown (a line of code, say) is not checked
                    continue;
                };
                let wanted = percent_decoded(fragment).to_lowercase();
                if !anchors.contains(&wanted) {
                    broken.push(format!("{place}: no heading with the anchor #{wanted}"));
                }
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_between_the_documents_leads_to_a_file_and_a_heading_that_exist() {
    // Given every Markdown file of the repository (build output and installed tools aside)
    let root = workspace_root();
    assert!(root.join("README.md").is_file(), "the workspace root is {}", root.display());

    // When each inline link, image and link definition outside code is followed from its file
    let broken = broken_links(&root);

    // Then each names a file or directory that exists, and each #fragment into Markdown a heading
    assert!(broken.is_empty(), "{} broken link(s):\n{}", broken.len(), broken.join("\n"));
}

#[test]
fn the_readme_is_short_enough_to_read_first() {
    // Given the README a newcomer opens
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README.md");

    // When its lines are counted
    let lines = readme.lines().count();

    // Then there are at most README_MAX_LINES: depth belongs in docs/ and beside the code
    assert!(lines <= README_MAX_LINES, "README.md has {lines} lines; at most {README_MAX_LINES}");
}

#[test]
fn every_document_of_docs_is_listed_in_its_index_and_in_the_readme() {
    // Given the documents of docs/ and the two lists that lead to them
    let root = workspace_root();
    let index = fs::read_to_string(root.join("docs/README.md")).expect("docs/README.md");
    let readme = fs::read_to_string(root.join("README.md")).expect("README.md");
    let documents: Vec<String> = markdown_files(&root.join("docs"))
        .iter()
        .filter_map(|path| path.file_name().and_then(|name| name.to_str()).map(str::to_owned))
        .filter(|name| name != "README.md")
        .collect();
    assert!(!documents.is_empty(), "docs/ holds no document");

    // When each list's links are read
    let linked =
        |text: &str| -> Vec<String> { prose_lines(text).iter().flat_map(|line| link_destinations(line)).collect() };
    let (in_index, in_readme) = (linked(&index), linked(&readme));

    // Then each document is linked from both
    let missing: Vec<String> = documents
        .iter()
        .flat_map(|name| {
            let from_index = in_index.iter().any(|link| link.split('#').next() == Some(name.as_str()));
            let from_readme =
                in_readme.iter().any(|link| link.split('#').next() == Some(format!("docs/{name}").as_str()));
            [
                (!from_index).then(|| format!("docs/README.md does not link {name}")),
                (!from_readme).then(|| format!("README.md does not link docs/{name}")),
            ]
        })
        .flatten()
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn headings_get_githubs_anchors() {
    // Given headings as they are written in these documents
    let cases = [
        ("Failing well: time budgets, 500 versus 503", "failing-well-time-budgets-500-versus-503"),
        ("Benchmark: `infra/bench.sh`", "benchmark-infrabenchsh"),
        ("Work that follows a write: the table's change stream", "work-that-follows-a-write-the-tables-change-stream"),
        ("What AWS enforces that local runs cannot see", "what-aws-enforces-that-local-runs-cannot-see"),
        ("The [repository](shared/repository/README.md) design", "the-repository-design"),
        ("snake_case and hyphen-ated", "snake_case-and-hyphen-ated"),
    ];

    // When each is turned into its anchor
    // Then it is the anchor GitHub gives it
    for (heading, expected) in cases {
        assert_eq!(slug(heading), expected, "{heading}");
    }
    // And a repeated heading gets a numbered anchor, as on GitHub
    assert_eq!(anchors("# Notes\n## Notes\n```\n# not a heading\n```\n### Notes\n"), ["notes", "notes-1", "notes-2"]);
}
