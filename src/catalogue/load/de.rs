//! From the node tree to the serde model, with as many problems as can be told apart: a value is
//! read again without each unknown key it holds, and a case that does not read is also read part
//! by part (its own fields, its backend, each step), so that a typo in one place does not hide a
//! mistake in another. serde's errors are mapped back to the offending key or value and reworded
//! for catalogue authors.

use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use serde_path_to_error::Segment;

use super::positions::{Positions, join};
use super::tree::{Node, Value};
use crate::catalogue::model::{BackendScript, Case, Step};
use crate::catalogue::{Problem, validate};

/// More unknown keys than this in one value are not worth reading on for.
const MAX_RETRIES: usize = 32;

/// The node as JSON (refused nodes become null; their problems are already reported).
pub(super) fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null | Value::Refused => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            (entries.iter())
                .map(|e| (e.key.clone(), to_json(&e.value)))
                .collect(),
        ),
    }
}

/// Reads `value`, found at `prefix`, reporting every unknown key it holds and the first other
/// problem.
pub(super) fn read<T: DeserializeOwned>(
    mut value: Json,
    prefix: &str,
    positions: &Positions,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    // (mapping, field) pairs an unknown key was reported as a likely misspelling of: the field's
    // absence is then no news.
    let mut misspelt: Vec<(String, String)> = Vec::new();
    for _ in 0..MAX_RETRIES {
        let error = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(read) => return Some(read),
            Err(error) => error,
        };
        let (mut path, mut parent) = (prefix.to_string(), prefix.to_string());
        let mut last_key = "";
        for segment in error.path().iter() {
            parent.clone_from(&path);
            match segment {
                Segment::Seq { index } => path = format!("{path}[{index}]"),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    path = join(&path, key);
                    last_key = key;
                }
                Segment::Unknown => break,
            }
        }
        let message = error.inner().to_string();
        let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
        let unknown_field = message.starts_with("unknown field `");
        if unknown_field {
            let candidates = quoted.get(1..).unwrap_or_default();
            if let Some(field) = validate::closest(last_key, candidates) {
                misspelt.push((parent.clone(), field.to_string()));
            }
        }
        let missing = (message.strip_prefix("missing field `").and(quoted.first()))
            .is_some_and(|field| misspelt.iter().any(|(p, f)| *p == path && f == field));
        if !missing && !positions.is_refused(&path) {
            let (at_key, message) = explain(&message, &path, last_key);
            let location = if at_key {
                positions.locate_key(&path)
            } else {
                positions.locate(&path)
            };
            problems.push(Problem { location, message });
        }
        if !(unknown_field && remove(&mut value, error.path())) {
            return None;
        }
    }
    None
}

/// Removes the mapping entry at `path`; `false` when there is none.
fn remove(value: &mut Json, path: &serde_path_to_error::Path) -> bool {
    let segments: Vec<&Segment> = path.iter().collect();
    let Some((Segment::Map { key }, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = value;
    for segment in parents {
        let next = match (segment, node) {
            (Segment::Seq { index }, Json::Array(items)) => items.get_mut(*index),
            (Segment::Map { key }, Json::Object(map)) => map.get_mut(key),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return false,
        }
    }
    match node {
        Json::Object(map) => map.remove(key).is_some(),
        _ => false,
    }
}

/// Reads a case; when it does not read, reads its own fields, its backend and each step apart.
pub(super) fn read_case(
    node: &Node,
    path: &str,
    positions: &Positions,
    problems: &mut Vec<Problem>,
) -> Option<Case> {
    let Json::Object(mut map) = to_json(node) else {
        return read(to_json(node), path, positions, problems);
    };
    let steps = match map.get_mut("steps") {
        Some(Json::Array(items)) => Some(std::mem::take(items)),
        _ => None,
    };
    let backend = map.remove("backend");
    let shell: Option<Case> = read(Json::Object(map), path, positions, problems);
    let backend: Option<BackendScript> = match backend {
        Some(backend) => read(backend, &join(path, "backend"), positions, problems),
        None => Some(BackendScript::default()),
    };
    // `None` when `steps` is absent or not a list: then the shell has reported it.
    let steps: Option<Option<Vec<Step>>> = steps.map(|items| {
        let read: Vec<Option<Step>> = (items.into_iter().enumerate())
            .map(|(j, step)| read(step, &format!("{path}.steps[{j}]"), positions, problems))
            .collect();
        read.into_iter().collect()
    });
    let mut case = shell?;
    case.backend = backend?;
    if let Some(steps) = steps {
        case.steps = steps?;
    }
    Some(case)
}

/// Rewords a serde error for a catalogue author; `true` when it concerns the key at `path`.
fn explain(message: &str, path: &str, last_key: &str) -> (bool, String) {
    let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let expected = quoted.get(1..).unwrap_or_default();
    if message.starts_with("unknown field `") {
        let hint = validate::did_you_mean(quoted.first().copied().unwrap_or(""), expected);
        return (true, format!("{message}{hint}"));
    }
    if let Some(value) = message
        .strip_prefix("unknown variant `")
        .and(quoted.first())
    {
        let what = match last_key {
            "do" => "operation",
            "payment" | "active_payment" | "seeded_payment" => "payment status",
            "replies" => "fault reply",
            "evidence" => "evidence tag",
            "profiles" => "profile",
            _ => "value",
        };
        let hint = validate::did_you_mean(value, expected);
        let expected = expected.join(", ");
        let message = format!("unknown {what} `{value}`; expected one of {expected}{hint}");
        return (false, message);
    }
    if let Some(field) = message.strip_prefix("missing field `").and(quoted.first()) {
        return (
            false,
            format!("missing required field `{field}` in `{path}`"),
        );
    }
    (false, format!("`{path}`: {message}"))
}
