//! The three renderings of a small catalogue: a mandatory category with a faulted case in every
//! profile and an inferred strict-only case.

use super::*;
use crate::catalogue::load::load_files;

const ONBOARDING: &str = "\
category:
  id: onboarding
  title: Onboarding
  summary: s
  mandatory: true
cases:
  - id: onboard
    title: Onboard | retry
    summary: >-
      Creates a PoS
      through a held answer.
    evidence: evidenced
    backend:
      faults:
        - on: POST /pointofsales
          replies: [hold200, err500]
    steps:
      - do: create_pos
        title: Create the PoS
        with: { merchantBrandId: B, merchantLocationId: '1', merchantPosId: p, name: n }
        expect: { present: [posId] }
        save: { posId: result.posId }
  - id: offboard
    title: Offboard
    summary: Deletes it.
    evidence: inferred
    profiles: [strict]
    steps:
      - do: delete_pos
        with: { posId: '{{posId}}' }
        expect: { calls: { \"DELETE /pointofsales/{posid}\": 1 } }
      - do: create_pos
        with: { merchantBrandId: B, merchantLocationId: '1', merchantPosId: p, name: n }
        expect: { present: [posId] }
";

fn catalogue() -> Catalogue {
    let files = [("o.yaml".to_string(), ONBOARDING.to_string())];
    load_files(&files).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn markdown_is_one_row_per_case_numbered_in_its_category() {
    assert_eq!(
        markdown(&catalogue()),
        "\
| Category | # | Case | Title | Steps | Faults | What it proves | Evidence | Profiles | Remote |
|---|---|---|---|---|---|---|---|---|---|
| `onboarding` | 1 | `onboarding/onboard` | Onboard \\| retry | `create_pos` | `POST /pointofsales`: hold200, err500 | Creates a PoS through a held answer. | evidenced | mobilepay, strict | no (needs injected faults) |
| `onboarding` | 2 | `onboarding/offboard` | Offboard | `delete_pos`, `create_pos` | — | Deletes it. | inferred | strict | yes |
"
    );
}

#[test]
fn text_numbers_cases_like_the_website() {
    assert_eq!(
        text(&catalogue()),
        "\
onboarding — Onboarding (mandatory)

  1. Onboard | retry  [onboarding/onboard]
     Creates a PoS through a held answer.
     evidence: evidenced; profiles: mobilepay, strict; remote targets: no (needs injected faults); defined at o.yaml:7:5
       1. create_pos  Create the PoS

  2. Offboard  [onboarding/offboard]
     Deletes it.
     evidence: inferred; profiles: strict; remote targets: yes; defined at o.yaml:23:5
       1. delete_pos
       2. create_pos

"
    );
}

#[test]
fn json_carries_evidence_profiles_and_whether_a_case_runs_remotely() {
    let document: serde_json::Value =
        serde_json::from_str(&json(&catalogue())).unwrap_or_else(|e| panic!("{e}"));
    let case = &document["categories"][0]["cases"][1];
    assert_eq!(case["id"], "onboarding/offboard");
    assert_eq!(case["number"], 2);
    assert_eq!(case["evidence"], "inferred");
    assert_eq!(case["profiles"], json!(["strict"]));
    assert_eq!(
        (&case["remote"], &case["backendNeeds"]),
        (&json!(true), &json!([]))
    );
    let first = &document["categories"][0]["cases"][0];
    assert_eq!(first["profiles"], json!(["mobilepay", "strict"]));
    assert_eq!(first["remote"], false);
    assert_eq!(first["backendNeeds"], json!(["injected faults"]));
}
