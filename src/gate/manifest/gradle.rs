//! `build.gradle` and `build.gradle.kts`: the first `version = "…"` (Kotlin or Groovy),
//! `version '…'` or `version "…"` statement, also as `project.version`. Gradle can take its
//! version from anywhere (`gradle.properties`, a plugin); a build file without such a line says
//! so.

use super::{Declared, Problem};

/// The version a Gradle build file sets.
pub(super) fn version(text: &str) -> Result<Declared, Problem> {
    (text.lines().enumerate())
        .find_map(|(index, line)| assigned(line).map(|v| (v.to_string(), Some(index + 1))))
        .ok_or_else(|| {
            (
                None,
                "sets no `version = \"…\"`; a version from gradle.properties or a plugin cannot be read here: give it with --version".to_string(),
            )
        })
}

/// The quoted value of a line `version = "…"`, `version '…'`, `project.version = "…"`.
fn assigned(line: &str) -> Option<&str> {
    let code = line.trim_start();
    let rest = (code.strip_prefix("project.version")).or_else(|| code.strip_prefix("version"))?;
    let value = rest.trim_start();
    let separated = value.len() < rest.len();
    let value = match value.strip_prefix('=') {
        Some(after) => after.trim_start(),
        None if separated => value,
        None => return None,
    };
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let (inner, after) = value[1..].split_once(quote)?;
    let after = after.trim();
    (after.is_empty() || after.starts_with("//") || after == ";").then_some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_statements_and_nothing_like_them() {
        assert_eq!(assigned(r#"version = "2.4.0""#), Some("2.4.0"));
        assert_eq!(assigned("  version '2.4.0' // release"), Some("2.4.0"));
        assert_eq!(assigned(r#"version "2.4.0""#), Some("2.4.0"));
        assert_eq!(assigned(r#"project.version = "2.4.0";"#), Some("2.4.0"));
        assert_eq!(assigned(r#"versionCode = "7""#), None);
        assert_eq!(assigned(r#"version = libs.versions.app.get()"#), None);
        assert_eq!(
            assigned(r#"implementation("g:a:1.0") { version { strictly("1.0") } }"#),
            None
        );
        let text = "plugins { id(\"java\") }\n\ngroup = \"com.acme\"\nversion = \"3.1.2\"\n";
        assert_eq!(version(text), Ok(("3.1.2".to_string(), Some(4))));
        assert!(version("group = 'x'\n").is_err_and(|(_, m)| m.contains("--version")));
    }
}
