//! Semantic validation of a parsed catalogue: what the YAML schema alone cannot say. Ids are
//! kebab-case and unique, a mandatory category exists, every case has a summary and a non-empty
//! set of distinct profiles, every step expects something, every step names only parameters its
//! operation accepts and all it requires, `{{name}}` templates (expanded in `with` only) refer to
//! a built-in variable (`unique`, `uuid`, `currency`) or to a value an earlier step saved, `save` sources
//! exist and do not redefine a built-in variable, expectations name real result fields and
//! endpoints, and the backend script is coherent. It is pure and reports every problem at once, each at the
//! position of the offending key or value.

use std::collections::{BTreeSet, HashMap};

use super::Problem;
use super::load::{ParsedFile, catalogue_order, join};
use super::model::{Case, Profile, Step};
use crate::pos::Endpoint;

/// The built-in template variable of a value unique to each use.
pub const UNIQUE: &str = "unique";

/// The built-in template variable of a fresh GUID at each use (for ids the API wants as GUIDs,
/// such as a beacon id).
pub const UUID: &str = "uuid";

/// The built-in template variable of the currency the session's merchant accepts (`DKK` for the
/// Danish certification merchant, `EUR` for the Finnish one).
pub const CURRENCY: &str = "currency";

/// The template variables every step may use without an earlier step saving them.
pub const BUILTIN_VARIABLES: [&str; 3] = [CURRENCY, UNIQUE, UUID];

/// Every problem of the catalogue made of `files`.
pub fn validate(files: &[ParsedFile]) -> Vec<Problem> {
    validate_partial(files, files.iter().all(|f| f.complete))
}

/// Like [`validate`], for a catalogue of which some files or cases could not be read
/// (`complete == false`): the checks that need the whole catalogue (a mandatory category, known
/// template variables) are skipped so that they do not report consequences of other problems.
pub fn validate_partial(files: &[ParsedFile], complete: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    categories(files, complete, &mut out);
    for file in files {
        cases(file, &mut out);
    }
    templates(files, complete, &mut out);
    out
}

fn at(file: &ParsedFile, path: &str, message: String) -> Problem {
    Problem {
        location: file.positions.locate(path),
        message,
    }
}

fn at_key(file: &ParsedFile, path: &str, message: String) -> Problem {
    Problem {
        location: file.positions.locate_key(path),
        message,
    }
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`
fn is_kebab(id: &str) -> bool {
    id.split('-').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

/// `^[A-Za-z_][A-Za-z0-9_]*$`, the names `save` may define and templates may use.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn braces(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

fn kebab_message(what: &str, id: &str) -> String {
    format!(
        "{what} id `{id}` is not kebab-case (lowercase letters and digits joined by single hyphens)"
    )
}

/// `; did you mean `x`?` when a candidate is close to `word` (case-insensitive), else nothing.
pub(crate) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// The candidate closest to `word` (case-insensitive), if it is close enough to be a misspelling.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (distance(&word, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

fn unknown_endpoint(label: &str) -> String {
    let labels: Vec<String> = Endpoint::ALL.iter().map(ToString::to_string).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    format!(
        "unknown endpoint `{label}`; write `METHOD /template` as in the OpenAPI document, e.g. \
         `POST /payments`, `GET /payments/{{paymentid}}`, `POST /payments/{{paymentid}}/cancel`{}",
        did_you_mean(label, &labels)
    )
}

fn categories(files: &[ParsedFile], complete: bool, out: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, &ParsedFile> = HashMap::new();
    for file in files {
        let id = file.model.category.id.as_str();
        if !is_kebab(id) {
            out.push(at(file, "category.id", kebab_message("category", id)));
        }
        match seen.get(id) {
            Some(first) => {
                let first = first.positions.locate("category.id");
                let message = format!("duplicate category id `{id}`; first defined at {first}");
                out.push(at(file, "category.id", message));
            }
            None => {
                seen.insert(id, file);
            }
        }
    }
    let first = files.first();
    if let Some(file) =
        first.filter(|_| complete && !files.iter().any(|f| f.model.category.mandatory))
    {
        let message = "the catalogue needs a mandatory category (onboarding) that creates the PoS";
        out.push(at_key(file, "category", message.to_string()));
    }
}

fn cases(file: &ParsedFile, out: &mut Vec<Problem>) {
    let category = file.model.category.id.as_str();
    if file.complete && file.model.cases.is_empty() {
        out.push(at(
            file,
            "cases",
            format!("category `{category}` has no cases"),
        ));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, case) in file.model.cases.iter().enumerate() {
        let base = format!("cases[{i}]");
        let id_path = join(&base, "id");
        let id = case.id.as_str();
        if !is_kebab(id) {
            out.push(at(file, &id_path, kebab_message("case", id)));
        }
        match seen.get(id) {
            Some(first) => {
                let line = file.positions.locate(&format!("cases[{first}].id")).line;
                let message = format!(
                    "duplicate case id `{id}` in category `{category}`; first defined at line {line}"
                );
                out.push(at(file, &id_path, message));
            }
            None => {
                seen.insert(id, i);
            }
        }
        if case.summary.trim().is_empty() {
            let message = format!("case `{id}` has no summary; say in one line what it proves");
            out.push(at(file, &join(&base, "summary"), message));
        }
        profiles(file, &join(&base, "profiles"), &case.profiles, out);
        if case.steps.is_empty() {
            let message = format!("case `{id}` has no steps");
            out.push(at(file, &join(&base, "steps"), message));
        }
        backend(file, &join(&base, "backend"), case, out);
        for (j, step) in case.steps.iter().enumerate() {
            let has_seed = case.backend.seed.is_some();
            self::step(file, &format!("{base}.steps[{j}]"), step, has_seed, out);
        }
    }
}

fn profiles(file: &ParsedFile, path: &str, profiles: &[Profile], out: &mut Vec<Problem>) {
    if profiles.is_empty() {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
        let message = format!(
            "`profiles` lists no profile, so no run would judge the case; list some of {} or omit \
             it for all",
            names.join(", ")
        );
        out.push(at(file, path, message));
    }
    for (k, profile) in profiles.iter().enumerate() {
        if profiles[..k].contains(profile) {
            let message = format!("duplicate profile `{}`", profile.as_str());
            out.push(at(file, &format!("{path}[{k}]"), message));
        }
    }
}

fn backend(file: &ParsedFile, base: &str, case: &Case, out: &mut Vec<Problem>) {
    let script = &case.backend;
    if script
        .customer
        .as_ref()
        .is_some_and(|c| c.payment.is_empty())
    {
        let message = "`customer.payment` must list at least one payment status".to_string();
        out.push(at(file, &format!("{base}.customer.payment"), message));
    }
    if let Some(seed) = script
        .seed
        .as_ref()
        .filter(|s| !s.active_payment.is_active())
    {
        let message = format!(
            "the seeded payment must be active (Prepared, Initiated, Paired or IssuedToUser), not \
             `{}`",
            seed.active_payment
        );
        out.push(at(file, &format!("{base}.seed.active_payment"), message));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (k, fault) in script.faults.iter().enumerate() {
        let path = format!("{base}.faults[{k}]");
        let on = join(&path, "on");
        if Endpoint::parse(&fault.on).is_none() {
            out.push(at(file, &on, unknown_endpoint(&fault.on)));
        }
        if fault.replies.is_empty() {
            let message = "a fault needs at least one reply (`hold200` or `err500`)".to_string();
            out.push(at(file, &join(&path, "replies"), message));
        }
        match seen.get(fault.on.as_str()) {
            Some(first) => {
                let line = file
                    .positions
                    .locate(&format!("{base}.faults[{first}].on"))
                    .line;
                let message = format!(
                    "duplicate fault for `{}` (first at line {line}); list every reply in one entry",
                    fault.on
                );
                out.push(at(file, &on, message));
            }
            None => {
                seen.insert(&fault.on, k);
            }
        }
    }
}

fn step(file: &ParsedFile, base: &str, step: &Step, has_seed: bool, out: &mut Vec<Problem>) {
    let op = step.op;
    let name = op.as_str();
    let accepted: Vec<&str> = [op.required_params(), op.optional_params()].concat();
    for key in step.params.keys() {
        if !accepted.contains(&key.as_str()) {
            let message = format!(
                "unknown parameter `{key}` for `{name}`; accepted: {}{}",
                accepted.join(", "),
                did_you_mean(key, &accepted)
            );
            out.push(at_key(file, &format!("{base}.with.{key}"), message));
        }
    }
    let missing: Vec<String> = (op.required_params().iter())
        .filter(|p| !step.params.contains_key(**p))
        .map(|p| format!("`{p}`"))
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "`{name}` is missing required parameters {}",
            missing.join(", ")
        );
        out.push(at(file, &join(base, "do"), message));
    }
    let fields = op.result_fields();
    let listed = if fields.is_empty() {
        "none".to_string()
    } else {
        fields.join(", ")
    };
    for (variable, source) in &step.save {
        let path = format!("{base}.save.{variable}");
        if !is_variable_name(variable) || BUILTIN_VARIABLES.contains(&variable.as_str()) {
            let message = format!(
                "cannot save as `{variable}`: a variable name is letters, digits and `_`, not \
                 starting with a digit, and not a built-in one ({})",
                BUILTIN_VARIABLES.join(", ")
            );
            out.push(at_key(file, &path, message));
        }
        let known = match source.split_once('.') {
            Some(("result", field)) => fields.contains(&field),
            Some(("params", field)) => step.params.contains_key(field),
            _ => false,
        };
        if !known {
            let message = format!(
                "cannot save `{source}`: write `result.<field>` with a result field of `{name}` \
                 ({listed}) or `params.<field>` with a key of this step's `with`"
            );
            out.push(at(file, &path, message));
        }
    }
    let expect = &step.expect;
    if expect.result.is_empty()
        && expect.present.is_empty()
        && expect.calls.is_empty()
        && expect.seeded_payment.is_none()
    {
        let message = format!(
            "the `{name}` step expects nothing, so a misbehaviour could never fail it; give it an \
             `expect` with `result`, `present`, `calls` or `seeded_payment`"
        );
        out.push(at_key(file, &join(base, "expect"), message));
    }
    let no_field =
        |field: &str| format!("`{name}` has no result field `{field}`; it has: {listed}");
    for field in expect
        .result
        .keys()
        .filter(|f| !fields.contains(&f.as_str()))
    {
        let path = format!("{base}.expect.result.{field}");
        out.push(at_key(file, &path, no_field(field)));
    }
    for (n, field) in expect.present.iter().enumerate() {
        if !fields.contains(&field.as_str()) {
            out.push(at(
                file,
                &format!("{base}.expect.present[{n}]"),
                no_field(field),
            ));
        }
    }
    for label in expect.calls.keys().filter(|l| Endpoint::parse(l).is_none()) {
        let path = format!("{base}.expect.calls.{label}");
        out.push(at_key(file, &path, unknown_endpoint(label)));
    }
    for (label, count) in &expect.calls {
        if let Some(problem) = count.problem() {
            let path = format!("{base}.expect.calls.{label}");
            out.push(at(
                file,
                &path,
                format!("call count of `{label}`: {problem}"),
            ));
        }
    }
    if expect.seeded_payment.is_some() && !has_seed {
        let message = "`expect.seeded_payment` needs a `backend.seed` in the case".to_string();
        out.push(at_key(
            file,
            &format!("{base}.expect.seeded_payment"),
            message,
        ));
    }
}

/// The `{{name}}` variables of `text`, or why its braces are malformed.
fn template_names(text: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    loop {
        let open = rest.find("{{");
        if rest.find("}}").is_some_and(|c| open.is_none_or(|o| c < o)) {
            return Err("`}}` without an opening `{{`".to_string());
        }
        let Some(open) = open else {
            return Ok(names);
        };
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("`{{` without a closing `}}`".to_string());
        };
        let name = after[..close].trim();
        if !is_variable_name(name) {
            return Err(format!(
                "`{}` does not name a variable",
                braces(&after[..close])
            ));
        }
        names.push(name);
        rest = &after[close + 2..];
    }
}

/// Every string inside `value`, with its path.
fn strings<'a>(value: &'a serde_json::Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        serde_json::Value::String(text) => out.push((path, text)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                strings(item, join(&path, key), out);
            }
        }
        _ => {}
    }
}

fn templates(files: &[ParsedFile], complete: bool, out: &mut Vec<Problem>) {
    let steps = || {
        files
            .iter()
            .flat_map(|f| &f.model.cases)
            .flat_map(|c| &c.steps)
    };
    let saved_anywhere: BTreeSet<&str> = steps()
        .flat_map(|s| s.save.keys())
        .map(String::as_str)
        .collect();
    let mut known: BTreeSet<&str> = BTreeSet::from(BUILTIN_VARIABLES);
    for file in catalogue_order(files)
        .into_iter()
        .filter_map(|i| files.get(i))
    {
        for (i, case) in file.model.cases.iter().enumerate() {
            for (j, step) in case.steps.iter().enumerate() {
                let base = format!("cases[{i}].steps[{j}]");
                let mut found = Vec::new();
                for (key, value) in &step.params {
                    strings(value, format!("{base}.with.{key}"), &mut found);
                }
                let mut literal = Vec::new();
                for (key, value) in &step.expect.result {
                    strings(value, format!("{base}.expect.result.{key}"), &mut literal);
                }
                for (path, text) in literal.into_iter().filter(|(_, t)| t.contains("{{")) {
                    let message = format!(
                        "templates are only expanded in `with`; `expect.result` would compare \
                         `{text}` literally"
                    );
                    out.push(at(file, &path, message));
                }
                for (path, text) in found {
                    match template_names(text) {
                        Err(why) => {
                            let message = format!("malformed template in `{text}`: {why}");
                            out.push(at(file, &path, message));
                        }
                        Ok(names) if complete => {
                            for name in names.into_iter().filter(|n| !known.contains(n)) {
                                let message = unknown_variable(name, &known, &saved_anywhere);
                                out.push(at(file, &path, message));
                            }
                        }
                        Ok(_) => {}
                    }
                }
                known.extend(step.save.keys().map(String::as_str));
            }
        }
    }
}

fn unknown_variable(name: &str, known: &BTreeSet<&str>, saved: &BTreeSet<&str>) -> String {
    let variable = braces(name);
    if saved.contains(name) {
        format!("template variable `{variable}` is only saved by a later step")
    } else {
        let known: Vec<&str> = known.iter().copied().collect();
        format!(
            "unknown template variable `{variable}`; available here: {}{}",
            known.join(", "),
            did_you_mean(name, &known)
        )
    }
}

#[cfg(test)]
mod tests;
