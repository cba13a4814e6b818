//! The reference client's deliberate misbehaviours, proven caught end to end: each switch whose
//! fault the built-in catalogue can provoke today makes the case that targets it fail, in the
//! strict profile, with a finding of the rule named here among its findings (other rules may
//! report the same fault too, and may come first).

use mpcert::catalogue::model::Profile;
use mpcert::client::reference::{Conduct, Misbehaviour};
use mpcert::report::Verdict;

use crate::support::{case, config, rules, run};

/// Runs the category of `target` (onboarding comes along) in the strict profile with
/// `misbehaviour`, and asserts `target` fails with a finding of each of `expected` and the run
/// exits 1.
async fn assert_caught(misbehaviour: Misbehaviour, target: &str, expected: &[&str]) {
    let mut config = config(Conduct::misbehaving(misbehaviour), None);
    config.profile = Profile::Strict;
    let (category, _) = target.split_once('/').unwrap_or_default();
    config.categories = vec![category.to_string()];
    let outcome = run(config).await;
    let targeted = case(&outcome.report, target);
    assert!(
        matches!(targeted.verdict, Verdict::Failed { .. }),
        "{} should fail {target}: {:#?}",
        misbehaviour.name(),
        targeted.verdict
    );
    let found = rules(targeted);
    for rule in expected {
        assert!(
            found.iter().any(|r| r == rule),
            "{} should fail {target} with {rule}: {found:?}",
            misbehaviour.name()
        );
    }
    assert_eq!(outcome.exit_code(), 1);
}

#[tokio::test]
async fn a_changed_body_on_retry_fails_onboarding() {
    let rule = Misbehaviour::ChangedBodyOnRetry.rule();
    assert_caught(
        Misbehaviour::ChangedBodyOnRetry,
        "onboarding/onboard-pos",
        &[rule],
    )
    .await;
}

#[tokio::test]
async fn a_missing_merchant_vat_is_refused_from_the_first_call() {
    let target = "onboarding/onboard-pos";
    assert_caught(Misbehaviour::OmitMerchantVat, target, &["request-accepted"]).await;
}

#[tokio::test]
async fn repeating_a_refused_initiate_fails_the_cleanup_case() {
    let target = "payments/payment-cleanup-active";
    assert_caught(
        Misbehaviour::RetryRefusedRequest,
        target,
        &["active-payment-cleaned-up"],
    )
    .await;
}

#[tokio::test]
async fn polling_after_a_terminal_state_fails_the_cancelled_payment() {
    let rule = Misbehaviour::ActAfterTerminal.rule();
    assert_caught(
        Misbehaviour::ActAfterTerminal,
        "payments/payment-user-cancelled",
        &[rule],
    )
    .await;
}

#[tokio::test]
async fn capturing_before_reserved_is_refused() {
    let target = "payments/payment-complete";
    assert_caught(
        Misbehaviour::CaptureBeforeReserved,
        target,
        &["request-accepted"],
    )
    .await;
}

#[tokio::test]
async fn capturing_the_wrong_amount_fails_the_partial_capture() {
    let target = "payments/payment-partial-capture";
    assert_caught(
        Misbehaviour::CaptureWrongAmount,
        target,
        &["capture-amount-served"],
    )
    .await;
}

#[tokio::test]
async fn an_impossible_partial_capture_leaves_the_reservation_open() {
    let target = "payments/payment-no-partial-capture";
    let misbehaviour = Misbehaviour::PartialCaptureWhenNotPossible;
    let rules = ["request-accepted", "reservation-settled"];
    assert_caught(misbehaviour, target, &rules).await;
}

#[tokio::test]
async fn a_refund_never_captured_fails_the_complete_refund() {
    let target = "refunds/refund-complete";
    assert_caught(Misbehaviour::RefundNeverCaptured, target, &["step-result"]).await;
}

#[tokio::test]
async fn readying_before_paired_fails_the_complete_prepared_payment() {
    let target = "prepared-payments/prepared-complete";
    assert_caught(Misbehaviour::ReadyBeforePaired, target, &["step-result"]).await;
}

#[tokio::test]
async fn restrictions_on_the_prepare_are_refused() {
    let target = "prepared-payments/prepared-client-cancel";
    assert_caught(
        Misbehaviour::RestrictionsOnPrepare,
        target,
        &["request-accepted"],
    )
    .await;
}
