//! Loading the catalogue: YAML text to a node tree with positions (`tree`, the only module that
//! names the YAML crate), then to the serde model one category header and one case at a time
//! (`de`), so that one bad case does not hide the problems of another, with every node's position
//! kept for validation (`positions`). Every problem carries its `file:line:column`; all files are
//! parsed and validated before anything is reported, and only a catalogue without problems is
//! built, ordered and digested.

mod de;
mod positions;
mod tree;

use std::path::Path;

use sha2::{Digest, Sha256};

use super::{Catalogue, CatalogueError, Category, LocatedCase, Location, Problem, model, validate};
pub use positions::Positions;
pub(super) use positions::join;
use tree::{Pos, Value};

/// The certification order of the known categories, after the mandatory ones.
pub const CANONICAL_ORDER: [&str; 6] = [
    "onboarding",
    "payments",
    "payments-with-restrictions",
    "prepared-payments",
    "prepared-payments-with-restrictions",
    "refunds",
];

/// One catalogue file turned into the model, with the positions of its nodes.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// The file as the user named it.
    pub file: String,
    /// The category and the cases that could be read (all of them when `complete`).
    pub model: model::CategoryFile,
    /// Positions of the nodes, with `cases[i]` indexing `model.cases`.
    pub positions: Positions,
    /// Position of each case of `model.cases` (its first key, normally `id`).
    pub case_locations: Vec<Location>,
    /// Whether every case of the file could be read into the model.
    pub complete: bool,
}

/// Parses one file; `Err` holds every problem found in it.
pub fn parse_file(file: &str, text: &str) -> Result<ParsedFile, Vec<Problem>> {
    match parse_partial(file, text) {
        (Some(parsed), problems) if problems.is_empty() => Ok(parsed),
        (_, mut problems) => {
            problems.sort();
            Err(problems)
        }
    }
}

/// Parses one file as far as possible: the model holds the header and every case that could be
/// read (none if the header could not), next to every problem found.
fn parse_partial(file: &str, text: &str) -> (Option<ParsedFile>, Vec<Problem>) {
    let parsed = tree::parse(text);
    let full = Positions::empty(file);
    let mut problems: Vec<Problem> = (parsed.problems.into_iter())
        .map(|(pos, message)| full.problem(pos, message))
        .collect();
    let Some(mut root) = parsed.root else {
        if problems.is_empty() {
            let message = "empty catalogue file: expected a mapping with `category` and `cases`";
            problems.push(full.problem(Pos::START, message));
        }
        return (None, problems);
    };
    let full = Positions::build(file, &root);
    let Value::Map(entries) = &mut root.value else {
        let message = "a catalogue file must be a mapping with `category` and `cases`";
        problems.push(full.problem(root.pos, message));
        return (None, problems);
    };
    for entry in entries
        .iter()
        .filter(|e| e.key != "category" && e.key != "cases")
    {
        let hint = validate::did_you_mean(&entry.key, &["category", "cases"]);
        let message = format!(
            "unknown field `{}`, expected `category` or `cases`{hint}",
            entry.key
        );
        problems.push(full.problem(entry.key_pos, message));
    }
    let header = match entries.iter().find(|e| e.key == "category") {
        Some(entry) => de::read(de::to_json(&entry.value), "category", &full, &mut problems),
        None => {
            problems.push(full.problem(
                root.pos,
                "missing the `category` header (id, title, summary)",
            ));
            None
        }
    };
    let mut cases = Vec::new();
    let mut complete = true;
    match entries.iter_mut().find(|e| e.key == "cases") {
        Some(entry) => match &mut entry.value.value {
            Value::Seq(items) => {
                let mut index = 0;
                items.retain(|item| {
                    let path = format!("cases[{index}]");
                    index += 1;
                    let read = de::read_case(item, &path, &full, &mut problems)
                        .map(|case| cases.push(case))
                        .is_some();
                    complete &= read;
                    read
                });
            }
            other => {
                let message = format!("`cases` must be a list of cases, found {}", kind(other));
                problems.push(full.problem(entry.value.pos, message));
                complete = false;
            }
        },
        None => {
            problems.push(full.problem(root.pos, "missing the `cases` list"));
            complete = false;
        }
    }
    let Some(category) = header else {
        return (None, problems);
    };
    // Rebuild the positions on the tree without the unreadable cases, so that `cases[i]`
    // addresses `model.cases[i]`.
    let positions = Positions::build(file, &root);
    let case_locations = (0..cases.len())
        .map(|i| positions.locate(&format!("cases[{i}]")))
        .collect();
    let parsed = ParsedFile {
        file: file.to_string(),
        model: model::CategoryFile { category, cases },
        positions,
        case_locations,
        complete,
    };
    (Some(parsed), problems)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null | Value::Refused => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Float(_) => "a number",
        Value::Str(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

/// Orders the files' categories: mandatory first, then [`CANONICAL_ORDER`], then by id.
pub fn catalogue_order(files: &[ParsedFile]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| {
        let header = &files[i].model.category;
        let rank = CANONICAL_ORDER.iter().position(|id| *id == header.id);
        (
            !header.mandatory,
            rank.unwrap_or(usize::MAX),
            header.id.clone(),
        )
    });
    order
}

/// Loads a catalogue from (display name, text) pairs, reporting every problem of every file.
pub fn load_files(files: &[(String, String)]) -> Result<Catalogue, CatalogueError> {
    let mut problems = Vec::new();
    let mut parsed = Vec::new();
    let mut complete = true;
    for (name, text) in files {
        let (file, found) = parse_partial(name, text);
        problems.extend(found);
        complete &= file.as_ref().is_some_and(|f| f.complete);
        parsed.extend(file);
    }
    if files.is_empty() {
        problems.push(Problem {
            location: Location {
                file: "<catalogue>".to_string(),
                line: 1,
                column: 1,
            },
            message: "no catalogue files".to_string(),
        });
    }
    problems.extend(validate::validate_partial(&parsed, complete));
    problems.sort();
    problems.dedup();
    if !problems.is_empty() {
        return Err(CatalogueError { problems });
    }
    let order = catalogue_order(&parsed);
    let mut slots: Vec<Option<ParsedFile>> = parsed.into_iter().map(Some).collect();
    let categories = (order.iter())
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .map(|file| Category {
            header: file.model.category,
            cases: (file.model.cases.into_iter())
                .zip(file.case_locations)
                .map(|(case, location)| LocatedCase { case, location })
                .collect(),
            file: file.file,
        })
        .collect();
    Ok(Catalogue {
        categories,
        digest: digest(files),
        sources: files.to_vec(),
    })
}

/// Hex SHA-256 over the files sorted by name, each as name, NUL, text, NUL.
fn digest(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (name, text) in sorted {
        for part in [name.as_bytes(), b"\0", text.as_bytes(), b"\0"] {
            hasher.update(part);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Why a catalogue directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The directory could not be listed.
    #[error("cannot read catalogue directory {path}")]
    Io {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A catalogue file could not be read.
    #[error("cannot read catalogue file {path}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The directory holds no `*.yaml`/`*.yml` file.
    #[error("no catalogue files (*.yaml) in {path}")]
    Empty {
        /// The directory.
        path: String,
    },
    /// The files were read but the catalogue is invalid.
    #[error(transparent)]
    Invalid(#[from] CatalogueError),
}

/// Loads every `*.yaml`/`*.yml` file of `dir` (not recursive, sorted by name).
pub fn load_dir(dir: &Path) -> Result<Catalogue, LoadError> {
    let dir_error = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(dir_error)? {
        let entry = entry.map_err(dir_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if yaml && entry.path().is_file() {
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(LoadError::Empty {
            path: dir.display().to_string(),
        });
    }
    names.sort();
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let path = dir.join(&name);
        let display = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((display, text)),
            Err(source) => {
                return Err(LoadError::File {
                    path: display,
                    source,
                });
            }
        }
    }
    Ok(load_files(&files)?)
}

#[cfg(test)]
mod tests;
