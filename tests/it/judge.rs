//! The judge, proven end to end: each deliberate misbehaviour of the reference client makes the
//! case that targets it fail with the expected rule, exit code 1, and a JUnit failure of that
//! type; a client reporting statuses it never polled is caught on evidence alone; the correct
//! client passes everything; and calls made straight over the session API without a merchant or
//! client id are named by their own rules.

use mpcert::app::RunOutcome;
use mpcert::catalogue::model::Profile;
use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::config::RunConfig;
use mpcert::driver::plan::OUTSIDE_PROFILE;
use mpcert::pos::PaymentStatus;
use mpcert::report::Verdict;

use crate::support::{case, config, junit_cases, read, rules, run};

/// Runs with `conduct`, asserts `target` fails first with `rule` (also in JUnit) and the run
/// exits 1; returns the run for further assertions.
async fn assert_caught(conduct: Conduct, target: &str, rule: &str) -> RunOutcome {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let junit = dir.path().join("junit.xml");
    let outcome = run(strict(config(conduct, Some(junit.clone())))).await;
    let targeted = case(&outcome.report, target);
    assert_eq!(
        rules(targeted).first().map(String::as_str),
        Some(rule),
        "{target} should fail first with {rule}: {:#?}",
        targeted.verdict
    );
    assert_eq!(outcome.exit_code(), 1);
    let (category, case_id) = target.split_once('/').unwrap_or_default();
    let junit_case = junit_cases(&read(&junit))
        .into_iter()
        .find(|c| {
            c.classname == format!("mpcert.{category}")
                && c.name.starts_with(&format!("{case_id} "))
        })
        .unwrap_or_else(|| panic!("no JUnit testcase for {target}"));
    assert!(
        junit_case
            .children
            .contains(&("failure".to_string(), Some(rule.to_string()))),
        "JUnit testcase {target} should carry <failure type=\"{rule}\">: {:?}",
        junit_case.children
    );
    outcome
}

/// The run in the strict profile, which judges every case of the catalogue.
fn strict(mut config: RunConfig) -> RunConfig {
    config.profile = Profile::Strict;
    config
}

#[tokio::test]
async fn the_correct_client_passes_every_case_in_both_profiles() {
    for profile in Profile::ALL {
        let mut config = config(Conduct::default(), None);
        config.profile = profile;
        let outcome = run(config).await;
        let verdicts: Vec<(String, &Verdict)> = outcome
            .report
            .categories
            .iter()
            .flat_map(|c| {
                c.cases
                    .iter()
                    .map(move |k| (format!("{}/{}", c.id, k.id), &k.verdict))
            })
            .collect();
        assert!(verdicts.len() >= 7);
        let mut passed = 0;
        for (id, verdict) in &verdicts {
            match verdict {
                Verdict::Passed => passed += 1,
                Verdict::Skipped { reason } if profile == Profile::Mobilepay => {
                    assert_eq!(reason, OUTSIDE_PROFILE, "{id}");
                }
                other => panic!("{id} in the {} profile: {other:?}", profile.as_str()),
            }
        }
        assert!(
            passed >= 7,
            "{passed} passed in the {} profile",
            profile.as_str()
        );
        assert_eq!(outcome.exit_code(), 0);
        let certified = outcome.report.certificate.map(|c| c.profile);
        assert_eq!(certified, Some(profile));
    }
}

#[tokio::test]
async fn a_fresh_idempotency_key_on_retry_fails_onboarding() {
    let conduct = Conduct::misbehaving(Misbehaviour::FreshKeyOnRetry);
    let outcome = assert_caught(
        conduct,
        "onboarding/onboard-pos",
        "idempotency-key-reused-on-retry",
    )
    .await;
    for target in [
        "refunds/refund-complete",
        "prepared-payments/prepared-complete",
    ] {
        let found = rules(case(&outcome.report, target));
        assert_eq!(
            found.first().map(String::as_str),
            Some("idempotency-key-reused-on-retry"),
            "{target} retried under a new key: {found:?}"
        );
    }
}

#[tokio::test]
async fn ignoring_poll_delay_fails_the_complete_payment() {
    let conduct = Conduct::misbehaving(Misbehaviour::IgnorePollDelay);
    assert_caught(conduct, "payments/payment-complete", "poll-delay-respected").await;
}

#[tokio::test]
async fn polling_at_a_fixed_interval_fails_the_complete_payment() {
    // The customer needs three polls to reach Reserved; the service varies pollDelayInMs so at
    // least one of the two waits it asks for is twice the client's fixed 1 s (scaled).
    let conduct = Conduct::misbehaving(Misbehaviour::FixedPollInterval);
    assert_caught(conduct, "payments/payment-complete", "poll-delay-respected").await;
}

#[tokio::test]
async fn omitting_the_version_header_fails_the_first_case() {
    let conduct = Conduct::misbehaving(Misbehaviour::OmitVersionHeader);
    assert_caught(conduct, "onboarding/onboard-pos", "version-header").await;
}

/// In every profile: a client that waits a held answer out fails.
#[tokio::test]
async fn waiting_out_a_held_request_fails_onboarding() {
    let conduct = Conduct::misbehaving(Misbehaviour::WaitOutHeldRequests);
    assert_caught(conduct, "onboarding/onboard-pos", "held-answer-abandoned").await;
}

#[tokio::test]
async fn not_cleaning_up_after_409_fails_the_cleanup_case_only() {
    let conduct = Conduct::misbehaving(Misbehaviour::SkipConflictCleanup);
    assert_caught(
        conduct,
        "payments/payment-cleanup-active",
        "active-payment-cleaned-up",
    )
    .await;
    let outcome = run(strict(config(conduct, None))).await;
    for category in &outcome.report.categories {
        for case in &category.cases {
            if case.id != "payment-cleanup-active" {
                assert_eq!(case.verdict, Verdict::Passed, "{}/{}", category.id, case.id);
            }
        }
    }
}

/// The rule ids of the findings of step `index` of `target`.
fn step_rules(outcome: &RunOutcome, target: &str, index: usize) -> Vec<String> {
    match &case(&outcome.report, target).verdict {
        Verdict::Failed { findings } => findings
            .iter()
            .filter(|f| f.step == Some(index))
            .map(|f| f.rule.clone())
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn reporting_reserved_without_polling_is_caught_on_evidence() {
    let conduct = Conduct {
        report_without_polling: Some(PaymentStatus::Reserved),
        ..Conduct::default()
    };
    let outcome = assert_caught(
        conduct,
        "payments/payment-user-cancelled",
        "result-status-served",
    )
    .await;
    // Reserved is all payment-capture-retry expects of its first step: only the evidence tells
    // the lie from the truth there.
    assert_eq!(
        step_rules(&outcome, "payments/payment-capture-retry", 0),
        vec!["result-status-served"]
    );
}

#[tokio::test]
async fn reporting_the_expected_cancellation_without_polling_fails_on_evidence_alone() {
    let conduct = Conduct {
        report_without_polling: Some(PaymentStatus::CancelledByUser),
        ..Conduct::default()
    };
    let target = "payments/payment-user-cancelled";
    let outcome = assert_caught(conduct, target, "result-status-served").await;
    // No conduct rule or step expectation sees this lie: without the evidence rule it would pass.
    assert_eq!(
        rules(case(&outcome.report, target)),
        vec!["result-status-served"]
    );
}

/// The findings of a case finished over the session API, as (rule, exchange) pairs.
fn findings_of(record: &serde_json::Value) -> Vec<(String, u64)> {
    record["verdict"]["findings"]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .map(|f| {
                    let rule = f["rule"].as_str().unwrap_or_default().to_string();
                    (rule, f["exchange"].as_u64().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_call_naming_no_merchant_or_client_id_is_named_by_its_own_rules() {
    use crate::pos_client::{DK, Pos, cases, open, service, session_request};
    use mpcert::pos::Endpoint;

    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    let case = "onboarding/onboard-pos";
    session.start(&http, case).await;
    let pos = Pos::header(&service, &session, DK).await;
    let query = "merchantBrandId=MPPOSCERT1&merchantLocationId=00001";
    let (status, _) = pos.call(Endpoint::GetStores, None, query, None).await;
    assert_eq!(status, 200);
    let (status, answer) = pos
        .without_vat()
        .call(Endpoint::GetStores, None, query, None)
        .await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("1151")));
    let response = http
        .post(format!("{}/finish", session.url))
        .bearer_auth(&session.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"));
    let record: serde_json::Value = response.json().await.unwrap_or_default();
    let exchanges = record["exchanges"].as_array().cloned().unwrap_or_default();
    let seq_of = |index: usize| exchanges[index]["seq"].as_u64().unwrap_or_default();
    let pos_calls: Vec<usize> = (0..exchanges.len())
        .filter(|&i| exchanges[i]["endpoint"].is_string())
        .collect();
    assert_eq!(pos_calls.len(), 2, "{record}");
    let (named, unnamed) = (seq_of(pos_calls[0]), seq_of(pos_calls[1]));
    assert_eq!(exchanges[pos_calls[0]]["merchantVatFrom"], "header");
    assert_eq!(exchanges[pos_calls[1]]["merchantVatFrom"], "none");
    assert_eq!(
        findings_of(&record),
        vec![
            ("client-id-header".to_string(), named),
            ("merchant-vat-sent".to_string(), unnamed),
        ],
        "the refusal is named by the merchant rule alone: {record}"
    );
    service.stop().await;
}

#[tokio::test]
async fn a_client_playing_its_own_customer_is_caught() {
    use crate::pos_client::{cases, open, service, session_request};

    let service = service(0.01).await;
    let http = reqwest::Client::new();
    let session = open(&http, &service, &session_request(&cases(&[]), None)).await;
    session.start(&http, "onboarding/onboard-pos").await;
    let secret = |field: &str| {
        session.created[field]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let simulated = http
        .post(format!(
            "{}/pos/app/usersimulation/acceptpayment",
            service.url()
        ))
        .header("x-ibm-client-id", secret("clientId"))
        .header("x-ibm-client-secret", secret("clientSecret"))
        .json(&serde_json::json!({ "beaconId": "123456789012345" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("user simulation: {e}"));
    assert_ne!(
        simulated.status().as_u16(),
        401,
        "the session's own credentials"
    );
    let record: serde_json::Value = http
        .post(format!("{}/finish", session.url))
        .bearer_auth(&session.token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("finish: {e}"))
        .json()
        .await
        .unwrap_or_default();
    let rules: Vec<String> = findings_of(&record).into_iter().map(|(r, _)| r).collect();
    assert!(
        rules.contains(&"customer-not-simulated".to_string()),
        "{record}"
    );
    service.stop().await;
}
