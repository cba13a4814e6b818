//! `mpcert list`: the catalogue's categories, cases and steps as text, JSON or a Markdown table.
//! The text shows each case as the certification website does (its number in the category, title,
//! summary and steps) with its evidence, profiles and whether it runs on a remote target; the
//! Markdown table is the one `cases/README.md` carries, generated here so that it cannot drift
//! from the catalogue.

use serde_json::json;

use crate::catalogue::model::Profile;
use crate::catalogue::{Case, Catalogue};

/// The catalogue as human-readable text, in catalogue order.
pub fn text(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    for category in &catalogue.categories {
        let mandatory = if category.header.mandatory {
            " (mandatory)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{} — {}{mandatory}\n",
            category.header.id, category.header.title
        ));
        for (number, located) in category.cases.iter().enumerate() {
            let case = &located.case;
            out.push_str(&format!(
                "\n  {}. {}  [{}/{}]\n",
                number + 1,
                case.title,
                category.header.id,
                case.id
            ));
            out.push_str(&format!("     {}\n", one_line(&case.summary)));
            out.push_str(&format!(
                "     evidence: {}; profiles: {}; remote targets: {}; defined at {}\n",
                case.evidence.as_str(),
                profiles(&case.profiles),
                remote(case),
                located.location
            ));
            for (index, step) in case.steps.iter().enumerate() {
                let line = format!("       {}. {}", index + 1, step.op.as_str());
                match &step.title {
                    Some(title) => out.push_str(&format!("{line}  {title}\n")),
                    None => out.push_str(&format!("{line}\n")),
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The catalogue as JSON: categories with their cases and steps.
pub fn json(catalogue: &Catalogue) -> String {
    let categories: Vec<serde_json::Value> = catalogue
        .categories
        .iter()
        .map(|category| {
            let cases: Vec<serde_json::Value> = category
                .cases
                .iter()
                .enumerate()
                .map(|(number, case)| {
                    json!({
                        "id": format!("{}/{}", category.header.id, case.case.id),
                        "number": number + 1,
                        "title": case.case.title,
                        "summary": case.case.summary,
                        "evidence": case.case.evidence.as_str(),
                        "profiles": case.case.profiles.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                        "remote": case.case.backend_needs().is_empty(),
                        "backendNeeds": case.case.backend_needs().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
                        "file": case.location.file,
                        "line": case.location.line,
                        "steps": case.case.steps.iter().map(|s| json!({
                            "do": s.op.as_str(),
                            "title": s.title,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "id": category.header.id,
                "title": category.header.title,
                "mandatory": category.header.mandatory,
                "file": category.file,
                "cases": cases,
            })
        })
        .collect();
    let document = json!({ "digest": catalogue.digest, "categories": categories });
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

/// The catalogue as one Markdown table of every case, in catalogue order: category, the case's
/// number in it, full id, title, steps, faults, what it proves, evidence, profiles and whether it
/// runs on a remote target.
pub fn markdown(catalogue: &Catalogue) -> String {
    let mut out = String::from(
        "| Category | # | Case | Title | Steps | Faults | What it proves | Evidence | Profiles | Remote |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for category in &catalogue.categories {
        for (number, located) in category.cases.iter().enumerate() {
            let case = &located.case;
            let cells = [
                format!("`{}`", category.header.id),
                (number + 1).to_string(),
                format!("`{}/{}`", category.header.id, case.id),
                cell(&case.title),
                steps(case),
                faults(case),
                cell(&case.summary),
                case.evidence.as_str().to_string(),
                profiles(&case.profiles),
                remote(case),
            ];
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    out
}

/// The profiles as `mobilepay, strict`.
fn profiles(profiles: &[Profile]) -> String {
    let names: Vec<&str> = profiles.iter().map(|p| p.as_str()).collect();
    names.join(", ")
}

/// Whether the case runs on a remote target: `yes`, or `no (needs …)` naming what it needs of the
/// certification backend.
fn remote(case: &Case) -> String {
    let needs: Vec<&str> = case.backend_needs().iter().map(|n| n.as_str()).collect();
    if needs.is_empty() {
        "yes".to_string()
    } else {
        format!("no (needs {})", needs.join(", "))
    }
}

/// The case's operations, in order.
fn steps(case: &Case) -> String {
    let ops: Vec<String> = (case.steps.iter())
        .map(|s| format!("`{}`", s.op.as_str()))
        .collect();
    ops.join(", ")
}

/// The case's injected faults as `` `ENDPOINT`: reply, reply ``, or `—` without any.
fn faults(case: &Case) -> String {
    let faults: Vec<String> = (case.backend.faults.iter())
        .map(|fault| {
            let replies: Vec<&str> = fault.replies.iter().map(|r| r.as_str()).collect();
            format!("`{}`: {}", cell(&fault.on), replies.join(", "))
        })
        .collect();
    if faults.is_empty() {
        "—".to_string()
    } else {
        faults.join("; ")
    }
}

/// `text` on one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` as a table cell: on one line, with `|` escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests;
