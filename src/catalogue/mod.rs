//! The case catalogue: the YAML model, loading with `file:line:column` positions, semantic
//! validation that reports every problem at once, and the built-in catalogue compiled into the
//! binary. A loaded [`Catalogue`] is immutable and ordered: categories in certification order,
//! cases in file order.

pub mod builtin;
pub mod load;
pub mod model;
pub mod remote;
pub mod validate;

use std::fmt;

pub use model::{Case, CategoryHeader, Operation, Step};

/// A position in a catalogue file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file as the user named it (built-in files are `cases/<name>.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem found in a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// Where it is.
    pub location: Location,
    /// What is wrong, lowercase, one line.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Every problem of an invalid catalogue, sorted by file, line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogueError {
    /// The problems, at least one.
    pub problems: Vec<Problem>,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(
            f,
            "invalid catalogue: {count} problem{}",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

/// A loaded, validated catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// Categories in certification order (mandatory first).
    pub categories: Vec<Category>,
    /// SHA-256 over every file's name and content, hex.
    pub digest: String,
    /// The files it was loaded from, as (display name, text), so it can be handed on whole.
    pub sources: Vec<(String, String)>,
}

/// A category with the positions of its cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    /// The header from the file.
    pub header: CategoryHeader,
    /// The file it came from.
    pub file: String,
    /// The cases in file order.
    pub cases: Vec<LocatedCase>,
}

/// A case and where it starts in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedCase {
    /// The case.
    pub case: Case,
    /// Position of the case's `id` key (its list item).
    pub location: Location,
}

impl Catalogue {
    /// Finds a category by id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.header.id == id)
    }
}

impl Category {
    /// Finds a case by id.
    pub fn case(&self, id: &str) -> Option<&LocatedCase> {
        self.cases.iter().find(|c| c.case.id == id)
    }
}
