//! `mpcert list`: the catalogue's categories, cases and steps as text or JSON.

use serde_json::json;

use crate::catalogue::Catalogue;

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
        for case in &category.cases {
            out.push_str(&format!(
                "  {}/{}  {}  [{}]\n",
                category.header.id, case.case.id, case.case.title, case.location
            ));
            for (index, step) in case.case.steps.iter().enumerate() {
                let title = step.title.as_deref().unwrap_or_default();
                out.push_str(&format!(
                    "      {}. {}  {title}\n",
                    index + 1,
                    step.op.as_str()
                ));
            }
        }
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
                .map(|case| {
                    json!({
                        "id": format!("{}/{}", category.header.id, case.case.id),
                        "title": case.case.title,
                        "summary": case.case.summary,
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
