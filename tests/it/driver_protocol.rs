//! `docs/driver-protocol.md` is the public contract, and it cannot drift from the code: its
//! operations table lists exactly the parameters and results the catalogue's operations have, every
//! JSON example in it is a request or a response of the implementation's own types, and its
//! complete example session is a valid exchange — alternating requests and the responses to them,
//! ids counting from 1, each request with its operation's required parameters and no unknown
//! ones, every operation used.

use std::collections::BTreeSet;

use mpcert::catalogue::Operation;
use mpcert::client::protocol::{Request, Response};

fn document() -> String {
    crate::support::read(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/driver-protocol.md"),
    )
}

/// The lines of every fenced block whose info string is `tag`.
fn blocks(text: &str, tag: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) if info == tag => current = Some(Vec::new()),
            (Some(_), Some("")) => found.extend(current.take()),
            (Some(lines), _) => lines.push(line.to_string()),
            (None, _) => {}
        }
    }
    found
}

/// The names in backticks in `text`, split into required and bracketed (optional) ones.
fn names(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut required, mut optional) = (BTreeSet::new(), BTreeSet::new());
    let mut depth = 0;
    let mut parts = text.split('`');
    let mut outside = parts.next().unwrap_or_default();
    while let (Some(name), Some(after)) = (parts.next(), parts.next()) {
        depth += outside.matches('[').count();
        depth -= outside.matches(']').count().min(depth);
        let into = if depth > 0 {
            &mut optional
        } else {
            &mut required
        };
        into.insert(name.to_string());
        outside = after;
    }
    (required, optional)
}

fn strings(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn the_operations_table_matches_the_operations() {
    let text = document();
    let mut seen = Vec::new();
    for row in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`');
        let Ok(op) = serde_json::from_value::<Operation>(name.into()) else {
            continue; // another table (the environment)
        };
        let (required, optional) = names(cells[2]);
        assert_eq!(required, strings(op.required_params()), "{name} params");
        assert_eq!(
            optional,
            strings(op.optional_params()),
            "{name} optional params"
        );
        // Result cells name statuses in backticks inside their explanations; keep the fields.
        let fields = strings(op.result_fields());
        let (results, optional_results) = names(cells[3]);
        let listed: BTreeSet<String> = results
            .union(&optional_results)
            .filter(|n| fields.contains(*n))
            .cloned()
            .collect();
        assert_eq!(listed, fields, "{name} results");
        seen.push(op);
    }
    assert_eq!(seen.len(), 10, "one row per operation: {seen:?}");
}

#[test]
fn every_json_example_is_a_request_or_a_response() {
    let examples = blocks(&document(), "json");
    assert!(examples.len() >= 3);
    for line in examples.concat() {
        let request = serde_json::from_str::<Request>(&line);
        let response = serde_json::from_str::<Response>(&line).map(Response::into_answer);
        assert!(
            request.is_ok() || matches!(response, Ok(Ok(_))),
            "neither a request nor a response: {line}"
        );
    }
}

#[test]
fn the_example_session_is_a_valid_exchange() {
    let sessions = blocks(&document(), "jsonl");
    assert_eq!(sessions.len(), 1, "one example session");
    let lines = &sessions[0];
    assert!(lines.len() >= 20 && lines.len() % 2 == 0, "{lines:?}");
    let mut ops = BTreeSet::new();
    let mut unknown_kept = 0;
    for (index, pair) in lines.chunks(2).enumerate() {
        let request: Request = serde_json::from_str(&pair[0])
            .unwrap_or_else(|e| panic!("not a request: {e}: {}", pair[0]));
        let response: Response = serde_json::from_str(&pair[1])
            .unwrap_or_else(|e| panic!("not a response: {e}: {}", pair[1]));
        assert_eq!(
            request.id,
            index as u64 + 1,
            "ids count from 1: {}",
            pair[0]
        );
        assert_eq!(response.id, request.id, "{}", pair[1]);
        let op = request.op;
        let params: BTreeSet<String> = request.params.keys().cloned().collect();
        let required = strings(op.required_params());
        let known: BTreeSet<String> = required
            .union(&strings(op.optional_params()))
            .cloned()
            .collect();
        assert!(params.is_superset(&required), "{}: missing params", pair[0]);
        assert!(params.is_subset(&known), "{}: unknown params", pair[0]);
        let answer = response
            .into_answer()
            .unwrap_or_else(|e| panic!("{e}: {}", pair[1]));
        if let Ok(result) = &answer.outcome {
            let fields = strings(op.result_fields());
            assert!(result.keys().all(|k| fields.contains(k)), "{}", pair[1]);
        }
        unknown_kept += usize::from(!answer.unknown.is_empty());
        ops.insert(op.as_str());
    }
    assert_eq!(ops.len(), 10, "every operation is shown: {ops:?}");
    assert!(unknown_kept >= 2, "the example shows unknown fields");
}
