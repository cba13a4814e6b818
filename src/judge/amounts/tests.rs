//! Tests of `amounts`.

use serde_json::json;

use super::*;
use crate::judge::fixtures::{Ex, assert_only, build, call, poll};

fn reserved(seq: u64, amount: f64, partial: bool) -> Ex {
    call(seq, Endpoint::QueryPayment)
        .id("pay-1")
        .response(json!({
            "paymentId": "pay-1", "status": "Reserved", "amount": amount, "currencyCode": "DKK",
            "partialCapturePossible": partial, "pollDelayInMs": 1000
        }))
}

fn capture(seq: u64, amount: f64) -> Ex {
    call(seq, Endpoint::CapturePayment)
        .id("pay-1")
        .body(json!({ "amount": amount }))
}

fn refund(seq: u64, key: &str, amount: f64, currency: &str) -> Ex {
    call(seq, Endpoint::CreateRefund).key(key).body(json!({
        "paymentId": "pay-1", "refundOrderId": key, "amount": amount, "currencyCode": currency
    }))
}

fn refunded(seq: u64, key: &str, amount: f64, refund_id: &str) -> Ex {
    refund(seq, key, amount, "DKK").response(json!({ "refundId": refund_id }))
}

#[test]
fn a_capture_of_the_reserved_amount_through_retries_is_clean() {
    let exchanges = build(vec![
        poll(1, "pay-1", "IssuedToUser"),
        reserved(2, 100.0, false),
        capture(3, 100.0).hold200().hung_up(),
        capture(4, 100.0).err500(),
        capture(5, 100.0),
        poll(6, "pay-1", "Captured"),
    ]);
    assert_eq!(check(&exchanges), Vec::new());
}

#[test]
fn a_partial_capture_is_clean_when_the_poll_allows_it() {
    let exchanges = build(vec![reserved(1, 100.0, true), capture(2, 60.0)]);
    assert_eq!(check(&exchanges), Vec::new());
}

#[test]
fn a_capture_before_the_client_saw_reserved_is_flagged() {
    let unpolled = check(&build(vec![capture(1, 100.0)]));
    assert_only(&unpolled, CAPTURE_WHEN_RESERVED, 1, "never polled it");
    let early = check(&build(vec![
        poll(1, "pay-1", "IssuedToUser"),
        capture(2, 100.0),
    ]));
    assert_only(&early, CAPTURE_WHEN_RESERVED, 2, "last saw it IssuedToUser");
    let refused = check(&build(vec![
        reserved(1, 100.0, false),
        capture(2, 100.0).refused(ErrorCode::PaymentNotReserved),
    ]));
    assert_only(&refused, CAPTURE_WHEN_RESERVED, 2, "Reserved");
}

#[test]
fn a_capture_after_a_terminal_poll_is_left_to_the_terminal_rule() {
    let exchanges = build(vec![poll(1, "pay-1", "CancelledByUser"), capture(2, 100.0)]);
    assert_eq!(check(&exchanges), Vec::new());
}

#[test]
fn a_capture_above_the_reservation_is_flagged() {
    let findings = check(&build(vec![reserved(1, 100.0, true), capture(2, 100.5)]));
    assert_only(&findings, CAPTURE_AMOUNT, 2, "above the reserved 100");
}

#[test]
fn a_partial_capture_the_poll_did_not_allow_is_flagged() {
    let findings = check(&build(vec![
        reserved(1, 100.0, false),
        capture(2, 60.0).refused(ErrorCode::PartialCaptureImpossible),
    ]));
    assert_only(&findings, CAPTURE_AMOUNT, 2, "partialCapturePossible false");
}

#[test]
fn a_capture_of_nothing_is_flagged() {
    let findings = check(&build(vec![reserved(1, 100.0, true), capture(2, 0.0)]));
    assert_only(&findings, CAPTURE_AMOUNT, 2, "asked for 0");
}

#[test]
fn a_second_capture_with_another_amount_is_flagged() {
    let findings = check(&build(vec![
        reserved(1, 100.0, true),
        capture(2, 60.0).hold200().hung_up(),
        capture(3, 50.0).step(1),
    ]));
    assert_only(&findings, CAPTURE_AMOUNT, 3, "earlier capture of 60");
    // A retry with another amount is the retry rule's finding, not this one.
    let retried = check(&build(vec![
        reserved(1, 100.0, true),
        capture(2, 60.0).hold200().hung_up(),
        capture(3, 50.0),
    ]));
    assert_eq!(retried, Vec::new());
}

#[test]
fn a_refusal_the_recording_cannot_explain_is_named_by_its_code() {
    let findings = check(&build(vec![
        poll(1, "pay-1", "Reserved"),
        capture(2, 60.0).refused(ErrorCode::CapturedWithOtherAmount),
    ]));
    assert_only(&findings, CAPTURE_AMOUNT, 2, "refused with 1307");
}

fn captured_payment() -> Vec<Ex> {
    vec![
        reserved(1, 100.0, true),
        capture(2, 100.0),
        poll(3, "pay-1", "Captured"),
    ]
}

#[test]
fn refunds_within_the_captured_amount_are_clean() {
    let mut exchanges = captured_payment();
    exchanges.extend([
        refunded(4, "r-1", 40.0, "ref-1"),
        refund(5, "r-2", 60.0, "DKK").hold200().hung_up(),
        refunded(6, "r-2", 60.0, "ref-2"),
    ]);
    assert_eq!(check(&build(exchanges)), Vec::new());
}

#[test]
fn a_cancelled_refund_frees_its_amount() {
    let mut exchanges = captured_payment();
    exchanges.extend([
        refunded(4, "r-1", 100.0, "ref-1"),
        call(5, Endpoint::CancelRefund).id("ref-1"),
        refunded(6, "r-2", 100.0, "ref-2"),
    ]);
    assert_eq!(check(&build(exchanges)), Vec::new());
}

#[test]
fn refunds_above_the_captured_amount_are_flagged() {
    let mut exchanges = captured_payment();
    exchanges.extend([
        refunded(4, "r-1", 60.0, "ref-1"),
        refund(5, "r-2", 40.01, "DKK").refused(ErrorCode::RefundAmountTooHigh),
    ]);
    assert_only(
        &check(&build(exchanges)),
        REFUND_AMOUNT,
        5,
        "60 already refunded of the 100 captured",
    );
}

#[test]
fn a_refund_in_another_currency_is_flagged() {
    let mut exchanges = captured_payment();
    exchanges.push(refund(4, "r-1", 10.0, "EUR"));
    assert_only(
        &check(&build(exchanges)),
        REFUND_AMOUNT,
        4,
        "in EUR a payment made in DKK",
    );
}

#[test]
fn a_refund_of_a_payment_not_captured_is_flagged() {
    let findings = check(&build(vec![
        reserved(1, 100.0, true),
        refund(2, "r-1", 10.0, "DKK").refused(ErrorCode::PaymentNotCaptured),
    ]));
    assert_only(&findings, REFUND_AMOUNT, 2, "last saw Reserved");
    let unknown = check(&build(vec![
        refund(1, "r-1", 10.0, "DKK").refused(ErrorCode::PaymentNotCaptured),
    ]));
    assert_only(&unknown, REFUND_AMOUNT, 1, "refused with 1354");
}

#[test]
fn a_refund_of_a_payment_captured_elsewhere_is_clean() {
    let exchanges = build(vec![refunded(1, "r-1", 10.0, "ref-1")]);
    assert_eq!(check(&exchanges), Vec::new());
}
