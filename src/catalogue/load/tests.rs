//! Tests of the loader: positions, serde errors mapped back to their nodes, top-level shape,
//! ordering, digest and directory loading.

use super::*;

const ONBOARDING: &str = "\
category:
  id: onboarding
  title: Onboarding
  summary: s
  mandatory: true
cases:
  - id: onboard
    title: t
    summary: s
    evidence: evidenced
    steps:
      - do: create_pos
        with: { merchantBrandId: B, merchantLocationId: '1', merchantPosId: p, name: n }
        save: { posId: result.posId }
        expect: { present: [posId] }
";

fn category(id: &str) -> String {
    format!(
        "category:\n  id: {id}\n  title: T\n  summary: s\ncases:\n  - id: c\n    title: t\n    \
         summary: s\n    evidence: inferred\n    steps:\n      - do: delete_pos\n        with: {{ posId: \
         '{{{{posId}}}}' }}\n        expect: {{ calls: {{ \"DELETE /pointofsales/{{posid}}\": 1 }} }}\n"
    )
}

fn problems_of(file: &str, text: &str) -> Vec<String> {
    match parse_file(file, text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn owned(files: &[(&str, &str)]) -> Vec<(String, String)> {
    (files.iter())
        .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
        .collect()
}

#[test]
fn unknown_field_points_at_the_key() {
    let text = ONBOARDING.replace("    title: t", "    tittle: t");
    assert_eq!(
        problems_of("o.yaml", &text),
        [
            "o.yaml:8:5: unknown field `tittle`, expected one of `id`, `title`, `summary`, \
          `evidence`, `profiles`, `backend`, `steps`; did you mean `title`?"
        ]
    );
}

#[test]
fn unknown_operation_points_at_the_value() {
    let text = ONBOARDING.replace("do: create_pos", "do: create_poss");
    let problems = problems_of("o.yaml", &text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(
            "o.yaml:12:13: unknown operation `create_poss`; expected one of create_pos, \
             delete_pos, pay,"
        ),
        "{problems:#?}"
    );
    assert!(problems[0].ends_with("; did you mean `create_pos`?"));
}

#[test]
fn missing_and_mistyped_fields_name_their_path() {
    let text = ONBOARDING.replace("    title: t\n", "");
    assert_eq!(
        problems_of("o.yaml", &text),
        ["o.yaml:7:5: missing required field `title` in `cases[0]`"]
    );
    let text = ONBOARDING.replace("    evidence: evidenced\n", "");
    assert_eq!(
        problems_of("o.yaml", &text),
        ["o.yaml:7:5: missing required field `evidence` in `cases[0]`"]
    );
    let text = ONBOARDING.replace("evidence: evidenced", "evidence: rumoured");
    assert_eq!(
        problems_of("o.yaml", &text),
        ["o.yaml:10:15: unknown evidence tag `rumoured`; expected one of evidenced, inferred"]
    );
    let text = ONBOARDING.replace(
        "evidence: evidenced\n",
        "evidence: evidenced\n    profiles: [mobilepay, strictt]\n",
    );
    assert_eq!(
        problems_of("o.yaml", &text),
        [
            "o.yaml:11:27: unknown profile `strictt`; expected one of mobilepay, strict; did you \
             mean `strict`?"
        ]
    );
    let text = ONBOARDING.replace("mandatory: true", "mandatory: 3");
    assert_eq!(
        problems_of("o.yaml", &text),
        ["o.yaml:5:14: `category.mandatory`: invalid type: integer `3`, expected a boolean"]
    );
}

#[test]
fn one_bad_case_does_not_hide_another() {
    let second =
        "  - id: two\n    title: t\n    summary: s\n    evidence: evidenced\n    steps: oops\n";
    let text = format!(
        "{}{second}",
        ONBOARDING.replace("    summary: s\n    evidence", "    evidence")
    );
    assert_eq!(
        problems_of("o.yaml", &text),
        [
            "o.yaml:7:5: missing required field `summary` in `cases[0]`",
            "o.yaml:19:12: `cases[1].steps`: invalid type: string \"oops\", expected a sequence",
        ]
    );
}

#[test]
fn one_case_reports_a_problem_per_part() {
    let text = ONBOARDING
        .replace("    title: t", "    tittle: t\n    colour: red")
        .replace("do: create_pos", "do: create_poss");
    let problems = problems_of("o.yaml", &text);
    let gists: Vec<&str> = problems
        .iter()
        .filter_map(|p| p.split([',', ';']).next())
        .collect();
    // No "missing required field `title`": `tittle` is already reported as its misspelling.
    assert_eq!(
        gists,
        [
            "o.yaml:8:5: unknown field `tittle`",
            "o.yaml:9:5: unknown field `colour`",
            "o.yaml:13:13: unknown operation `create_poss`",
        ]
    );
}

#[test]
fn top_level_shape_problems() {
    assert_eq!(
        problems_of("e.yaml", "# nothing\n"),
        ["e.yaml:1:1: empty catalogue file: expected a mapping with `category` and `cases`"]
    );
    assert_eq!(
        problems_of("l.yaml", "- a\n"),
        ["l.yaml:1:1: a catalogue file must be a mapping with `category` and `cases`"]
    );
    assert_eq!(
        problems_of("m.yaml", "\nextra: 1\n"),
        [
            "m.yaml:2:1: missing the `cases` list",
            "m.yaml:2:1: missing the `category` header (id, title, summary)",
            "m.yaml:2:1: unknown field `extra`, expected `category` or `cases`",
        ]
    );
    let text = ONBOARDING
        .split("cases:")
        .next()
        .unwrap_or_default()
        .to_string()
        + "cases: 3\n";
    assert_eq!(
        problems_of("n.yaml", &text),
        ["n.yaml:6:8: `cases` must be a list of cases, found a number"]
    );
}

#[test]
fn syntax_error_is_one_problem() {
    let text = ONBOARDING.replace("    title: t", "    title: [t");
    let problems = problems_of("o.yaml", &text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with("o.yaml:"), "{problems:#?}");
    assert!(
        problems[0].contains(": yaml syntax error: "),
        "{problems:#?}"
    );
}

#[test]
fn braces_in_flow_collections_get_a_hint() {
    let text = ONBOARDING.replace(
        "save: { posId: result.posId }",
        "expect: { calls: { DELETE /pointofsales/{posid}: 3 } }",
    );
    assert_eq!(
        problems_of("o.yaml", &text),
        [
            "o.yaml:14:49: yaml syntax error: while parsing a flow mapping, did not find expected \
          ',' or '}' (inside `{ }` or `[ ]`, quote text holding `{`, `}`, `[`, `]` or `,`, e.g. \
          `{ \"POST /payments/{paymentid}/cancel\": 1 }`)"
        ]
    );
}

#[test]
fn aliases_are_reported_once() {
    let text = ONBOARDING
        .replace("    title: t", "    title: &t t")
        .replace(
            "    summary: s\n    evidence",
            "    summary: *t\n    evidence",
        );
    assert_eq!(
        problems_of("o.yaml", &text),
        [
            "o.yaml:8:15: yaml anchors (`&name`) are not supported; write the value out in full",
            "o.yaml:9:14: yaml aliases (`*name`) are not supported; write the value out",
        ]
    );
}

#[test]
fn positions_fall_back_to_the_deepest_existing_prefix() {
    let parsed = match parse_file("o.yaml", ONBOARDING) {
        Ok(parsed) => parsed,
        Err(problems) => panic!("{problems:?}"),
    };
    let at = |path: &str| parsed.positions.locate(path).to_string();
    assert_eq!(at("cases[0].steps[0].with.merchantPosId"), "o.yaml:13:77");
    assert_eq!(at("cases[0].steps[0].with.beaconId"), "o.yaml:13:15");
    assert_eq!(at("cases[0].steps[3].with"), "o.yaml:12:7");
    assert_eq!(at("nowhere.at.all"), "o.yaml:1:1");
    let key = parsed
        .positions
        .locate_key("cases[0].steps[0].with.merchantPosId");
    assert_eq!(key.to_string(), "o.yaml:13:62");
    assert_eq!(parsed.case_locations[0].to_string(), "o.yaml:7:5");
}

#[test]
fn categories_are_ordered_and_digested() {
    let alpha = category("alpha");
    let zeta = category("zeta");
    let refunds = category("refunds");
    let payments = category("payments");
    let files = owned(&[
        ("z.yaml", &zeta),
        ("r.yaml", &refunds),
        ("a.yaml", &alpha),
        ("p.yaml", &payments),
        ("o.yaml", ONBOARDING),
    ]);
    let catalogue = match load_files(&files) {
        Ok(catalogue) => catalogue,
        Err(error) => panic!("{error}"),
    };
    let ids: Vec<&str> = catalogue
        .categories
        .iter()
        .map(|c| c.header.id.as_str())
        .collect();
    assert_eq!(ids, ["onboarding", "payments", "refunds", "alpha", "zeta"]);
    assert_eq!(catalogue.categories[1].file, "p.yaml");
    assert_eq!(
        catalogue.categories[1].cases[0].location.to_string(),
        "p.yaml:6:5"
    );

    let mut sorted = files.clone();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (name, text) in &sorted {
        hasher.update(format!("{name}\0{text}\0"));
    }
    let expected: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(catalogue.digest, expected);
    let reversed: Vec<(String, String)> = files.into_iter().rev().collect();
    assert_eq!(load_files(&reversed).map(|c| c.digest).ok(), Some(expected));
}

#[test]
fn problems_of_all_files_are_sorted() {
    let bad = ONBOARDING.replace("    title: t", "    tittle: t");
    let files = owned(&[("b.yaml", &bad), ("a.yaml", "x: [\n")]);
    let error = match load_files(&files) {
        Ok(_) => panic!("loaded an invalid catalogue"),
        Err(error) => error,
    };
    let files: Vec<&str> = error
        .problems
        .iter()
        .map(|p| p.location.file.as_str())
        .collect();
    assert_eq!(files, ["a.yaml", "b.yaml"]);
}

#[test]
fn load_dir_reads_yaml_files_only() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("onboarding.yaml", ONBOARDING);
    write("payments.yml", &category("payments"));
    write("notes.txt", "not yaml");
    let catalogue = match load_dir(dir.path()) {
        Ok(catalogue) => catalogue,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(catalogue.categories.len(), 2);
    let shown = dir.path().join("payments.yml").display().to_string();
    assert_eq!(catalogue.categories[1].file, shown);

    write("broken.yaml", "category: [\n");
    match load_dir(dir.path()) {
        Err(LoadError::Invalid(error)) => {
            let shown = dir.path().join("broken.yaml").display().to_string();
            assert_eq!(error.problems[0].location.file, shown);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn load_dir_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let shown = dir.path().display().to_string();
    let error = load_dir(dir.path()).err().map(|e| e.to_string());
    assert_eq!(
        error,
        Some(format!("no catalogue files (*.yaml) in {shown}"))
    );
    let missing = dir.path().join("missing");
    let error = load_dir(&missing).err().map(|e| e.to_string());
    let shown = missing.display().to_string();
    assert_eq!(
        error,
        Some(format!("cannot read catalogue directory {shown}"))
    );
}
