//! Where every node of a catalogue file is: a map from paths such as
//! `cases[2].steps[0].with.posId` to the 1-based position of the value and, for mapping entries,
//! of the key. Lookups fall back to the deepest existing ancestor, so a problem about something
//! absent still points at the place where it belongs.

use std::collections::HashMap;

use super::tree::{Node, Pos, Value};
use crate::catalogue::{Location, Problem};

/// The positions of a file's nodes, addressed by paths such as `cases[2].steps[0].with.posId`.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    file: String,
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
    refused: Vec<String>,
}

impl Positions {
    /// No positions: everything is at the start of `file`.
    pub(super) fn empty(file: &str) -> Positions {
        Positions {
            file: file.to_string(),
            ..Positions::default()
        }
    }

    /// The positions of every node under `root`.
    pub(super) fn build(file: &str, root: &Node) -> Positions {
        let mut positions = Positions::empty(file);
        positions.walk(root, String::new());
        positions
    }

    fn walk(&mut self, node: &Node, path: String) {
        match &node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, format!("{path}[{i}]"));
                }
            }
            Value::Map(entries) => {
                for entry in entries {
                    let child = join(&path, &entry.key);
                    self.keys.insert(child.clone(), entry.key_pos);
                    self.walk(&entry.value, child);
                }
            }
            Value::Refused => self.refused.push(path.clone()),
            _ => {}
        }
        self.values.insert(path, node.pos);
    }

    /// The position of the value at `path`, else of its deepest existing ancestor, else 1:1.
    pub fn locate(&self, path: &str) -> Location {
        let mut path = path;
        loop {
            if let Some(pos) = self.values.get(path) {
                return self.location(*pos);
            }
            match parent(path) {
                Some(up) => path = up,
                None => return self.location(Pos::START),
            }
        }
    }

    /// The position of the mapping key that ends `path`; like [`Positions::locate`] otherwise.
    pub fn locate_key(&self, path: &str) -> Location {
        match self.keys.get(path) {
            Some(pos) => self.location(*pos),
            None => self.locate(path),
        }
    }

    /// The file these positions belong to.
    pub fn file(&self) -> &str {
        &self.file
    }

    fn location(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
        }
    }

    pub(super) fn problem(&self, pos: Pos, message: impl Into<String>) -> Problem {
        Problem {
            location: self.location(pos),
            message: message.into(),
        }
    }

    /// Whether `path` is, or lies under, a refused (already reported) node.
    pub(super) fn is_refused(&self, path: &str) -> bool {
        self.refused.iter().any(|r| {
            path == r
                || path
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        })
    }
}

/// `path.key`, or `key` at the root.
pub(in crate::catalogue) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path without its last segment (`a.b[2]` → `a.b` → `a`), `None` at the root.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = if path.ends_with(']') {
        path.rfind('[')
    } else {
        path.rfind('.')
    };
    Some(cut.map_or("", |i| &path[..i]))
}
