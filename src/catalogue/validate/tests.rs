//! One test per validation rule, each pinning the problem's `file:line:column` and gist, and one
//! catalogue with problems of every kind in several files.

use crate::catalogue::load::load_files;

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
        expect: { present: [posId] }
        save: { posId: result.posId }
";

/// Lines 1–5 of every payments file.
const HEADER: &str = "category:\n  id: payments\n  title: Payments\n  summary: s\ncases:\n";

/// Lines 6–10: a case up to its `steps:` key.
const CASE: &str =
    "  - id: pay-one\n    title: t\n    summary: s\n    evidence: evidenced\n    steps:\n";

/// Lines 11–16: a `pay` step without its `expect`; further `with` keys go at 10 spaces, step keys
/// at 8.
const PAY: &str = "      - do: pay\n        with:\n          posId: \"{{posId}}\"\n          \
                   orderId: o\n          amount: 1\n          currencyCode: DKK\n";

/// Line 17: the expectation that completes [`PAY`].
const EXPECT: &str = "        expect: { present: [paymentId] }\n";

fn load(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(String, String)> = (files.iter())
        .map(|(n, t)| ((*n).to_string(), (*t).to_string()))
        .collect();
    match load_files(&files) {
        Ok(_) => Vec::new(),
        Err(error) => error.problems.iter().map(ToString::to_string).collect(),
    }
}

/// Loads the onboarding file `a.yaml` and `b.yaml` = HEADER + `cases`.
fn payments(cases: &str) -> Vec<String> {
    load(&[
        ("a.yaml", ONBOARDING),
        ("b.yaml", &format!("{HEADER}{cases}")),
    ])
}

/// Asserts exactly these problems: (`file:line:column`, a piece of the message).
#[track_caller]
fn assert_problems(problems: &[String], expected: &[(&str, &str)]) {
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (problem, (at, gist)) in problems.iter().zip(expected) {
        let ok = problem.starts_with(&format!("{at}: ")) && problem.contains(gist);
        assert!(ok, "expected {at}: …{gist}…, got {problems:#?}");
    }
}

#[test]
fn a_valid_catalogue_has_no_problems() {
    assert_problems(&payments(&format!("{CASE}{PAY}{EXPECT}")), &[]);
}

#[test]
fn duplicate_category_id_points_at_the_second() {
    let text = format!("{HEADER}{CASE}{PAY}{EXPECT}");
    let problems = load(&[("a.yaml", ONBOARDING), ("b.yaml", &text), ("c.yaml", &text)]);
    let gist = "duplicate category id `payments`; first defined at b.yaml:2:7";
    assert_problems(&problems, &[("c.yaml:2:7", gist)]);
}

#[test]
fn duplicate_case_id_names_the_first_line() {
    let problems = payments(&format!("{CASE}{PAY}{EXPECT}{CASE}{PAY}{EXPECT}"));
    let gist = "duplicate case id `pay-one` in category `payments`; first defined at line 6";
    assert_problems(&problems, &[("b.yaml:18:9", gist)]);
}

#[test]
fn ids_must_be_kebab_case() {
    let text = format!("{HEADER}{CASE}{PAY}{EXPECT}")
        .replace("id: payments", "id: Payments")
        .replace("id: pay-one", "id: pay--one");
    let problems = load(&[("a.yaml", ONBOARDING), ("b.yaml", &text)]);
    assert_problems(
        &problems,
        &[
            ("b.yaml:2:7", "category id `Payments` is not kebab-case"),
            ("b.yaml:6:9", "case id `pay--one` is not kebab-case"),
        ],
    );
}

#[test]
fn cases_and_steps_must_not_be_empty() {
    let problems = load(&[
        ("a.yaml", ONBOARDING),
        (
            "b.yaml",
            "category:\n  id: payments\n  title: P\n  summary: s\ncases: []\n",
        ),
    ]);
    assert_problems(
        &problems,
        &[("b.yaml:5:8", "category `payments` has no cases")],
    );
    let problems = payments(&CASE.replace("steps:\n", "steps: []\n"));
    assert_problems(
        &problems,
        &[("b.yaml:10:12", "case `pay-one` has no steps")],
    );
}

#[test]
fn the_catalogue_needs_a_mandatory_category() {
    let problems = load(&[(
        "b.yaml",
        &format!("{HEADER}{CASE}{PAY}{EXPECT}").replace("{{posId}}", "p"),
    )]);
    let gist = "the catalogue needs a mandatory category (onboarding) that creates the PoS";
    assert_problems(&problems, &[("b.yaml:1:1", gist)]);
}

#[test]
fn a_case_needs_a_summary() {
    let case = CASE.replace("summary: s", "summary: ' '");
    let problems = payments(&format!("{case}{PAY}{EXPECT}"));
    let gist = "case `pay-one` has no summary; say in one line what it proves";
    assert_problems(&problems, &[("b.yaml:8:14", gist)]);
}

#[test]
fn a_case_needs_an_evidence_tag() {
    let case = CASE.replace("    evidence: evidenced\n", "");
    let problems = payments(&format!("{case}{PAY}{EXPECT}"));
    let gist = "missing required field `evidence` in `cases[0]`";
    assert_problems(&problems, &[("b.yaml:6:5", gist)]);
}

#[test]
fn a_step_needs_an_expectation() {
    let gist = "the `pay` step expects nothing, so a misbehaviour could never fail it; give it an \
                `expect` with `result`, `present`, `calls` or `seeded_payment`";
    let problems = payments(&format!("{CASE}{PAY}"));
    assert_problems(&problems, &[("b.yaml:11:9", gist)]);
    let problems = payments(&format!("{CASE}{PAY}        expect: {{ calls: {{}} }}\n"));
    assert_problems(&problems, &[("b.yaml:17:9", gist)]);
}

#[test]
fn profiles_must_be_listed_once_each() {
    let case = |profiles: &str| {
        let tag = format!("    evidence: inferred\n    profiles: {profiles}\n");
        CASE.replace("    evidence: evidenced\n", &tag)
    };
    let problems = payments(&format!("{}{PAY}{EXPECT}", case("[]")));
    let gist = "`profiles` lists no profile, so no run would judge the case; list some of \
                mobilepay, strict or omit it for all";
    assert_problems(&problems, &[("b.yaml:10:15", gist)]);
    let problems = payments(&format!(
        "{}{PAY}{EXPECT}",
        case("[strict, mobilepay, strict]")
    ));
    assert_problems(&problems, &[("b.yaml:10:35", "duplicate profile `strict`")]);
    assert_problems(
        &payments(&format!("{}{PAY}{EXPECT}", case("[strict]"))),
        &[],
    );
}

#[test]
fn unknown_parameter_points_at_its_key() {
    let problems = payments(&format!("{CASE}{PAY}          colour: red\n{EXPECT}"));
    let gist = "unknown parameter `colour` for `pay`; accepted: posId, orderId, amount, currencyCode, \
                restrictions,";
    assert_problems(&problems, &[("b.yaml:17:11", gist)]);
}

#[test]
fn missing_parameters_point_at_the_operation() {
    let step = "      - do: capture\n        with: { paymentId: x }\n        expect: { present: [status] }\n";
    let problems = payments(&format!("{CASE}{PAY}{EXPECT}{step}"));
    let gist = "`capture` is missing required parameters `amount`";
    assert_problems(&problems, &[("b.yaml:18:13", gist)]);
}

#[test]
fn templates_need_a_variable_saved_earlier() {
    let label = "          merchantPaymentLabel: \"{{paymentId}} {{nope}}\"\n";
    let save = "        save: { paymentId: result.paymentId }\n";
    let problems = payments(&format!("{CASE}{PAY}{label}{EXPECT}{PAY}{EXPECT}{save}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:17:33",
                "template variable `{{paymentId}}` is only saved by a later step",
            ),
            (
                "b.yaml:17:33",
                "unknown template variable `{{nope}}`; available here: currency, posId, unique",
            ),
        ],
    );
}

#[test]
fn built_in_variables_need_no_earlier_step_and_cannot_be_saved() {
    let currency = "          merchantPaymentLabel: \"{{currency}} {{unique}}\"\n";
    let save = "        save: { currency: result.paymentId }\n";
    let problems = payments(&format!("{CASE}{PAY}{currency}{EXPECT}{save}"));
    assert_problems(
        &problems,
        &[(
            "b.yaml:19:17",
            "cannot save as `currency`: a variable name is letters, digits and `_`, not starting \
             with a digit, and not a built-in one (currency, unique, uuid)",
        )],
    );
}

#[test]
fn variables_follow_catalogue_order_not_file_order() {
    let text = format!("{HEADER}{CASE}{PAY}{EXPECT}");
    assert_problems(&load(&[("a.yaml", &text), ("z.yaml", ONBOARDING)]), &[]);
}

#[test]
fn malformed_templates_are_reported() {
    let label = "          merchantPaymentLabel: [\"{{posId\", \"x}}\", \"{{ 1x }}\"]\n";
    let problems = payments(&format!("{CASE}{PAY}{label}{EXPECT}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:17:34",
                "malformed template in `{{posId`: `{{` without a closing `}}`",
            ),
            (
                "b.yaml:17:45",
                "malformed template in `x}}`: `}}` without an opening `{{`",
            ),
            ("b.yaml:17:52", "`{{ 1x }}` does not name a variable"),
        ],
    );
}

#[test]
fn templates_are_not_expanded_in_expectations() {
    let expect = "        expect:\n          result: { status: \"{{posId}}\" }\n";
    let problems = payments(&format!("{CASE}{PAY}{expect}"));
    let gist = "templates are only expanded in `with`; `expect.result` would compare `{{posId}}`";
    assert_problems(&problems, &[("b.yaml:18:29", gist)]);
}

#[test]
fn save_sources_must_exist() {
    let save =
        "        save: { a: result.nope, b: params.zzz, c: result.paymentId, d: params.posId }\n";
    let problems = payments(&format!("{CASE}{PAY}{EXPECT}{save}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:18:20",
                "cannot save `result.nope`: write `result.<field>` with a result field of `pay` (paymentId, status, partialCapturePossible)",
            ),
            ("b.yaml:18:36", "cannot save `params.zzz`"),
        ],
    );
}

#[test]
fn expectations_name_result_fields_and_endpoints() {
    let expect = "        expect:\n          result: { colour: red }\n          present: [paymentId, \
                  refundId]\n          calls: { POST /payment: 1 }\n";
    let problems = payments(&format!("{CASE}{PAY}{expect}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:18:21",
                "`pay` has no result field `colour`; it has: paymentId, status",
            ),
            ("b.yaml:19:32", "`pay` has no result field `refundId`"),
            (
                "b.yaml:20:20",
                "unknown endpoint `POST /payment`; write `METHOD /template` as in the OpenAPI document, e.g. `POST /payments`, `GET /payments/{paymentid}`, `POST /payments/{paymentid}/cancel`; did you mean `POST /payments`?",
            ),
        ],
    );
}

#[test]
fn call_bounds_must_be_satisfiable() {
    let expect = "        expect:\n          calls:\n            GET /payments: { at_least: 1 }\n            \
                  POST /payments: { at_least: 3, at_most: 1 }\n            POST /refunds: {}\n";
    let problems = payments(&format!("{CASE}{PAY}{expect}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:20:29",
                "call count of `POST /payments`: `at_least` is larger than `at_most`",
            ),
            (
                "b.yaml:21:28",
                "call count of `POST /refunds`: give `at_least`, `at_most` or both",
            ),
        ],
    );
}

#[test]
fn seeded_payment_needs_a_seed() {
    let expect = "        expect:\n          seeded_payment: CancelledByClient\n";
    let problems = payments(&format!("{CASE}{PAY}{expect}"));
    let gist = "`expect.seeded_payment` needs a `backend.seed` in the case";
    assert_problems(&problems, &[("b.yaml:18:11", gist)]);
}

#[test]
fn backend_script_must_be_coherent() {
    let backend = "    backend:\n      customer:\n        payment: []\n      seed:\n        \
                   active_payment: Reserved\n      faults:\n        - on: POST /payment\n          \
                   replies: []\n        - on: POST /payment\n          replies: [err500]\n";
    let case = CASE.replace("    steps:\n", &format!("{backend}    steps:\n"));
    let problems = payments(&format!("{case}{PAY}{EXPECT}"));
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:12:18",
                "`customer.payment` must list at least one payment status",
            ),
            (
                "b.yaml:14:25",
                "the seeded payment must be active (Prepared, Initiated, Paired or IssuedToUser), not `Reserved`",
            ),
            ("b.yaml:16:15", "unknown endpoint `POST /payment`"),
            ("b.yaml:17:20", "a fault needs at least one reply"),
            (
                "b.yaml:18:15",
                "duplicate fault for `POST /payment` (first at line 16)",
            ),
            ("b.yaml:18:15", "unknown endpoint `POST /payment`"),
        ],
    );
}

#[test]
fn every_problem_of_every_file_is_reported_at_once() {
    let good = format!("{CASE}{PAY}{EXPECT}").replace("pay-one", "pay-two");
    let typo = format!("{CASE}{PAY}{EXPECT}").replace("    title: t", "    tittle: t");
    let payy = good
        .replace("pay-two", "pay-three")
        .replace("do: pay", "do: payy");
    let text = format!("{HEADER}{typo}{good}{good}{payy}");
    let broken = "category:\n  id: refunds\n  title: [Refunds\n";
    let problems = load(&[
        ("a.yaml", ONBOARDING),
        ("b.yaml", &text),
        ("c.yaml", broken),
    ]);
    assert_problems(
        &problems,
        &[
            (
                "b.yaml:7:5",
                "unknown field `tittle`, expected one of `id`, `title`",
            ),
            (
                "b.yaml:30:9",
                "duplicate case id `pay-two` in category `payments`; first defined at line 18",
            ),
            (
                "b.yaml:47:13",
                "unknown operation `payy`; expected one of create_pos, delete_pos",
            ),
            ("c.yaml:4:1", "yaml syntax error: "),
        ],
    );
}
