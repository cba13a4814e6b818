//! The XML manifests: an MSBuild project (`.csproj`: `<Version>`, else `<VersionPrefix>`, in a
//! `<PropertyGroup>`) and Maven's `pom.xml` (the project's own `<version>`, a child of
//! `<project>`: not its parent's, a dependency's or a plugin's).

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Declared, Problem, line_at};

/// A text node: the names of the elements around it (outermost first), its text, its line.
struct Text {
    path: Vec<String>,
    text: String,
    line: usize,
}

/// Every non-blank text node of `xml`.
fn texts(xml: &str) -> Result<Vec<Text>, Problem> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut path: Vec<String> = Vec::new();
    let mut found = Vec::new();
    loop {
        let at = |reader: &Reader<&[u8]>| {
            line_at(
                xml,
                usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX),
            )
        };
        let event = reader.read_event().map_err(|e| {
            let offset = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            (
                Some(line_at(xml, offset)),
                format!("not well-formed XML: {e}"),
            )
        })?;
        match event {
            Event::Start(start) => {
                path.push(String::from_utf8_lossy(start.local_name().as_ref()).to_string());
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(text) => {
                let text = text
                    .unescape()
                    .map_err(|e| (Some(at(&reader)), format!("not well-formed XML: {e}")))?;
                found.push(Text {
                    path: path.clone(),
                    text: text.trim().to_string(),
                    line: at(&reader),
                });
            }
            Event::Eof => return Ok(found),
            _ => {}
        }
    }
}

fn is(path: &[String], names: &[&str]) -> bool {
    path.len() == names.len() && path.iter().zip(names).all(|(a, b)| a == b)
}

/// An MSBuild project file.
pub(super) fn msbuild(xml: &str) -> Result<Declared, Problem> {
    let texts = texts(xml)?;
    let property =
        |name: &str| (texts.iter()).find(|t| is(&t.path, &["Project", "PropertyGroup", name]));
    match property("Version").or_else(|| property("VersionPrefix")) {
        Some(found) => Ok((found.text.clone(), Some(found.line))),
        None => Err((
            None,
            "sets no <Version> or <VersionPrefix> in a <PropertyGroup> (a version from Directory.Build.props or the command line cannot be read here: give it with --version)".to_string(),
        )),
    }
}

/// Maven's `pom.xml`.
pub(super) fn pom(xml: &str) -> Result<Declared, Problem> {
    let texts = texts(xml)?;
    if let Some(own) = texts.iter().find(|t| is(&t.path, &["project", "version"])) {
        return Ok((own.text.clone(), Some(own.line)));
    }
    let parent = (texts.iter()).find(|t| is(&t.path, &["project", "parent", "version"]));
    Err(match parent {
        Some(parent) => (
            Some(parent.line),
            format!(
                "the project has no <version> of its own; it inherits {} from its <parent>, which names the parent's release, not this client's: give the version with --version",
                parent.text
            ),
        ),
        None => (None, "the project has no <version>".to_string()),
    })
}
