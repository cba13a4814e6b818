//! Tests of `rules`.

use serde_json::json;

use super::*;
use crate::catalogue::model::Profile;
use crate::judge::evidence;
use crate::judge::fixtures::{
    Evidence, Ex, VERSION_HEADER_NAME, build, call, off_api, poll, rules_of,
};
use crate::pos::ErrorCode;

fn pay(seq: u64, key: &str) -> Ex {
    call(seq, Endpoint::InitiatePayment)
        .key(key)
        .body(json!({ "posId": "pos-1", "orderId": "order-1", "amount": 25.0 }))
}

fn cancel(seq: u64, payment_id: &str) -> Ex {
    call(seq, Endpoint::CancelPayment).id(payment_id)
}

fn messages(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn a_missing_version_header_is_reported_once_at_the_first_call() {
    let exchanges = build(vec![
        poll(1, "pay-1", "Initiated"),
        poll(2, "pay-1", "Initiated").without_header(VERSION_HEADER_NAME),
        poll(3, "pay-1", "Initiated").without_header(VERSION_HEADER_NAME),
        poll(4, "pay-1", "Initiated").without_header(VERSION_HEADER_NAME),
    ]);
    let findings = check_version_header(&exchanges, "1.0.0");
    assert_eq!(rules_of(&findings), vec![VERSION_HEADER]);
    assert_eq!(findings[0].exchange, Some(2));
    let message = &findings[0].message;
    assert!(
        message.contains("carried no X-MobilePay-Client-System-Version")
            && message.contains("(and 2 more calls)"),
        "unexpected message: {message}"
    );
}

#[test]
fn another_version_is_reported_with_the_declared_value() {
    let exchanges = build(vec![
        poll(1, "pay-1", "Initiated"),
        poll(2, "pay-1", "Initiated")
            .without_header(VERSION_HEADER_NAME)
            .header(VERSION_HEADER_NAME, "2.0.0"),
    ]);
    let findings = check_version_header(&exchanges, "1.0.0");
    assert_eq!(rules_of(&findings), vec![VERSION_HEADER]);
    assert_eq!(findings[0].exchange, Some(2));
    let message = &findings[0].message;
    assert!(
        message.contains("`2.0.0`") && message.contains("`1.0.0`"),
        "unexpected message: {message}"
    );
    assert!(
        !message.contains("more calls"),
        "unexpected message: {message}"
    );
}

#[test]
fn calls_outside_the_pos_api_need_no_version_header() {
    let exchanges = build(vec![
        off_api(1, "POST", "/integrator-authentication/connect/token"),
        poll(2, "pay-1", "Initiated"),
    ]);
    assert_eq!(check_version_header(&exchanges, "1.0.0"), Vec::new());
}

#[test]
fn calls_about_a_payment_seen_terminal_are_flagged() {
    let exchanges = build(vec![
        poll(1, "pay-1", "IssuedToUser"),
        poll(2, "pay-1", "CancelledByUser"),
        cancel(3, "pay-1"),
        poll(4, "pay-1", "CancelledByUser"),
    ]);
    let findings = check_after_terminal(&exchanges);
    assert_eq!(rules_of(&findings), vec![AFTER_TERMINAL, AFTER_TERMINAL]);
    assert_eq!(
        findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
        vec![Some(3), Some(4)]
    );
    assert!(
        findings[0].message.contains("call #2") && findings[0].message.contains("CancelledByUser"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn a_terminal_payment_does_not_taint_other_payments() {
    let exchanges = build(vec![
        poll(1, "pay-1", "CancelledByUser"),
        cancel(2, "pay-2"),
        poll(3, "pay-2", "CancelledByClient"),
    ]);
    assert_eq!(check_after_terminal(&exchanges), Vec::new());
}

#[test]
fn retrying_a_held_cancel_is_not_an_action_after_a_terminal_state() {
    let exchanges = build(vec![
        poll(1, "pay-1", "Initiated"),
        cancel(2, "pay-1").hold200().hung_up(),
        cancel(3, "pay-1").err500(),
        cancel(4, "pay-1"),
        poll(5, "pay-1", "CancelledByClient"),
    ]);
    assert_eq!(check_after_terminal(&exchanges), Vec::new());
}

#[test]
fn listing_payments_is_not_an_action_on_a_terminal_payment() {
    let exchanges = build(vec![
        poll(1, "pay-1", "CancelledByUser"),
        call(2, Endpoint::QueryPaymentIds).query("posId=pos-1"),
    ]);
    assert_eq!(check_after_terminal(&exchanges), Vec::new());
}

#[test]
fn a_conflict_cleaned_up_by_list_cancel_and_initiate_is_clean() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        call(2, Endpoint::QueryPaymentIds)
            .query("posId=pos-1")
            .response(json!({ "paymentIds": ["seeded-1"] })),
        poll(3, "seeded-1", "IssuedToUser"),
        cancel(4, "seeded-1"),
        pay(5, "key-1").response(json!({ "paymentId": "pay-2" })),
    ]);
    assert_eq!(check_conflict_cleanup(&exchanges), Vec::new());
}

#[test]
fn giving_up_after_a_conflict_is_flagged() {
    let exchanges = build(vec![pay(1, "key-1").refused(ErrorCode::PaymentActive)]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(rules_of(&findings), vec![CONFLICT_CLEANUP]);
    assert_eq!(findings[0].exchange, Some(1));
    assert!(
        messages(&findings).contains("gave up"),
        "unexpected message: {}",
        messages(&findings)
    );
}

#[test]
fn initiating_again_without_cancelling_is_flagged() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        pay(2, "key-2").refused(ErrorCode::PaymentActive),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(findings.len(), 2, "{}", messages(&findings));
    assert_eq!(findings[0].exchange, Some(1));
    assert!(
        findings[0]
            .message
            .contains("tried again without cancelling"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn cancelling_without_initiating_again_is_flagged() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        cancel(2, "seeded-1"),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(rules_of(&findings), vec![CONFLICT_CLEANUP]);
    assert!(
        messages(&findings).contains("never initiated again"),
        "unexpected message: {}",
        messages(&findings)
    );
}

#[test]
fn a_cleanup_in_a_later_step_does_not_count() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        cancel(2, "seeded-1").step(1),
        pay(3, "key-2").step(1),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(rules_of(&findings), vec![CONFLICT_CLEANUP]);
    assert!(
        messages(&findings).contains("gave up"),
        "unexpected message: {}",
        messages(&findings)
    );
}

#[test]
fn a_failed_cancel_is_not_a_cleanup() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        cancel(2, "seeded-1").refused(ErrorCode::PaymentNotCancellable),
        pay(3, "key-1"),
    ]);
    let findings = check_conflict_cleanup(&exchanges);
    assert_eq!(rules_of(&findings), vec![CONFLICT_CLEANUP]);
    assert!(
        messages(&findings).contains("tried again without cancelling"),
        "unexpected message: {}",
        messages(&findings)
    );
}

#[test]
fn a_truncated_recording_fails_the_case_and_says_what_was_dropped() {
    let mut evidence = Evidence::of(Vec::new());
    assert_eq!(check_all(&evidence.get()), Vec::new());
    evidence.truncated = Some(Truncation {
        kept: 1000,
        dropped: 41_000,
        dropped_bytes: 9_000_000,
    });
    let findings = check_all(&evidence.get());
    assert_eq!(rules_of(&findings), vec![CALL_VOLUME]);
    assert!(
        findings[0]
            .message
            .starts_with("the client made 42000 calls"),
        "{}",
        findings[0].message
    );
}

#[test]
fn every_open_reservation_is_a_finding() {
    let findings = check_reservations(&["pay-1".to_string(), "pay-2".to_string()]);
    assert_eq!(
        rules_of(&findings),
        vec![RESERVATION_SETTLED, RESERVATION_SETTLED]
    );
    assert!(
        findings
            .iter()
            .all(|f| f.exchange.is_none() && f.step.is_none())
    );
    assert!(findings[0].message.contains("pay-1") && findings[1].message.contains("pay-2"));
    assert_eq!(check_reservations(&[]), Vec::new());
}

#[test]
fn a_400_is_reported_with_its_code_and_message() {
    let exchanges = build(vec![pay(1, "key-1").refused(ErrorCode::InvalidAmount)]);
    let findings = check_accepted(&exchanges);
    assert_eq!(rules_of(&findings), vec![REQUEST_ACCEPTED]);
    assert_eq!(findings[0].exchange, Some(1));
    let message = &findings[0].message;
    assert!(
        message.contains("POST /pos/v10/payments")
            && message.contains("400 code 1102")
            && message.contains("(Invalid amount)"),
        "unexpected message: {message}"
    );
}

#[test]
fn a_404_without_body_is_reported_without_a_code() {
    let exchanges = build(vec![
        call(1, Endpoint::QueryPayment).id("pay-9").status(404),
    ]);
    let findings = check_accepted(&exchanges);
    assert_eq!(rules_of(&findings), vec![REQUEST_ACCEPTED]);
    assert!(
        findings[0].message.ends_with("with 404"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn conflicts_1301_unauthorized_and_server_errors_are_not_refusals() {
    let exchanges = build(vec![
        pay(1, "key-1").refused(ErrorCode::PaymentActive),
        poll(2, "pay-1", "Initiated").status(401),
        pay(3, "key-1").err500(),
        pay(4, "key-1"),
    ]);
    assert_eq!(check_accepted(&exchanges), Vec::new());
}

#[test]
fn another_409_is_a_refusal() {
    let exchanges = build(vec![
        call(1, Endpoint::CapturePayment)
            .id("pay-1")
            .refused(ErrorCode::PartialCaptureImpossible),
    ]);
    let findings = check_accepted(&exchanges);
    assert_eq!(rules_of(&findings), vec![REQUEST_ACCEPTED]);
    assert!(findings[0].message.contains("409 code 1308"));
}

#[test]
fn a_well_behaved_payment_passes_every_rule() {
    let evidence = Evidence::of(vec![
        pay(1, "key-1").hold200().hung_up().at(1_000.0, 3_000.0),
        pay(2, "key-1").err500().at(3_100.0, 3_400.0),
        pay(3, "key-1")
            .at(3_500.0, 3_510.0)
            .response(json!({ "paymentId": "pay-1" })),
        poll(4, "pay-1", "Initiated").at(3_600.0, 3_610.0),
        poll(5, "pay-1", "Reserved").at(4_700.0, 4_710.0),
        call(6, Endpoint::CapturePayment)
            .id("pay-1")
            .body(json!({ "amount": 25.0 }))
            .step(1)
            .at(4_800.0, 4_810.0),
    ]);
    assert_eq!(check_all(&evidence.get()), Vec::new());
}

#[test]
fn check_all_applies_every_rule_family() {
    let mut evidence = Evidence::of(vec![
        pay(1, "key-1").without_header(VERSION_HEADER_NAME),
        pay(2, "key-1").step(1),
        poll(3, "pay-1", "CancelledByUser").at(3_000.0, 3_010.0),
        poll(4, "pay-1", "CancelledByUser").at(3_020.0, 3_030.0),
        call(5, Endpoint::CapturePayment)
            .id("pay-2")
            .hold200()
            .at(5_000.0, 15_000.0),
        pay(6, "key-3").refused(ErrorCode::PaymentActive),
        pay(7, "key-4").refused(ErrorCode::InvalidOrderId),
    ]);
    evidence.open_reservations = vec!["pay-2".to_string()];
    let mut rules = rules_of(&check_all(&evidence.get()))
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    rules.sort();
    let mut expected = vec![
        VERSION_HEADER,
        retry::KEY_UNIQUE,
        timing::HELD_ANSWER,
        timing::POLL_DELAY,
        AFTER_TERMINAL,
        CONFLICT_CLEANUP,
        RESERVATION_SETTLED,
        REQUEST_ACCEPTED,
    ];
    expected.sort();
    assert_eq!(rules, expected);
}

#[test]
fn the_documented_timeouts_are_judged_in_the_strict_profile_only() {
    let mut evidence = Evidence::of(vec![
        pay(1, "key-1").hold200().at(0.0, 5_000.0).hung_up(),
        pay(2, "key-1"),
    ]);
    evidence.profile = Profile::Mobilepay;
    assert_eq!(
        check_all(&evidence.get()),
        Vec::new(),
        "5 s passes the default"
    );
    evidence.profile = Profile::Strict;
    assert_eq!(rules_of(&check_all(&evidence.get())), vec![timing::TIMEOUT]);
    assert_eq!(rule_profiles(timing::TIMEOUT), &[Profile::Strict]);
    assert_eq!(rule_profiles(timing::HELD_ANSWER), &Profile::ALL);
}

#[test]
fn every_rule_id_is_documented_once() {
    let mut ids: Vec<&str> = RULES
        .iter()
        .chain(evidence::RULES)
        .map(|(id, _)| *id)
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count);
    for id in [
        VERSION_HEADER,
        AFTER_TERMINAL,
        CONFLICT_CLEANUP,
        RESERVATION_SETTLED,
        REQUEST_ACCEPTED,
        retry::KEY_PRESENT,
        retry::KEY_UNIQUE,
        retry::KEY_REUSED_ON_RETRY,
        retry::RETRY_BODY,
        retry::RETRY_LIMIT,
        timing::TIMEOUT,
        timing::HELD_ANSWER,
        timing::POLL_DELAY,
        evidence::RESULT_ID_SERVED,
        evidence::RESULT_STATUS_SERVED,
        evidence::CAPTURE_AMOUNT_SERVED,
    ] {
        assert!(ids.contains(&id), "{id} is not documented");
    }
}
