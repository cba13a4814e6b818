//! `--version-from FILE`: the version a project declares, read from its manifest, chosen by the
//! file's name — `Cargo.toml`, `package.json`, `pyproject.toml`, a `.csproj` (or `.fsproj`,
//! `.vbproj`), `pom.xml`, `build.gradle`/`build.gradle.kts`, or a plain `VERSION` file
//! (also `VERSION.txt`, `version.txt`). Every error names the file, and the line where there is
//! one; a manifest that declares no version of its own (inherited from a workspace or a parent,
//! computed by a build plugin) says so rather than guessing.

mod gradle;
mod toml;
mod xml;

use std::path::Path;

use super::version::Version;

/// The kinds of manifest `--version-from` reads, as its errors list them.
pub const KINDS: &str = "Cargo.toml, package.json, pyproject.toml, *.csproj, pom.xml, build.gradle, build.gradle.kts or a plain VERSION file";

/// A manifest's version could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("--version-from: cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no usable version.
    #[error("--version-from: {place}: {message}")]
    Invalid {
        /// `file` or `file:line`.
        place: String,
        /// What is wrong.
        message: String,
    },
}

/// A version read from a manifest, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The version.
    pub version: Version,
    /// `file:line` (or `file`) it was read at.
    pub place: String,
}

/// What a manifest declares: the version's text and its line, if known.
type Declared = (String, Option<usize>);

/// A problem in a manifest, at a line if known.
type Problem = (Option<usize>, String);

/// Reads what one kind of manifest declares.
type Reader = fn(&str) -> Result<Declared, Problem>;

/// Reads the version the manifest at `path` declares.
pub fn read_version(path: &Path) -> Result<Found, ManifestError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let invalid = |(line, message): Problem| ManifestError::Invalid {
        place: place(path, line),
        message,
    };
    let Some(read) = reader(&name) else {
        return Err(invalid((
            None,
            format!(
                "mpcert cannot tell which version a file named `{name}` declares; it reads {KINDS}"
            ),
        )));
    };
    let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let (declared, line) = read(&text).map_err(invalid)?;
    let version = Version::parse(declared.trim()).map_err(|e| invalid((line, e)))?;
    Ok(Found {
        version,
        place: place(path, line),
    })
}

/// The reader of a manifest by its file name.
fn reader(name: &str) -> Option<Reader> {
    let extension = name.rsplit_once('.').map(|(_, e)| e);
    Some(match name {
        "Cargo.toml" => toml::cargo,
        "pyproject.toml" => toml::pyproject,
        "package.json" => package_json,
        "pom.xml" => xml::pom,
        "build.gradle" | "build.gradle.kts" => gradle::version,
        "VERSION" | "VERSION.txt" | "version.txt" => plain,
        _ if matches!(extension, Some("csproj" | "fsproj" | "vbproj")) => xml::msbuild,
        _ => return None,
    })
}

fn place(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

/// The line (from 1) of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// `package.json`: the top-level `version`.
fn package_json(text: &str) -> Result<Declared, Problem> {
    let document: serde_json::Value =
        serde_json::from_str(text).map_err(|e| (Some(e.line()), format!("not JSON: {e}")))?;
    match document.get("version") {
        Some(serde_json::Value::String(version)) => {
            let quoted = format!("\"{version}\"");
            let line = (text
                .lines()
                .position(|l| l.contains("\"version\"") && l.contains(&quoted)))
            .map(|index| index + 1);
            Ok((version.clone(), line))
        }
        Some(other) => Err((None, format!("`version` is {other}, not a string"))),
        None => Err((None, "holds no top-level `version`".to_string())),
    }
}

/// A plain `VERSION` file: one line holding the version.
fn plain(text: &str) -> Result<Declared, Problem> {
    let mut lines = (text.lines().enumerate()).filter(|(_, l)| !l.trim().is_empty());
    match (lines.next(), lines.next()) {
        (Some((index, line)), None) => Ok((line.trim().to_string(), Some(index + 1))),
        (None, _) => Err((
            None,
            "is empty; it should hold the version, e.g. 2.4.0".to_string(),
        )),
        (Some(_), Some((index, _))) => Err((
            Some(index + 1),
            "a VERSION file holds one line, the version; this one has more".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests;
