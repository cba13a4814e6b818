//! The certification ledger: every certificate a team's runs earned, kept in one file that can
//! be committed or kept as a CI artifact, and that a release gate reads (`mpcert gate`).
//!
//! **Format: JSON Lines**, one full certificate (exactly as the service issued it) a line, in
//! the order they were recorded. Recording a certificate appends one line and never touches the
//! others, so a diff of the ledger is one added line per certification, the existing entries
//! stay byte for byte what they were (fields a newer mpcert added included), and a problem is
//! named by its line. Blank lines are ignored.
//!
//! **Writing** ([`append`]) happens under the lock file `PATH.lock` ([`lock`]): the writer reads
//! the whole ledger, refuses to go on if any line is not a certificate (the ledger is never
//! rewritten silently, nor "repaired"), and writes the old bytes plus the new line to a
//! temporary file beside it, which it renames over the ledger. Readers never lock: they see the
//! ledger before or after an append, never half of one, and concurrent writers lose nothing.
//! Nothing ever removes an entry: a certification once recorded is never retracted.

pub mod lock;

use std::path::Path;
use std::time::Duration;

use crate::output::{OutputError, replace_atomically};
use crate::report::Certificate;

/// The Unix permissions of a new ledger (an existing one keeps its own).
const NEW_LEDGER_MODE: u32 = 0o644;

/// One recorded certificate and the line it is on.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its line in the ledger, from 1.
    pub line: usize,
    /// The certificate.
    pub certificate: Certificate,
}

/// A ledger could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file could not be read.
    #[error("cannot read the ledger {path}: {source}")]
    Read {
        /// The ledger.
        path: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a certificate (or the file is not UTF-8).
    #[error(
        "{path}:{line}{}: {message} (a ledger holds one certificate a line, JSON Lines; it was left as it is)",
        column.map(|c| format!(":{c}")).unwrap_or_default()
    )]
    Malformed {
        /// The ledger.
        path: String,
        /// The line, from 1.
        line: usize,
        /// The column, from 1, when known.
        column: Option<usize>,
        /// What is wrong with it.
        message: String,
    },
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// The new ledger could not be written; the old one is untouched.
    #[error("{0}: {source}", source = .0.source)]
    Write(#[from] OutputError),
    /// The certificate could not be serialized.
    #[error("cannot serialize the certificate: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl LedgerError {
    /// Whether the ledger itself is at fault (a malformed line), rather than the machine.
    pub fn is_malformed(&self) -> bool {
        matches!(self, LedgerError::Malformed { .. })
    }
}

/// Parses the text of the ledger at `path` (named in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, LedgerError> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let certificate = entry(line).map_err(|(column, message)| LedgerError::Malformed {
            path: path.display().to_string(),
            line: index + 1,
            column: Some(column),
            message,
        })?;
        entries.push(Entry {
            line: index + 1,
            certificate,
        });
    }
    Ok(entries)
}

/// One line's certificate, or what is wrong with it: its column and, for a bad field, where.
fn entry(line: &str) -> Result<Certificate, (usize, String)> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let certificate: Certificate =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let at = e.path().to_string();
            let place = match at.as_str() {
                "." | "?" => String::new(),
                _ => format!(" (at `{at}`)"),
            };
            problem(e.inner(), &format!("not a certificate{place}"))
        })?;
    deserializer
        .end()
        .map_err(|e| problem(&e, "more than one certificate on the line"))?;
    Ok(certificate)
}

/// The column and `what: the parser's message`, without its own `at line … column …`.
fn problem(error: &serde_json::Error, what: &str) -> (usize, String) {
    let text = error.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    (error.column(), format!("{what}: {message}"))
}

/// Reads the ledger at `path`; a missing file is an error.
pub fn read(path: &Path) -> Result<Vec<Entry>, LedgerError> {
    let bytes = std::fs::read(path).map_err(|source| LedgerError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(path, &utf8(path, bytes)?)
}

/// Checks the ledger at `path` before a run records into it: a missing one is fine (the first
/// certificate creates it), a malformed one is not.
pub fn check(path: &Path) -> Result<(), LedgerError> {
    match read(path) {
        Err(LedgerError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(())
        }
        other => other.map(drop),
    }
}

/// Appends `certificate` to the ledger at `path` (creating it), under its lock, waiting at most
/// `wait` for another writer; returns the line it is on. A malformed ledger is left untouched.
pub fn append(
    path: &Path,
    certificate: &Certificate,
    wait: Duration,
) -> Result<usize, LedgerError> {
    let line = serde_json::to_string(certificate)?;
    let _lock = lock::acquire(path, wait)?;
    let mut bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(LedgerError::Read {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let text = utf8(path, bytes.clone())?;
    parse(path, &text)?;
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    let number = bytes.iter().filter(|b| **b == b'\n').count() + 1;
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    replace_atomically(path, &bytes, NEW_LEDGER_MODE)?;
    Ok(number)
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, LedgerError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        LedgerError::Malformed {
            path: path.display().to_string(),
            line: valid.iter().filter(|b| **b == b'\n').count() + 1,
            column: None,
            message: "not UTF-8 text".to_string(),
        }
    })
}

#[cfg(test)]
mod tests;
