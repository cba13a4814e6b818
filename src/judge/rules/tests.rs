//! Tests of `rules`.

use serde_json::json;

use super::*;
use crate::catalogue::model::Profile;
use crate::judge::evidence;
use crate::judge::fixtures::{
    Evidence, VERSION_HEADER_NAME, build, call, cancel, initiate, off_api, poll, rules_of,
};
use crate::pos::{Endpoint, ErrorCode};

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
fn a_400_is_reported_with_its_code_and_message() {
    let exchanges = build(vec![initiate(1, "key-1").refused(ErrorCode::InvalidAmount)]);
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
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        poll(2, "pay-1", "Initiated").status(401),
        initiate(3, "key-1").err500(),
        initiate(4, "key-1"),
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
        initiate(1, "key-1")
            .hold200()
            .hung_up()
            .at(1_000.0, 3_000.0),
        initiate(2, "key-1").err500().at(3_100.0, 3_400.0),
        initiate(3, "key-1")
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
fn the_documented_cleanup_after_a_conflict_passes_every_rule() {
    let evidence = Evidence::of(vec![
        initiate(1, "key-1").refused(ErrorCode::PaymentActive),
        call(2, Endpoint::QueryPaymentIds)
            .query("posId=pos-1")
            .response(json!({ "paymentIds": ["seeded-1"] })),
        cancel(3, "seeded-1"),
        initiate(4, "key-1").response(json!({ "paymentId": "pay-2" })),
    ]);
    assert_eq!(check_all(&evidence.get()), Vec::new());
}

#[test]
fn a_refusal_a_specific_rule_explains_is_not_reported_again() {
    let evidence = Evidence::of(vec![
        poll(1, "pay-1", "Reserved").response(json!({
            "status": "Reserved", "amount": 100.0, "partialCapturePossible": false
        })),
        call(2, Endpoint::CapturePayment)
            .id("pay-1")
            .body(json!({ "amount": 60.0 }))
            .refused(ErrorCode::PartialCaptureImpossible),
        call(3, Endpoint::CapturePayment)
            .id("pay-1")
            .body(json!({ "amount": 60.0 }))
            .refused(ErrorCode::PartialCaptureImpossible)
            .step(1),
        call(4, Endpoint::GetStores)
            .without_header(VERSION_HEADER_NAME)
            .refused(ErrorCode::VersionMissing),
    ]);
    let findings = check_all(&evidence.get());
    let mut by_exchange: Vec<(Option<u64>, &str)> = findings
        .iter()
        .map(|f| (f.exchange, f.rule.as_str()))
        .collect();
    by_exchange.sort();
    assert_eq!(
        by_exchange,
        vec![
            (Some(2), amounts::CAPTURE_AMOUNT),
            (Some(3), amounts::CAPTURE_AMOUNT),
            (Some(3), refusals::NO_BLIND_RETRY),
            (Some(4), VERSION_HEADER),
        ]
    );
}

#[test]
fn check_all_applies_every_rule_family() {
    let mut evidence = Evidence::of(vec![
        initiate(1, "key-1").without_header(VERSION_HEADER_NAME),
        initiate(2, "key-1").step(1),
        poll(3, "pay-1", "CancelledByUser").at(3_000.0, 3_010.0),
        poll(4, "pay-1", "CancelledByUser").at(3_020.0, 3_030.0),
        call(5, Endpoint::CapturePayment)
            .id("pay-2")
            .hold200()
            .at(5_000.0, 15_000.0),
        initiate(6, "key-3").refused(ErrorCode::PaymentActive),
        initiate(7, "key-4").refused(ErrorCode::InvalidOrderId),
        initiate(8, "key-4")
            .refused(ErrorCode::InvalidOrderId)
            .without_header(crate::pos::headers::IBM_CLIENT_ID)
            .merchant_vat_from(Some(crate::exchange::VatSource::Missing)),
        call(9, Endpoint::CreateRefund)
            .key("key-5")
            .body(json!({ "paymentId": "pay-1", "refundOrderId": "r-1", "amount": 0.0 }))
            .err500(),
        call(10, Endpoint::PreparePayment)
            .key("key-6")
            .body(json!({ "posId": "pos-1", "restrictions": { "debitCardDisallowed": true } })),
        call(11, Endpoint::PaymentReady).id("pay-3"),
    ]);
    evidence.open_reservations = vec!["pay-2".to_string()];
    evidence.open_refunds = vec!["ref-1".to_string()];
    evidence.case.steps = vec![
        crate::judge::fixtures::step(crate::catalogue::Operation::Pay),
        crate::judge::fixtures::step(crate::catalogue::Operation::Capture),
    ];
    let mut rules = rules_of(&check_all(&evidence.get()))
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    rules.sort();
    rules.dedup();
    let mut expected = vec![
        VERSION_HEADER,
        headers::MERCHANT_VAT_SENT,
        headers::CLIENT_ID_HEADER,
        retry::KEY_UNIQUE,
        refusals::NO_BLIND_RETRY,
        timing::HELD_ANSWER,
        timing::POLL_DELAY,
        lifecycle::AFTER_TERMINAL,
        lookups::CONFLICT_CLEANUP,
        lookups::LOST_ID_RECOVERED,
        lifecycle::READY_AFTER_PAIRED,
        restrictions::RESTRICTIONS_SENT,
        amounts::CAPTURE_WHEN_RESERVED,
        amounts::REFUND_AMOUNT,
        lifecycle::RESERVATION_SETTLED,
        lifecycle::REFUND_FOLLOWED_UP,
        REQUEST_ACCEPTED,
    ];
    expected.sort();
    assert_eq!(rules, expected);
}

#[test]
fn the_documented_timeouts_are_judged_in_the_strict_profile_only() {
    let mut evidence = Evidence::of(vec![
        initiate(1, "key-1").hold200().at(0.0, 5_000.0).hung_up(),
        initiate(2, "key-1"),
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
    for (id, _) in RULES.iter().filter(|(id, _)| *id != timing::TIMEOUT) {
        assert_eq!(rule_profiles(id), &Profile::ALL, "{id}");
    }
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
        REQUEST_ACCEPTED,
        CALL_VOLUME,
        headers::MERCHANT_VAT_SENT,
        headers::CLIENT_ID_HEADER,
        refusals::NO_BLIND_RETRY,
        lifecycle::AFTER_TERMINAL,
        lifecycle::READY_AFTER_PAIRED,
        lifecycle::RESERVATION_SETTLED,
        lifecycle::REFUND_FOLLOWED_UP,
        lookups::CONFLICT_CLEANUP,
        lookups::LOST_ID_RECOVERED,
        restrictions::RESTRICTIONS_SENT,
        amounts::CAPTURE_WHEN_RESERVED,
        amounts::CAPTURE_AMOUNT,
        amounts::REFUND_AMOUNT,
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
