//! The README's table of what the judge checks names every rule the judge applies, each in a row
//! of its own with its profile when it is not judged in every profile, so no rule can be added
//! without being documented for the integrators whose runs it fails.

use mpcert::catalogue::model::Profile;
use mpcert::judge::{evidence, expect, rules};

use crate::support::read;

/// The README's section on what the judge checks.
fn judge_section() -> String {
    let readme = read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    let (_, rest) = readme
        .split_once("## What the judge checks\n")
        .unwrap_or_else(|| panic!("README.md has no `## What the judge checks` section"));
    rest.split_once("\n## ")
        .map_or(rest, |(section, _)| section)
        .to_string()
}

#[test]
fn every_rule_of_the_judge_is_in_the_readme_table() {
    let section = judge_section();
    let documented = |id: &str| {
        section
            .lines()
            .find(|line| line.starts_with('|') && line.contains(&format!("`{id}`")))
    };
    let expectations = [
        expect::STEP_SUCCEEDED,
        expect::STEP_RESULT,
        expect::STEP_CALLS,
        expect::SERVER_STATE,
    ];
    let ids = (rules::RULES.iter().chain(evidence::RULES))
        .map(|(id, _)| *id)
        .chain(expectations);
    for id in ids {
        let Some(row) = documented(id) else {
            panic!("README.md does not document the judge rule `{id}`");
        };
        if rules::rule_profiles(id) == [Profile::Strict] {
            assert!(row.contains("`strict` profile only"), "{row}");
        }
    }
}
