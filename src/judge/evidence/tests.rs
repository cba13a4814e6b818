//! Tests of `evidence`.

use serde_json::json;

use super::*;
use crate::judge::fixtures::{
    Evidence, Ex, call, observed, ok, poll, report, rules_of, step, with_params,
};

const PAY_ID: &str = "3f2b8c1e-5d4a-4b6f-9e21-7a0c6d8e9f10";

/// A `pay` step reported with `result` after `exchanges`.
fn judged_pay(exchanges: Vec<Ex>, result: Value) -> Vec<Finding> {
    let evidence = Evidence::of(exchanges).with_steps(
        vec![step(Operation::Pay)],
        vec![report(0, Operation::Pay, ok(result))],
    );
    check_steps(&evidence.get())
}

fn initiated(seq: u64) -> Ex {
    call(seq, Endpoint::InitiatePayment).response(json!({ "paymentId": PAY_ID }))
}

/// A `capture` of `amount` (step 1, after a `pay` in step 0), reported `Captured`, with the
/// service holding the payment as `status` with `captured`.
fn judged_capture(
    expect_status: Option<&str>,
    status: PaymentStatus,
    captured: Option<f64>,
) -> Vec<Finding> {
    let mut capture = step(Operation::Capture);
    if let Some(expected) = expect_status {
        capture
            .expect
            .result
            .insert("status".to_string(), json!(expected));
    }
    let mut evidence = Evidence::of(vec![
        initiated(1),
        poll(2, PAY_ID, "Reserved"),
        call(3, Endpoint::CapturePayment).id(PAY_ID).step(1),
    ])
    .with_steps(
        vec![step(Operation::Pay), capture],
        vec![
            report(
                0,
                Operation::Pay,
                ok(json!({ "paymentId": PAY_ID, "status": "Reserved" })),
            ),
            with_params(
                report(1, Operation::Capture, ok(json!({ "status": "Captured" }))),
                json!({ "paymentId": PAY_ID, "amount": 100.0 }),
            ),
        ],
    );
    evidence.observations = vec![
        observed(PAY_ID, PaymentStatus::Reserved, None),
        observed(PAY_ID, status, captured),
    ];
    check_steps(&evidence.get())
}

#[test]
fn reports_that_match_what_was_served_pass() {
    assert_eq!(
        judged_capture(None, PaymentStatus::Captured, Some(100.0)),
        Vec::new()
    );
    let findings = judged_pay(
        vec![
            call(1, Endpoint::CreatePos).response(json!({ "posId": "POS-1" })),
            initiated(2),
            poll(3, PAY_ID, "Initiated"),
            poll(4, PAY_ID, "CancelledByUser"),
        ],
        json!({ "posId": "pos-1", "paymentId": PAY_ID.to_uppercase(), "status": "CancelledByUser" }),
    );
    assert_eq!(findings, Vec::new());
}

#[test]
fn an_id_recovered_from_a_listing_was_served() {
    let findings = judged_pay(
        vec![
            call(1, Endpoint::InitiatePayment).hold200().hung_up(),
            call(2, Endpoint::QueryPaymentIds)
                .query("posId=pos-1")
                .response(json!({ "paymentIds": ["other", PAY_ID] })),
        ],
        json!({ "paymentId": PAY_ID }),
    );
    assert_eq!(findings, Vec::new());
}

#[test]
fn an_id_the_service_never_served_is_a_finding() {
    let findings = judged_pay(
        vec![call(1, Endpoint::InitiatePayment).response(json!({ "paymentId": "pay-1" }))],
        json!({ "paymentId": "made-up" }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_ID_SERVED]);
    assert_eq!((findings[0].step, findings[0].exchange), (Some(0), None));
    assert_eq!(
        findings[0].message,
        "the client reported paymentId made-up, but the service never served that id in this case"
    );
}

#[test]
fn an_id_served_only_in_a_later_step_does_not_count() {
    let evidence = Evidence::of(vec![initiated(1).step(1)]).with_steps(
        vec![step(Operation::Pay), step(Operation::Pay)],
        vec![
            report(0, Operation::Pay, ok(json!({ "paymentId": PAY_ID }))),
            report(1, Operation::Pay, ok(json!({ "paymentId": PAY_ID }))),
        ],
    );
    let findings = check_steps(&evidence.get());
    assert_eq!(rules_of(&findings), vec![RESULT_ID_SERVED]);
    assert_eq!(findings[0].step, Some(0));
}

#[test]
fn a_status_never_answered_is_a_finding_naming_what_was_served() {
    let findings = judged_pay(
        vec![
            initiated(1),
            poll(2, PAY_ID, "Initiated"),
            poll(3, PAY_ID, "IssuedToUser"),
            poll(4, PAY_ID, "IssuedToUser"),
            poll(5, "another-payment", "CancelledByUser"),
        ],
        json!({ "paymentId": PAY_ID, "status": "CancelledByUser" }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
    assert_eq!((findings[0].step, findings[0].exchange), (Some(0), Some(4)));
    assert_eq!(
        findings[0].message,
        format!(
            "the client reported status CancelledByUser for payment {PAY_ID}, but the service never answered that status for it (it served: Initiated, IssuedToUser)"
        )
    );
}

#[test]
fn a_status_reported_without_polling_is_a_finding() {
    let findings = judged_pay(
        vec![initiated(1)],
        json!({ "paymentId": PAY_ID, "status": "CancelledByUser" }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
    assert_eq!(findings[0].exchange, None);
    assert!(
        findings[0]
            .message
            .ends_with("(it never answered a poll or action for it)"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn a_status_without_a_payment_or_refund_is_a_finding() {
    let findings = judged_pay(vec![initiated(1)], json!({ "status": "Reserved" }));
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
    assert!(findings[0].message.contains("named no payment or refund"));
}

#[test]
fn successful_actions_serve_the_status_they_imply() {
    let evidence = Evidence::of(vec![
        initiated(1),
        poll(2, PAY_ID, "Reserved"),
        call(3, Endpoint::CancelPayment).id(PAY_ID).step(1),
        call(4, Endpoint::CaptureRefund).id("refund-1").step(2),
    ])
    .with_steps(
        vec![
            step(Operation::Pay),
            step(Operation::Cancel),
            step(Operation::CaptureRefund),
        ],
        vec![
            report(
                0,
                Operation::Pay,
                ok(json!({ "paymentId": PAY_ID, "status": "Reserved" })),
            ),
            with_params(
                report(
                    1,
                    Operation::Cancel,
                    ok(json!({ "status": "CancelledByClient" })),
                ),
                json!({ "paymentId": PAY_ID }),
            ),
            with_params(
                report(
                    2,
                    Operation::CaptureRefund,
                    ok(json!({ "status": "Captured" })),
                ),
                json!({ "refundId": "refund-1" }),
            ),
        ],
    );
    assert_eq!(check_steps(&evidence.get()), Vec::new());
}

#[test]
fn a_refund_status_is_judged_against_the_refund_not_its_payment() {
    let evidence = Evidence::of(vec![
        poll(1, PAY_ID, "Captured"),
        call(2, Endpoint::CreateRefund).response(json!({ "refundId": "refund-1" })),
        call(3, Endpoint::GetRefund)
            .id("refund-1")
            .response(json!({ "refundId": "refund-1", "status": "Reserved" })),
    ])
    .with_steps(
        vec![step(Operation::Refund)],
        vec![with_params(
            report(
                0,
                Operation::Refund,
                ok(json!({ "refundId": "refund-1", "status": "Captured" })),
            ),
            json!({ "paymentId": PAY_ID }),
        )],
    );
    let findings = check_steps(&evidence.get());
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
    assert!(
        findings[0]
            .message
            .contains("for refund refund-1, but the service never answered that status for it (it served: Reserved)"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn an_answer_the_client_hung_up_on_serves_nothing() {
    let findings = judged_pay(
        vec![
            initiated(1).hold200().hung_up(),
            poll(2, "pay-2", "CancelledByUser").hold200().hung_up(),
        ],
        json!({ "paymentId": PAY_ID }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_ID_SERVED]);
    let findings = judged_pay(
        vec![
            call(1, Endpoint::InitiatePayment).response(json!({ "paymentId": "pay-2" })),
            poll(2, "pay-2", "CancelledByUser").hold200().hung_up(),
        ],
        json!({ "paymentId": "pay-2", "status": "CancelledByUser" }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
    assert_eq!(findings[0].exchange, None);
}

#[test]
fn a_refused_call_serves_nothing() {
    let findings = judged_pay(
        vec![
            initiated(1),
            call(2, Endpoint::CapturePayment)
                .id(PAY_ID)
                .refused(crate::pos::ErrorCode::PaymentNotReserved),
        ],
        json!({ "paymentId": PAY_ID, "status": "Captured" }),
    );
    assert_eq!(rules_of(&findings), vec![RESULT_STATUS_SERVED]);
}

#[test]
fn capturing_another_amount_is_a_finding() {
    let findings = judged_capture(None, PaymentStatus::Captured, Some(60.0));
    assert_eq!(rules_of(&findings), vec![CAPTURE_AMOUNT_SERVED]);
    assert_eq!((findings[0].step, findings[0].exchange), (Some(1), Some(3)));
    assert_eq!(
        findings[0].message,
        format!("the step asked to capture 100 of payment {PAY_ID}, but the service captured 60")
    );
}

#[test]
fn a_capture_the_service_does_not_show_is_a_finding() {
    let findings = judged_capture(Some("Captured"), PaymentStatus::Reserved, None);
    assert_eq!(rules_of(&findings), vec![CAPTURE_AMOUNT_SERVED]);
    assert!(
        findings[0]
            .message
            .ends_with("but it is not captured, status Reserved"),
        "unexpected message: {}",
        findings[0].message
    );
}

#[test]
fn a_capture_step_expected_to_end_otherwise_owes_no_capture() {
    assert_eq!(
        judged_capture(
            Some("CancelledByClient"),
            PaymentStatus::CancelledByClient,
            None
        ),
        Vec::new()
    );
}

#[test]
fn a_capture_of_a_payment_the_service_does_not_hold_is_a_finding() {
    let mut evidence = Evidence::of(vec![call(1, Endpoint::CapturePayment).id("elsewhere")])
        .with_steps(
            vec![step(Operation::Capture)],
            vec![with_params(
                report(0, Operation::Capture, ok(json!({}))),
                json!({ "paymentId": "elsewhere", "amount": 10.0 }),
            )],
        );
    evidence.observations = vec![observed(PAY_ID, PaymentStatus::Captured, Some(10.0))];
    let findings = check_steps(&evidence.get());
    assert_eq!(rules_of(&findings), vec![CAPTURE_AMOUNT_SERVED]);
    assert!(
        findings[0]
            .message
            .ends_with("but the service holds no such payment in this case")
    );
}

#[test]
fn steps_the_client_did_not_report_done_are_not_judged_on_evidence() {
    let evidence = Evidence::of(Vec::new()).with_steps(
        vec![step(Operation::Capture)],
        vec![with_params(
            report(
                0,
                Operation::Capture,
                StepOutcome::Failed {
                    message: "refused".to_string(),
                },
            ),
            json!({ "paymentId": PAY_ID, "amount": 10.0 }),
        )],
    );
    assert_eq!(check_steps(&evidence.get()), Vec::new());
}
