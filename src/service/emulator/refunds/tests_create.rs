//! Tests of `POST /refunds`: every rule of a new refund provoked once, each refusal checked for
//! its status, code and `ErrorResponseV2` shape, and the idempotency of the pipeline on it.

use serde_json::json;

use super::fixtures::{
    assert_refused, captured_on, create_with, new_refund, refund_body, set_refund, with_captured,
};
use super::rules::REFUND_WINDOW_MS;
use crate::pos::constants::STORE_REFUND_BALANCE;
use crate::pos::{Endpoint, PaymentStatus, RefundStatus, validate};
use crate::service::emulator::ApiAnswer;
use crate::service::emulator::fixtures::{
    CASE, Call, TestResult, VAT, acting_for, armed_session, json_of, new_payment, new_pos,
    pos_headers, set_status, text, through_pipeline,
};
use crate::service::session::Session;

const CREATE: Endpoint = Endpoint::CreateRefund;
const UNKNOWN_PAYMENT: &str = "2c7d4f1e-8a9b-4c3d-9e0f-1a2b3c4d5e6f";

#[test]
fn a_captured_payment_gets_an_initiated_refund() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let body = refund_body(&payment.to_ascii_uppercase(), json!(40.5), "DKK");
    let id = text(&json_of(create_with(&mut session, &body))?, "refundId")?;
    assert!(validate::is_guid(&id), "refundId {id} is not a GUID");
    let refund = session
        .world()
        .refunds
        .get(&id)
        .ok_or("refund not stored")?;
    assert_eq!(refund.status, RefundStatus::Initiated);
    assert_eq!(refund.payment_id, payment);
    assert_eq!(refund.refund_order_id, "refund-1");
    assert_eq!(refund.amount, 40.5);
    assert_eq!(refund.created_in_case, None);
    let payment = session
        .world()
        .payments
        .get(&payment)
        .ok_or("payment gone")?;
    assert_eq!(payment.status, PaymentStatus::Captured);
    Ok(())
}

#[test]
fn a_refund_created_in_a_case_records_the_case() -> TestResult {
    let mut session = armed_session(vec![PaymentStatus::Reserved], false)?;
    let pos = new_pos(&mut session, "till-1")?;
    let payment = captured_on(&mut session, &pos, 100.0, "DKK")?;
    let id = new_refund(&mut session, &payment, 100.0)?;
    let refund = session
        .world()
        .refunds
        .get(&id)
        .ok_or("refund not stored")?;
    assert_eq!(refund.created_in_case.as_deref(), Some(CASE));
    Ok(())
}

#[test]
fn a_body_outside_the_document_is_1099() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let mut unknown_field = refund_body(&payment, json!(10), "DKK");
    unknown_field["reason"] = json!("broken");
    let mut missing = refund_body(&payment, json!(10), "DKK");
    missing.as_object_mut().map(|o| o.remove("refundOrderId"));
    let bodies = [
        unknown_field,
        missing,
        refund_body(&payment, json!(10), "SEK"),
        refund_body(&payment, json!("10"), "DKK"),
        refund_body("not-a-guid", json!(10), "DKK"),
    ];
    for body in &bodies {
        assert_refused(&create_with(&mut session, body), CREATE, 400, "1099")?;
    }
    let call = Call::new(CREATE).raw_body("{\"paymentId\":");
    assert_refused(
        &super::create(&mut session, &acting_for(VAT), &call.request()),
        CREATE,
        400,
        "1099",
    )?;
    assert!(session.world().refunds.is_empty());
    Ok(())
}

#[test]
fn a_refund_order_id_follows_the_order_id_rule_1114() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    for order in [
        String::new(),
        "r".repeat(37),
        "emoji 😀".into(),
        "no\u{A0}nbsp".into(),
    ] {
        let mut body = refund_body(&payment, json!(1), "DKK");
        body["refundOrderId"] = json!(order);
        assert_refused(&create_with(&mut session, &body), CREATE, 400, "1114")?;
    }
    let mut body = refund_body(&payment, json!(1), "DKK");
    body["refundOrderId"] = json!("R".repeat(36));
    json_of(create_with(&mut session, &body))?;
    Ok(())
}

#[test]
fn the_amount_is_positive_with_two_decimals_1102() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    for amount in [json!(0), json!(-5), json!(10.005)] {
        let body = refund_body(&payment, amount, "DKK");
        assert_refused(&create_with(&mut session, &body), CREATE, 400, "1102")?;
    }
    assert!(session.world().refunds.is_empty());
    Ok(())
}

#[test]
fn an_unknown_payment_is_409_1001() -> TestResult {
    let (mut session, _, _) = with_captured()?;
    let body = refund_body(UNKNOWN_PAYMENT, json!(10), "DKK");
    assert_refused(&create_with(&mut session, &body), CREATE, 409, "1001")?;
    Ok(())
}

#[test]
fn only_a_captured_payment_is_refunded_1354() -> TestResult {
    let mut session = crate::service::emulator::fixtures::session();
    let pos = new_pos(&mut session, "till-1")?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    for status in PaymentStatus::ALL
        .into_iter()
        .filter(|s| *s != PaymentStatus::Captured)
    {
        set_status(&mut session, &payment, status)?;
        let body = refund_body(&payment, json!(10), "DKK");
        assert_refused(&create_with(&mut session, &body), CREATE, 409, "1354")
            .map_err(|e| format!("payment {status}: {e}"))?;
    }
    Ok(())
}

#[test]
fn the_currency_is_the_payments_1365() -> TestResult {
    let (mut session, _, dkk) = with_captured()?;
    let body = refund_body(&dkk, json!(10), "EUR");
    assert_refused(&create_with(&mut session, &body), CREATE, 409, "1365")?;
    json_of(create_with(
        &mut session,
        &refund_body(&dkk, json!(10), "DKK"),
    ))?;
    Ok(())
}

#[test]
fn a_payment_captured_over_90_days_ago_is_too_old_1366() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let captured_at = session.world().captured_virtual_ms.get(&payment).copied();
    assert!(captured_at.is_some(), "capturing notes the capture time");
    let now = session.clock().virtual_ms();
    // A minute inside the window (the clock runs on while the test does).
    let recent = now - REFUND_WINDOW_MS + 60_000.0;
    session
        .world_mut()
        .captured_virtual_ms
        .insert(payment.clone(), recent);
    new_refund(&mut session, &payment, 10.0)?;
    let stale = now - REFUND_WINDOW_MS - 1.0;
    session
        .world_mut()
        .captured_virtual_ms
        .insert(payment.clone(), stale);
    let body = refund_body(&payment, json!(10), "DKK");
    assert_refused(&create_with(&mut session, &body), CREATE, 409, "1366")?;
    Ok(())
}

#[test]
fn refunds_not_cancelled_stay_within_the_captured_amount_1367() -> TestResult {
    let (mut session, pos, payment) = with_captured()?;
    let other = captured_on(&mut session, &pos, 100.0, "DKK")?;
    new_refund(&mut session, &other, 100.0)?;
    let first = new_refund(&mut session, &payment, 40.0)?;
    new_refund(&mut session, &payment, 60.0)?;
    let cent = refund_body(&payment, json!(0.01), "DKK");
    for counting in [
        RefundStatus::Initiated,
        RefundStatus::Reserved,
        RefundStatus::Captured,
        RefundStatus::ExpiredAndCaptured,
    ] {
        set_refund(&mut session, &first, counting, None)?;
        assert_refused(&create_with(&mut session, &cent), CREATE, 409, "1367")
            .map_err(|e| format!("first refund {counting}: {e}"))?;
    }
    for cancelled in [
        RefundStatus::CancelledByClient,
        RefundStatus::CancelledByMobilePay,
    ] {
        set_refund(&mut session, &first, cancelled, None)?;
        let above = refund_body(&payment, json!(40.01), "DKK");
        assert_refused(&create_with(&mut session, &above), CREATE, 409, "1367")?;
    }
    new_refund(&mut session, &payment, 40.0)?;
    assert_refused(&create_with(&mut session, &cent), CREATE, 409, "1367")?;
    Ok(())
}

/// Defect found by the property tests: the cents of an amount beyond an `i64` (10^17 DKK and
/// up) made the sum of a payment's refunds overflow — a panic in a debug build, and in a release
/// build a negative sum that let the refund through both the captured-amount and the balance
/// rule.
#[test]
fn a_refund_too_large_for_an_i64_of_cents_overflowed_the_refunded_sum() -> TestResult {
    let (mut session, pos, payment) = with_captured()?;
    new_refund(&mut session, &payment, 0.01)?;
    for amount in [1e17, 1e300] {
        let huge = refund_body(&payment, json!(amount), "DKK");
        assert_refused(&create_with(&mut session, &huge), CREATE, 409, "1367")
            .map_err(|e| format!("{amount}: {e}"))?;
    }
    let large = captured_on(&mut session, &pos, 1e17, "DKK")?;
    new_refund(&mut session, &large, 0.01)?;
    let huge = refund_body(&large, json!(1e17), "DKK");
    assert_refused(&create_with(&mut session, &huge), CREATE, 409, "1367")?;
    let within = refund_body(&large, json!(1e16), "DKK");
    assert_refused(&create_with(&mut session, &within), CREATE, 409, "1368")?;
    assert_eq!(session.world().refunds.len(), 2);
    Ok(())
}

#[test]
fn a_partial_capture_bounds_the_refunds() -> TestResult {
    let mut session = crate::service::emulator::fixtures::session();
    let pos = new_pos(&mut session, "till-1")?;
    let payment = new_payment(&mut session, &pos, "order-1")?;
    set_status(&mut session, &payment, PaymentStatus::Reserved)?;
    if let Some(record) = session.world_mut().payments.get_mut(&payment) {
        record.partial_capture_possible = true;
    }
    let call = Call::new(Endpoint::CapturePayment)
        .id(&payment)
        .body(&json!({ "amount": 60 }));
    crate::service::emulator::payments::capture(
        &mut session,
        &crate::service::emulator::fixtures::acting_for(VAT),
        &call.request(),
    )
    .map_err(|e| format!("{e:?}"))?;
    let body = refund_body(&payment, json!(60.01), "DKK");
    assert_refused(&create_with(&mut session, &body), CREATE, 409, "1367")?;
    new_refund(&mut session, &payment, 60.0)?;
    Ok(())
}

#[test]
fn the_stores_balance_covers_the_refunds_1368() -> TestResult {
    let (mut session, pos, _) = with_captured()?;
    let large = captured_on(&mut session, &pos, STORE_REFUND_BALANCE + 100.0, "DKK")?;
    let over = refund_body(&large, json!(STORE_REFUND_BALANCE + 0.01), "DKK");
    assert_refused(&create_with(&mut session, &over), CREATE, 409, "1368")?;
    let all = new_refund(&mut session, &large, STORE_REFUND_BALANCE)?;
    let small = captured_on(&mut session, &pos, 10.0, "DKK")?;
    let body = refund_body(&small, json!(0.01), "DKK");
    assert_refused(&create_with(&mut session, &body), CREATE, 409, "1368")?;
    set_refund(&mut session, &all, RefundStatus::CancelledByClient, None)?;
    json_of(create_with(&mut session, &body))?;
    Ok(())
}

/// Runs `call` through the pipeline with idempotency keys `keys`.
fn run(session: &mut Session, keys: &[&str], call: &Call) -> ApiAnswer {
    through_pipeline(session, &pos_headers(keys), call)
}

#[test]
fn creating_needs_one_valid_idempotency_key() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let call = Call::new(CREATE).body(&refund_body(&payment, json!(10), "DKK"));
    let long = "k".repeat(37);
    for (keys, code) in [
        (vec![], "1164"),
        (vec![long.as_str()], "1162"),
        (vec!["key-1", "key-2"], "1163"),
    ] {
        let answer = run(&mut session, &keys, &call);
        assert_refused(&answer, CREATE, 400, code)?;
    }
    assert!(session.world().refunds.is_empty());
    Ok(())
}

#[test]
fn a_replayed_create_answers_the_same_refund_and_another_body_is_1306() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let call = Call::new(CREATE).body(&refund_body(&payment, json!(10), "DKK"));
    let first = json_of(run(&mut session, &["k"], &call))?;
    let again = json_of(run(&mut session, &["k"], &call))?;
    assert_eq!(first, again);
    assert_eq!(session.world().refunds.len(), 1);
    let other = Call::new(CREATE).body(&refund_body(&payment, json!(20), "DKK"));
    let refused = run(&mut session, &["k"], &other);
    assert_refused(&refused, CREATE, 409, "1306")?;
    assert_eq!(session.world().refunds.len(), 1);
    assert!(first.get("refundId").is_some(), "{first}");
    Ok(())
}
