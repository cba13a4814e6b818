//! The TOML manifests: `Cargo.toml` (`[package] version`, or `[workspace.package] version` for
//! a workspace root and for a package that inherits it with `version.workspace = true`) and
//! `pyproject.toml` (`[project] version`, else `[tool.poetry] version`).

use serde::Deserialize;
use toml::{Spanned, Value};

use super::{Declared, Problem, line_at};

/// A `version` key, wherever it is.
#[derive(Debug, Default, Deserialize)]
struct VersionKey {
    version: Option<Spanned<Value>>,
}

#[derive(Debug, Deserialize)]
struct Cargo {
    package: Option<VersionKey>,
    workspace: Option<CargoWorkspace>,
}

#[derive(Debug, Deserialize)]
struct CargoWorkspace {
    package: Option<VersionKey>,
}

#[derive(Debug, Deserialize)]
struct Pyproject {
    project: Option<PyprojectProject>,
    tool: Option<PyprojectTool>,
}

#[derive(Debug, Deserialize)]
struct PyprojectProject {
    version: Option<Spanned<Value>>,
    #[serde(default)]
    dynamic: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PyprojectTool {
    poetry: Option<VersionKey>,
}

fn parse<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, Problem> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|span| line_at(text, span.start));
        (line, format!("not TOML: {}", e.message()))
    })
}

/// The string a `version` key holds, with its line.
fn string(text: &str, key: &Spanned<Value>, name: &str) -> Result<Declared, Problem> {
    let line = Some(line_at(text, key.span().start));
    match key.get_ref() {
        Value::String(version) => Ok((version.clone(), line)),
        other => Err((
            line,
            format!("{name} is a {}, not a string", other.type_str()),
        )),
    }
}

/// `Cargo.toml`.
pub(super) fn cargo(text: &str) -> Result<Declared, Problem> {
    let manifest: Cargo = parse(text)?;
    let workspace = (manifest.workspace.and_then(|w| w.package)).and_then(|p| p.version);
    match manifest.package {
        Some(VersionKey { version: Some(key) }) => {
            let inherits = matches!(key.get_ref(), Value::Table(t) if t.get("workspace") == Some(&Value::Boolean(true)));
            match (inherits, &workspace) {
                (false, _) => string(text, &key, "[package] version"),
                (true, Some(inherited)) => string(text, inherited, "[workspace.package] version"),
                (true, None) => Err((
                    Some(line_at(text, key.span().start)),
                    "the package inherits its version from its workspace (version.workspace = true): point --version-from at the workspace root's Cargo.toml".to_string(),
                )),
            }
        }
        Some(VersionKey { version: None }) => Err((
            None,
            "[package] has no version (Cargo then uses 0.0.0)".to_string(),
        )),
        None => match &workspace {
            Some(key) => string(text, key, "[workspace.package] version"),
            None => Err((
                None,
                "holds no version: neither [package] version nor [workspace.package] version"
                    .to_string(),
            )),
        },
    }
}

/// `pyproject.toml`.
pub(super) fn pyproject(text: &str) -> Result<Declared, Problem> {
    let manifest: Pyproject = parse(text)?;
    let poetry = (manifest.tool.and_then(|t| t.poetry)).and_then(|p| p.version);
    let (project, dynamic) = match manifest.project {
        Some(project) => (
            project.version,
            project.dynamic.iter().any(|d| d == "version"),
        ),
        None => (None, false),
    };
    match (project, poetry) {
        (Some(key), _) => string(text, &key, "[project] version"),
        (None, Some(key)) => string(text, &key, "[tool.poetry] version"),
        (None, None) if dynamic => Err((
            None,
            "[project] version is dynamic (the build backend computes it): give the version with --version".to_string(),
        )),
        (None, None) => Err((
            None,
            "holds no version: neither [project] version nor [tool.poetry] version".to_string(),
        )),
    }
}
