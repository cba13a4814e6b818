//! Bad catalogues: every problem is reported at once with file, line and column, the exit code
//! is 2, and no traffic reaches the certification target.

use std::net::TcpListener;
use std::path::Path;

use crate::support::mpcert;

const VALID_HEADER: &str = "category:\n  id: onboarding\n  title: Onboarding\n  summary: Creates the PoS.\n  mandatory: true\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
}

fn onboarding_case(id: &str, extra: &str, op: &str) -> String {
    format!(
        "  - id: {id}\n    title: Onboard\n    summary: Creates a PoS.\n    evidence: evidenced\n{extra}    steps:\n      - do: {op}\n        with:\n          merchantBrandId: MPPOSCERT1\n          merchantLocationId: \"00001\"\n          merchantPosId: till-1\n          name: till\n        expect: {{ present: [posId] }}\n"
    )
}

/// The 1-based line of the `n`-th (0-based) line of `text` containing `needle`.
fn line_of(text: &str, needle: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(n)
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("`{needle}` #{n} not in the catalogue"))
}

#[test]
fn every_problem_is_reported_with_its_position_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let cases = dir.path();
    // onboarding.yaml: a duplicate case id, an unknown field and an unknown operation, each in
    // its own case; payments.yaml: a YAML syntax error.
    let onboarding = format!(
        "{VALID_HEADER}cases:\n{}{}{}{}",
        onboarding_case("onboard-pos", "", "create_pos"),
        onboarding_case("onboard-pos", "", "create_pos"),
        onboarding_case("onboard-typo", "    tittle: typo\n", "create_pos"),
        onboarding_case("onboard-again", "", "create_poss"),
    );
    write(cases, "onboarding.yaml", &onboarding);
    write(
        cases,
        "payments.yaml",
        "category:\n  id: payments\n  title: [unclosed\n",
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("nonblocking: {e}"));
    let target = format!(
        "http://{}",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let dir_arg = cases.display().to_string();
    let output = mpcert(&["run", "--cases", &dir_arg, "--target", &target]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let onboarding_file = cases.join("onboarding.yaml").display().to_string();
    let payments_file = cases.join("payments.yaml").display().to_string();
    let expected = [
        (
            format!(
                "{onboarding_file}:{}:9:",
                line_of(&onboarding, "id: onboard-pos", 1)
            ),
            "onboard-pos",
        ),
        (
            format!("{onboarding_file}:{}:5:", line_of(&onboarding, "tittle", 0)),
            "tittle",
        ),
        (
            format!(
                "{onboarding_file}:{}:13:",
                line_of(&onboarding, "create_poss", 0)
            ),
            "create_poss",
        ),
        (format!("{payments_file}:"), "syntax"),
    ];
    for (position, gist) in &expected {
        let line = stderr
            .lines()
            .find(|l| l.contains(position.as_str()))
            .unwrap_or_else(|| panic!("no problem at {position} in:\n{stderr}"));
        assert!(
            line.contains(gist),
            "problem at {position} should mention {gist}: {line}"
        );
    }
    assert!(
        listener.accept().is_err(),
        "no traffic may reach the target"
    );
}

#[test]
fn validate_reports_the_same_problems() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(
        dir.path(),
        "onboarding.yaml",
        &format!(
            "{VALID_HEADER}cases:\n{}",
            onboarding_case("Bad_Id", "", "create_pos")
        ),
    );
    let dir_arg = dir.path().display().to_string();
    let output = mpcert(&["validate", "--cases", &dir_arg]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("onboarding.yaml:7:"), "{stderr}");
    assert!(stderr.contains("Bad_Id"), "{stderr}");
}

#[test]
fn a_missing_catalogue_directory_is_a_usage_error() {
    let output = mpcert(&["validate", "--cases", "/nonexistent/catalogue"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("/nonexistent/catalogue"), "{stderr}");
}

#[test]
fn validate_rejects_a_case_without_summary_expectation_or_evidence() {
    let case = onboarding_case("onboard-pos", "", "create_pos");
    let broken = [
        (
            case.replace("summary: Creates a PoS.", "summary: \"\""),
            ":9:14: case `onboard-pos` has no summary",
        ),
        (
            case.replace("        expect: { present: [posId] }\n", ""),
            ":12:9: the `create_pos` step expects nothing, so a misbehaviour could never fail it",
        ),
        (
            case.replace("    evidence: evidenced\n", ""),
            ":7:5: missing required field `evidence` in `cases[0]`",
        ),
    ];
    for (case, problem) in broken {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        write(
            dir.path(),
            "onboarding.yaml",
            &format!("{VALID_HEADER}cases:\n{case}"),
        );
        let dir_arg = dir.path().display().to_string();
        let output = mpcert(&["validate", "--cases", &dir_arg]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let file = dir.path().join("onboarding.yaml").display().to_string();
        assert!(stderr.contains(&format!("{file}{problem}")), "{stderr}");
        assert!(
            stderr.contains("invalid catalogue: 1 problem\n"),
            "{stderr}"
        );
    }
}
