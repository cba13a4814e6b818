//! Whole runs in-process: selection, a standalone service reached over its session API,
//! fail-fast, the JSON report, and that no secret reaches any output.

use std::net::{Ipv4Addr, SocketAddr};

use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::config::Target;
use mpcert::driver::plan::OUTSIDE_PROFILE;
use mpcert::report::json;
use mpcert::report::{
    AdapterInfo, AdapterKind, CatalogueProvenance, REFERENCE_CLIENT_NAME, RunReport, StepOutcome,
    Verdict,
};
use mpcert::service::ServiceOptions;

use crate::support::{case, config, judged_cases, read, rules, run};

#[tokio::test]
async fn selecting_a_case_runs_onboarding_and_skips_the_rest() {
    let mut config = config(Conduct::default(), None);
    config.cases = vec!["payments/payment-client-cancel".into()];
    let outcome = run(config).await;
    assert_eq!(
        case(&outcome.report, "onboarding/onboard-pos").verdict,
        Verdict::Passed
    );
    assert_eq!(
        case(&outcome.report, "payments/payment-client-cancel").verdict,
        Verdict::Passed
    );
    let Some(certificate) = &outcome.report.certificate else {
        panic!("the selected cases passed");
    };
    let certified: Vec<&str> = certificate
        .categories
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        certified,
        vec!["onboarding"],
        "payments was only partly run"
    );
    assert!(matches!(
        case(&outcome.report, "payments/payment-complete").verdict,
        Verdict::Skipped { .. }
    ));
    assert_eq!(outcome.exit_code(), 0);
}

/// The full ids of a report's cases that ran (every one must have passed), and of those it
/// reported as not selected.
fn ran_and_not_selected(report: &RunReport) -> (Vec<String>, Vec<String>) {
    let (mut ran, mut not_selected) = (Vec::new(), Vec::new());
    for category in &report.categories {
        for case in &category.cases {
            let id = format!("{}/{}", category.id, case.id);
            match &case.verdict {
                Verdict::Passed => ran.push(id),
                // Cases the profile does not judge are neither run nor a selection's business.
                Verdict::Skipped { reason } if reason == OUTSIDE_PROFILE => {}
                Verdict::Skipped { reason } if reason.starts_with("not selected") => {
                    not_selected.push(id)
                }
                other => panic!("{id}: {other:?}"),
            }
        }
    }
    (ran, not_selected)
}

/// (id, selected, cases) of every category a selection names.
fn selected_counts(selection: &mpcert::report::Selection) -> Vec<(String, usize, usize)> {
    (selection.categories.iter())
        .map(|c| (c.id.clone(), c.selected, c.cases))
        .collect()
}

/// Runs the correct reference client on `categories` and `cases`, which must pass; returns the
/// report and the JSON report as written.
async fn run_selection(categories: &[&str], cases: &[&str]) -> (RunReport, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut config = config(Conduct::default(), None);
    config.categories = categories.iter().map(|c| c.to_string()).collect();
    config.cases = cases.iter().map(|c| c.to_string()).collect();
    config.report = Some(dir.path().join("report.json"));
    let outcome = run(config).await;
    assert_eq!(outcome.exit_code(), 0);
    (outcome.report, read(&dir.path().join("report.json")))
}

#[tokio::test]
async fn a_category_runs_after_onboarding_and_both_are_certified() {
    let (report, json) = run_selection(&["refunds"], &[]).await;
    let report = &report;
    let (ran, not_selected) = ran_and_not_selected(report);
    assert_eq!(ran, judged_cases(&["onboarding", "refunds"]));
    assert_eq!(
        ran.len() + not_selected.len(),
        crate::support::default_profile_case_count()
    );
    assert!(
        not_selected
            .iter()
            .all(|id| !id.starts_with("onboarding/") && !id.starts_with("refunds/")),
        "{not_selected:?}"
    );
    let onboarding = judged_cases(&["onboarding"]).len();
    let refunds = judged_cases(&["refunds"]).len();
    let expected = vec![
        ("onboarding".to_string(), onboarding, onboarding),
        ("refunds".to_string(), refunds, refunds),
    ];
    assert!(!report.meta.selection.partial_run);
    assert_eq!(selected_counts(&report.meta.selection), expected);
    let Some(certificate) = &report.certificate else {
        panic!("every selected case passed");
    };
    assert_eq!(certificate.selection, report.meta.selection);
    let certified: Vec<(&str, usize)> = (certificate.categories.iter())
        .map(|c| (c.id.as_str(), c.cases))
        .collect();
    assert_eq!(
        certified,
        vec![("onboarding", onboarding), ("refunds", refunds)]
    );
    assert!(json.contains("\"partialRun\": false"), "{json}");
    assert!(!mpcert::report::console::header(&report.meta, Default::default()).contains("partial"));
}

#[tokio::test]
async fn one_case_of_a_category_is_a_partial_run_that_certifies_only_onboarding() {
    let (report, json) = run_selection(&[], &["refunds/refund-complete"]).await;
    let report = &report;
    let (ran, not_selected) = ran_and_not_selected(report);
    let mut expected_ran = judged_cases(&["onboarding"]);
    expected_ran.push("refunds/refund-complete".into());
    assert_eq!(ran, expected_ran);
    assert!(not_selected.contains(&"refunds/refund-cancel".to_string()));
    assert_eq!(
        ran.len() + not_selected.len(),
        crate::support::default_profile_case_count()
    );
    let onboarding = judged_cases(&["onboarding"]).len();
    let refunds = judged_cases(&["refunds"]).len();
    let selection = &report.meta.selection;
    assert!(selection.partial_run);
    assert_eq!(
        selected_counts(selection),
        vec![
            ("onboarding".to_string(), onboarding, onboarding),
            ("refunds".to_string(), 1, refunds),
        ]
    );
    let Some(certificate) = &report.certificate else {
        panic!("every selected case passed");
    };
    assert_eq!(&certificate.selection, selection);
    let certified: Vec<(&str, usize)> = (certificate.categories.iter())
        .map(|c| (c.id.as_str(), c.cases))
        .collect();
    assert_eq!(
        certified,
        vec![("onboarding", onboarding)],
        "refunds only partly ran"
    );
    let note = format!("partial run: refunds (1 of {refunds} cases selected) not certified");
    let header = mpcert::report::console::header(&report.meta, Default::default());
    assert!(header.contains(&format!("\n{note}\n")), "{header}");
    let line = mpcert::report::console::certificate(report, Default::default());
    assert!(line.contains(&format!("; {note}; certificate: ")), "{line}");
    assert!(json.contains("\"partialRun\": true"), "{json}");
}

#[tokio::test]
async fn a_standalone_service_is_driven_through_its_session_api() {
    let service = mpcert::service::start(
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        ServiceOptions::new(0.01),
    )
    .await
    .unwrap_or_else(|e| panic!("start: {e}"));
    let mut config = config(Conduct::default(), None);
    config.target = Target::Service(service.url());
    config.time_scale = 1.0;
    let outcome = run(config).await;
    service.stop().await;
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(
        outcome.report.meta.time_scale, 0.01,
        "the service's own scale applies"
    );
    assert_eq!(outcome.report.meta.target.split(':').next(), Some("http"));
}

#[tokio::test]
async fn a_passing_run_earns_a_certificate_for_its_major_minor_version() {
    let outcome = run(config(Conduct::default(), None)).await;
    let Some(certificate) = outcome.report.certificate else {
        panic!("a correct client is certified");
    };
    assert_eq!(certificate.client_name, REFERENCE_CLIENT_NAME);
    assert_eq!(certificate.client_version, "2.1.0");
    assert_eq!(certificate.certified_version, "2.1");
    assert_eq!(
        certificate.adapter,
        AdapterInfo {
            kind: AdapterKind::Reference,
            command_digest: None
        }
    );
    let builtin = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        certificate.catalogue,
        CatalogueProvenance::builtin(&builtin.digest)
    );
    assert_eq!(
        certificate.catalogue.tool_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(certificate.time_scale, crate::support::FAST);
    assert_eq!(
        certificate.profile,
        mpcert::catalogue::model::Profile::Mobilepay
    );
    assert_eq!(certificate.merchant_vat, "DK90000028");
    assert_eq!(certificate.tool_version, env!("CARGO_PKG_VERSION"));
    let certified: Vec<(&str, usize)> = certificate
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.cases))
        .collect();
    let profile = mpcert::catalogue::model::Profile::Mobilepay;
    let expected: Vec<(&str, usize)> = builtin
        .categories
        .iter()
        .map(|c| {
            let judged = c.cases.iter().filter(|k| k.case.in_profile(profile));
            (c.header.id.as_str(), judged.count())
        })
        .collect();
    assert_eq!(certified, expected);
    assert!(uuid::Uuid::parse_str(&certificate.session_id).is_ok());
    let issued = &certificate.issued_at;
    assert!(
        issued.len() >= 20 && issued.as_bytes()[10] == b'T' && issued.ends_with('Z'),
        "issuedAt is RFC 3339 UTC: {issued}"
    );
}

#[tokio::test]
async fn a_failing_run_earns_no_certificate() {
    let outcome = run(config(
        Conduct::misbehaving(Misbehaviour::IgnorePollDelay),
        None,
    ))
    .await;
    assert_eq!(outcome.exit_code(), 1);
    assert_eq!(outcome.report.certificate, None);
}

#[tokio::test]
async fn fail_fast_skips_what_follows_a_failure() {
    let mut config = config(Conduct::misbehaving(Misbehaviour::FreshKeyOnRetry), None);
    config.fail_fast = true;
    let outcome = run(config).await;
    assert!(matches!(
        case(&outcome.report, "onboarding/onboard-pos").verdict,
        Verdict::Failed { .. }
    ));
    assert!(matches!(
        case(&outcome.report, "payments/payment-complete").verdict,
        Verdict::Skipped { .. }
    ));
    assert_eq!(outcome.exit_code(), 1);
}

#[tokio::test]
async fn the_json_report_round_trips_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let report_path = dir.path().join("report.json");
    let junit_path = dir.path().join("junit.xml");
    let mut config = config(Conduct::default(), Some(junit_path.clone()));
    config.report = Some(report_path.clone());
    let outcome = run(config).await;
    let text = read(&report_path);
    let parsed = json::from_json(text.as_bytes(), "report.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed, outcome.report);
    let junit = read(&junit_path);
    for output in [&text, &junit] {
        assert!(output.contains("<redacted>") || output.contains("&lt;redacted&gt;"));
        assert!(!contains_access_token(output), "an access token leaked");
        assert!(
            !output.contains("client_secret="),
            "the client secret leaked"
        );
    }
    let exchanges = outcome
        .report
        .categories
        .iter()
        .flat_map(|c| &c.cases)
        .flat_map(|c| &c.exchanges);
    for exchange in exchanges {
        for (name, value) in &exchange.headers {
            if name == "authorization" {
                assert!(value.ends_with("<redacted>"), "{value}");
            }
        }
    }
}

/// Whether `text` holds an access token as the embedded service issues them
/// (`mpcert.` and 32 hexadecimal digits).
fn contains_access_token(text: &str) -> bool {
    text.match_indices("mpcert.").any(|(at, _)| {
        let tail = &text[at + "mpcert.".len()..];
        tail.len() >= 32 && tail.chars().take(32).all(|c| c.is_ascii_hexdigit())
    })
}

#[tokio::test]
async fn a_custom_catalogue_is_uploaded_and_named_in_the_report_and_certificate() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    for (name, text) in mpcert::catalogue::builtin::FILES {
        let file = name.rsplit('/').next().unwrap_or(name);
        std::fs::write(dir.path().join(file), text).unwrap_or_else(|e| panic!("write: {e}"));
    }
    let mut config = config(Conduct::default(), None);
    config.catalogue = mpcert::config::CatalogueSource::Dir(dir.path().to_path_buf());
    let outcome = run(config).await;
    assert_eq!(outcome.exit_code(), 0);
    let catalogue = &outcome.report.meta.catalogue;
    assert!(catalogue.is_custom(), "{catalogue:?}");
    let builtin = mpcert::catalogue::builtin::load().unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(
        catalogue.digest, builtin.digest,
        "file names are part of the digest"
    );
    let Some(certificate) = &outcome.report.certificate else {
        panic!("every case passed");
    };
    assert_eq!(&certificate.catalogue, catalogue);
    assert!(
        mpcert::report::console::totals(&outcome.report)
            .contains(&format!("custom catalogue {}", catalogue.digest))
    );
}

/// A case whose first step the service refuses (a payment in a currency the Danish store does not
/// take), followed by steps that use the id it should have saved.
const FAILING_FIRST_STEP: &str = r#"
category:
  id: payments
  title: Payments
  summary: s
cases:
  - id: wrong-currency
    title: t
    summary: s
    evidence: inferred
    steps:
      - do: pay
        with:
          posId: "{{posId}}"
          orderId: "order-{{unique}}"
          amount: 10.00
          currencyCode: EUR
        expect: { result: { status: Reserved } }
        save: { paymentId: result.paymentId }
      - do: capture
        with: { paymentId: "{{paymentId}}", amount: 10.00 }
        expect: { result: { status: Captured } }
      - do: refund
        with: { paymentId: "{{paymentId}}", amount: 10.00, currencyCode: EUR, refundOrderId: r-1 }
        expect: { present: [refundId] }
"#;

#[tokio::test]
async fn a_failed_step_fails_its_case_and_no_later_step_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let onboarding = mpcert::catalogue::builtin::FILES
        .iter()
        .find(|(name, _)| name.ends_with("onboarding.yaml"))
        .map_or_else(|| panic!("no onboarding file"), |(_, text)| *text);
    std::fs::write(dir.path().join("onboarding.yaml"), onboarding)
        .unwrap_or_else(|e| panic!("write: {e}"));
    std::fs::write(dir.path().join("payments.yaml"), FAILING_FIRST_STEP)
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut config = config(Conduct::default(), None);
    config.catalogue = mpcert::config::CatalogueSource::Dir(dir.path().to_path_buf());
    let outcome = run(config).await;
    assert_eq!(outcome.exit_code(), 1);
    let failed = case(&outcome.report, "payments/wrong-currency");
    assert!(
        matches!(failed.verdict, Verdict::Failed { .. }),
        "a failed step fails the case, whatever later steps needed: {:?}",
        failed.verdict
    );
    assert!(
        rules(failed).contains(&"step-succeeded".to_string()),
        "{:?}",
        rules(failed)
    );
    let outcomes: Vec<&StepOutcome> = failed.steps.iter().map(|s| &s.outcome).collect();
    assert!(
        matches!(outcomes[0], StepOutcome::Failed { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1..], [&StepOutcome::NotRun, &StepOutcome::NotRun]);
}

#[tokio::test]
async fn the_finnish_merchant_is_certified_with_every_payment_in_euro() {
    let mut config = config(Conduct::default(), None);
    config.merchant_vat = "FI90000040".into();
    let outcome = run(config).await;
    let report = &outcome.report;
    let cases: Vec<_> = report.categories.iter().flat_map(|c| &c.cases).collect();
    let passed = cases
        .iter()
        .filter(|c| c.verdict == Verdict::Passed)
        .count();
    assert_eq!(passed, crate::support::default_profile_case_count());
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(report.meta.merchant_vat, "FI90000040");
    let Some(certificate) = &report.certificate else {
        panic!("every case passed");
    };
    assert_eq!(certificate.merchant_vat, "FI90000040");
    let exchanges: Vec<_> = cases.iter().flat_map(|c| &c.exchanges).collect();
    let currencies = |endpoint: &str| -> Vec<String> {
        (exchanges.iter())
            .filter(|e| e.endpoint.as_deref() == Some(endpoint))
            .flat_map(|e| [e.request_json(), e.response_json()])
            .flatten()
            .filter_map(|body| body["currencyCode"].as_str().map(str::to_string))
            .collect()
    };
    for endpoint in [
        "POST /payments",
        "POST /payments/{paymentid}/ready",
        "GET /payments/{paymentid}",
        "POST /refunds",
        "GET /refunds/{refundid}",
    ] {
        let seen = currencies(endpoint);
        assert!(!seen.is_empty(), "no currency on {endpoint}");
        assert!(seen.iter().all(|c| c == "EUR"), "{endpoint}: {seen:?}");
    }
}
