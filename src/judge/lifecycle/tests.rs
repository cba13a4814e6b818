//! Tests of `lifecycle`.

use serde_json::json;

use super::*;
use crate::catalogue::Operation;
use crate::judge::fixtures::{Evidence, Ex, build, call, cancel, ok, poll, report, rules_of, step};

fn refund_poll(seq: u64, refund_id: &str, status: &str) -> Ex {
    call(seq, Endpoint::GetRefund)
        .id(refund_id)
        .response(json!({ "refundId": refund_id, "status": status, "pollDelayInMs": 1000 }))
}

#[test]
fn calls_about_a_payment_seen_terminal_are_flagged() {
    let exchanges = build(vec![
        poll(1, "pay-1", "IssuedToUser"),
        poll(2, "pay-1", "CancelledByUser"),
        cancel(3, "pay-1"),
        poll(4, "pay-1", "CancelledByUser"),
    ]);
    let findings = check_after_terminal(&exchanges, 1.0);
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
    assert_eq!(check_after_terminal(&exchanges, 1.0), Vec::new());
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
    assert_eq!(check_after_terminal(&exchanges, 1.0), Vec::new());
}

#[test]
fn listing_payments_is_not_an_action_on_a_terminal_payment() {
    let exchanges = build(vec![
        poll(1, "pay-1", "CancelledByUser"),
        call(2, Endpoint::QueryPaymentIds).query("posId=pos-1"),
    ]);
    assert_eq!(check_after_terminal(&exchanges, 1.0), Vec::new());
}

#[test]
fn calls_about_a_refund_seen_terminal_are_flagged() {
    for terminal in [
        "Captured",
        "CancelledByClient",
        "CancelledByMobilePay",
        "ExpiredAndCaptured",
    ] {
        let exchanges = build(vec![
            refund_poll(1, "ref-1", "Reserved"),
            refund_poll(2, "ref-1", terminal),
            call(3, Endpoint::CaptureRefund).id("ref-1"),
            call(4, Endpoint::CancelRefund).id("ref-1"),
            refund_poll(5, "ref-1", terminal),
        ]);
        let findings = check_after_terminal(&exchanges, 1.0);
        assert_eq!(
            findings.iter().map(|f| f.exchange).collect::<Vec<_>>(),
            vec![Some(3), Some(4), Some(5)],
            "{terminal}"
        );
        assert!(
            findings[0].message.contains("refund") && findings[0].message.contains(terminal),
            "unexpected message: {}",
            findings[0].message
        );
    }
}

#[test]
fn a_refund_captured_after_it_was_seen_reserved_and_read_back_is_clean() {
    let exchanges = build(vec![
        refund_poll(1, "ref-1", "Initiated"),
        refund_poll(2, "ref-1", "Reserved"),
        call(3, Endpoint::CaptureRefund).id("ref-1"),
        refund_poll(4, "ref-1", "Captured"),
        refund_poll(5, "ref-2", "Reserved"),
        call(6, Endpoint::CancelRefund).id("ref-2"),
    ]);
    assert_eq!(check_after_terminal(&exchanges, 1.0), Vec::new());
}

/// A case preparing a payment in step 0 (`waitForCustomer` as given) and readying it in step 1.
fn prepared(wait_for_customer: Option<bool>, exchanges: Vec<Ex>) -> Vec<Finding> {
    let mut prepare = step(Operation::Prepare);
    if let Some(wait) = wait_for_customer {
        prepare
            .params
            .insert("waitForCustomer".to_string(), json!(wait));
    }
    let evidence = Evidence::of(exchanges).with_steps(
        vec![prepare, step(Operation::Ready)],
        vec![
            report(0, Operation::Prepare, ok(json!({}))),
            report(1, Operation::Ready, ok(json!({}))),
        ],
    );
    check_ready_after_paired(&evidence.get())
}

fn prepare_call(seq: u64) -> Ex {
    call(seq, Endpoint::PreparePayment)
        .key("key-1")
        .body(json!({ "posId": "pos-1", "orderId": "order-1" }))
        .response(json!({ "paymentId": "pay-1" }))
}

fn ready(seq: u64) -> Ex {
    call(seq, Endpoint::PaymentReady)
        .id("pay-1")
        .step(1)
        .body(json!({ "amount": 10.0, "currencyCode": "DKK" }))
}

#[test]
fn a_ready_after_the_client_saw_paired_is_clean() {
    let findings = prepared(
        None,
        vec![
            prepare_call(1),
            poll(2, "pay-1", "Prepared"),
            poll(3, "pay-1", "Paired"),
            ready(4).hold200().hung_up(),
            ready(5),
        ],
    );
    assert_eq!(findings, Vec::new());
}

#[test]
fn a_ready_while_the_client_last_saw_prepared_is_flagged() {
    let findings = prepared(
        None,
        vec![prepare_call(1), poll(2, "pay-1", "Prepared"), ready(3)],
    );
    assert_eq!(rules_of(&findings), vec![READY_AFTER_PAIRED]);
    assert_eq!((findings[0].exchange, findings[0].step), (Some(3), Some(1)));
    assert!(
        findings[0].message.contains("last saw it Prepared")
            && findings[0].message.contains("/payments/pay-1/ready"),
        "unexpected message: {}",
        findings[0].message
    );
    let unpolled = prepared(Some(true), vec![prepare_call(1), ready(2)]);
    assert_eq!(rules_of(&unpolled), vec![READY_AFTER_PAIRED]);
    assert!(unpolled[0].message.contains("never polled it"));
}

#[test]
fn a_ready_before_check_in_is_clean_when_the_prepare_does_not_wait() {
    let polled = prepared(
        Some(false),
        vec![prepare_call(1), poll(2, "pay-1", "Prepared"), ready(3)],
    );
    assert_eq!(polled, Vec::new());
    let unpolled = prepared(Some(false), vec![prepare_call(1), ready(2)]);
    assert_eq!(unpolled, Vec::new());
}

#[test]
fn a_ready_after_a_terminal_poll_is_left_to_the_terminal_rule() {
    let findings = prepared(
        None,
        vec![
            prepare_call(1),
            poll(2, "pay-1", "CancelledByUser"),
            ready(3),
        ],
    );
    assert_eq!(findings, Vec::new());
}

#[test]
fn every_open_reservation_and_refund_is_a_finding() {
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
    let refunds = check_refunds(&["ref-1".to_string()]);
    assert_eq!(rules_of(&refunds), vec![REFUND_FOLLOWED_UP]);
    assert!(
        refunds[0].message.starts_with("refund ref-1 was left open"),
        "unexpected message: {}",
        refunds[0].message
    );
    assert_eq!(check_refunds(&[]), Vec::new());
}

#[test]
fn a_terminal_status_answered_slower_than_a_client_timeout_may_not_have_been_seen() {
    // At time scale 0.01 a client may give up on a poll after 100 ms: a terminal status sent
    // later may never have reached it, so polling again is no action after a terminal state.
    let late = build(vec![
        poll(1, "pay-1", "CancelledByUser").at(0.0, 150.0),
        poll(2, "pay-1", "CancelledByUser").at(160.0, 161.0),
    ]);
    assert_eq!(check_after_terminal(&late, 0.01), Vec::new());
    let prompt = build(vec![
        poll(1, "pay-1", "CancelledByUser").at(0.0, 5.0),
        poll(2, "pay-1", "CancelledByUser").at(160.0, 161.0),
    ]);
    assert_eq!(
        rules_of(&check_after_terminal(&prompt, 0.01)),
        vec![AFTER_TERMINAL]
    );
}
