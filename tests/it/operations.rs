//! Every operation of the official OpenAPI document is served and exercised: the table in
//! `docs/operations.md` lists each operation with the tests that name it, found by reading the
//! project's test functions. The test fails when an operation has no integration test over HTTP,
//! when the service knows an operation the document does not, or when the table is stale (run it
//! with `MPCERT_BLESS=1` to write it anew).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mpcert::pos::Endpoint;
use mpcert::pos::usersim::UserSimulation;

use crate::openapi::spec;

/// One operation of the document, and what a test body says when it exercises it.
struct Operation {
    id: String,
    method: String,
    path: String,
    marks: Vec<String>,
}

/// The operations of the document, in its order, each matched to the service's name for it.
fn operations() -> Vec<Operation> {
    let spec = spec();
    let mut found = Vec::new();
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    for (path, methods) in paths {
        for (method, operation) in methods.as_object().cloned().unwrap_or_default() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let marks = match Endpoint::ALL.iter().find(|e| e.operation_id() == id) {
                Some(endpoint) => vec![format!("Endpoint::{endpoint:?}")],
                None => {
                    let simulation = UserSimulation::ALL
                        .iter()
                        .find(|s| s.operation_id() == id)
                        .unwrap_or_else(|| panic!("the service does not serve {id}"));
                    vec![
                        format!("UserSimulation::{simulation:?}"),
                        format!("\"{}\"", simulation.segment()),
                        format!("/{}", simulation.segment()),
                    ]
                }
            };
            found.push(Operation {
                id,
                method: method.to_uppercase(),
                path: path.clone(),
                marks,
            });
        }
    }
    found
}

/// Every `.rs` file below `dir`, sorted.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The end of the block that opens at or after `start`: braces inside string and character
/// literals are skipped.
fn block_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut in_string) = (0usize, start, false);
    while i < bytes.len() {
        match (bytes[i], in_string) {
            (b'\\', true) => i += 1,
            (b'"', _) => in_string = !in_string,
            (b'\'', false) if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            (b'{', false) => depth += 1,
            (b'}', false) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// A function found in the project's sources.
struct Function {
    /// The file, relative to the project.
    file: String,
    /// Its name, marked `(helper)` when it is not itself a test.
    name: String,
    /// Its text.
    body: String,
}

/// The test functions of `src/`, and every function of `tests/` (tests and the helpers they
/// drive the service through).
fn functions() -> Vec<Function> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in sources(&root.join("tests"))
        .into_iter()
        .chain(sources(&root.join("src")))
    {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let relative = file
            .strip_prefix(root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let helpers_count = relative.starts_with("tests/");
        let mut offset = 0;
        while let Some(at) = text[offset..].find("fn ") {
            let start = offset + at;
            offset = start + 3;
            let preceded = text[..start].chars().last().is_none_or(char::is_whitespace);
            if !preceded {
                continue;
            }
            let before = &text[..start];
            let attributes = before.rfind('}').map_or(before, |brace| &before[brace..]);
            let is_test = attributes.contains("#[test]") || attributes.contains("#[tokio::test");
            if !is_test && !helpers_count {
                continue;
            }
            let name: String = text[start + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let end = block_end(&text, start);
            found.push(Function {
                file: relative.clone(),
                name: if is_test {
                    name
                } else {
                    format!("{name} (helper)")
                },
                body: text[start..end].to_string(),
            });
        }
    }
    found
}

/// The generated `docs/operations.md`.
fn table(rows: &[(Operation, Vec<String>, Vec<String>)]) -> String {
    let mut out = String::from(
        "# Operations of the official document and the tests that exercise them\n\n\
         Generated by the integration test `operations` from `spec/mobilepay-pos-v10.openapi.yaml`\n\
         and the project's test functions (a test exercises an operation when its body names it);\n\
         do not edit by hand (run `MPCERT_BLESS=1 cargo test --locked --test it operations`).\n\
         Besides these, `tests/it/openapi.rs` validates every request and answer of a full run,\n\
         of the refund operations, of the prepared flow and of the user simulation against the\n\
         document, and `tests/it/error_codes.rs` provokes every error code over HTTP.\n\n\
         | operation | method and path | integration tests (HTTP) | unit tests |\n\
         |---|---|---|---|\n",
    );
    for (operation, integration, unit) in rows {
        let list = |tests: &[String]| {
            if tests.is_empty() {
                "—".to_string()
            } else {
                tests
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out.push_str(&format!(
            "| `{}` | `{} {}` | {} | {} |\n",
            operation.id,
            operation.method,
            operation.path,
            list(integration),
            list(unit)
        ));
    }
    out
}

#[test]
fn every_operation_of_the_document_is_served_and_exercised_over_http() {
    let operations = operations();
    assert_eq!(
        operations.len(),
        Endpoint::ALL.len() + UserSimulation::ALL.len(),
        "the document and the service disagree on the operations"
    );
    let functions = functions();
    let mut rows = Vec::new();
    for operation in operations {
        let mut integration = BTreeSet::new();
        let mut unit = BTreeSet::new();
        for function in &functions {
            if operation
                .marks
                .iter()
                .any(|m| function.body.contains(m.as_str()))
            {
                let label = format!(
                    "{}::{}",
                    function.file.trim_end_matches(".rs"),
                    function.name
                );
                if function.file.starts_with("tests/") {
                    integration.insert(label);
                } else {
                    unit.insert(label);
                }
            }
        }
        assert!(
            !integration.is_empty(),
            "{} is exercised by no integration test over HTTP",
            operation.id
        );
        rows.push((
            operation,
            integration.into_iter().collect(),
            unit.into_iter().collect(),
        ));
    }
    let generated = table(&rows);
    crate::support::assert_generated(
        "docs/operations.md",
        &generated,
        "cargo test --locked --test it operations",
    );
}
