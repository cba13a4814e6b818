//! Tests of reading, listing, capturing and cancelling refunds: the polled answer and its
//! `pollDelayInMs`, MobilePay's reservation, the 24 h auto-capture on the virtual clock, every
//! refusal with its status, code and body shape, and the reference client's refund flow.

use super::fixtures::{
    assert_bare_404, assert_refused, list_as, listed_as, new_refund, on_refund, refund_status,
    set_refund, with_captured, with_refund,
};
use super::lifecycle::RESERVATION_LIFETIME_MS;
use crate::pos::constants::{
    CERT_MERCHANT_VAT_FI, POLL_DELAY_MAX_MS, POLL_DELAY_MIN_MS, REFUND_POLLS_WHILE_INITIATED,
};
use crate::pos::{Endpoint, RefundStatus};
use crate::service::emulator::ApiAnswer;
use crate::service::emulator::fixtures::{OTHER_VAT, TestResult, VAT, json_of, text};
use crate::service::session::Session;

const UNKNOWN_REFUND: &str = "7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b";

fn get(session: &mut Session, refund_id: &str) -> ApiAnswer {
    on_refund(session, VAT, Endpoint::GetRefund, refund_id)
}

fn list(session: &Session, query: &str) -> ApiAnswer {
    list_as(session, VAT, query)
}

fn listed(session: &Session, query: &str) -> Result<Vec<String>, String> {
    listed_as(session, VAT, query)
}

fn capture(session: &mut Session, refund_id: &str) -> ApiAnswer {
    on_refund(session, VAT, Endpoint::CaptureRefund, refund_id)
}

fn cancel(session: &mut Session, refund_id: &str) -> ApiAnswer {
    on_refund(session, VAT, Endpoint::CancelRefund, refund_id)
}

#[test]
fn polls_answer_every_field_and_find_the_refund_reserved_in_time() -> TestResult {
    let (mut session, payment, refund) = with_refund(RefundStatus::Initiated)?;
    let mut statuses = Vec::new();
    for _ in 0..=REFUND_POLLS_WHILE_INITIATED {
        let answer = json_of(get(&mut session, &refund.to_ascii_uppercase()))?;
        assert_eq!(text(&answer, "refundId")?, refund);
        assert_eq!(text(&answer, "paymentId")?, payment);
        assert_eq!(text(&answer, "refundOrderId")?, "refund-1");
        assert_eq!(answer["amount"], 100.0);
        assert_eq!(answer["currencyCode"], "DKK");
        let delay = answer["pollDelayInMs"].as_u64().ok_or("no pollDelayInMs")?;
        assert!(
            (POLL_DELAY_MIN_MS..=POLL_DELAY_MAX_MS).contains(&delay),
            "{delay}"
        );
        assert_eq!(answer.as_object().map(|o| o.len()), Some(7), "{answer}");
        statuses.push(text(&answer, "status")?);
    }
    let mut expected = vec!["Initiated".to_string(); REFUND_POLLS_WHILE_INITIATED];
    expected.push("Reserved".to_string());
    assert_eq!(statuses, expected);
    Ok(())
}

/// Whichever merchant asks: an unknown refund is not found before it could be another's.
#[test]
fn an_unknown_refund_is_a_bare_404_except_on_capture_1004() -> TestResult {
    let (mut session, _, _) = with_refund(RefundStatus::Reserved)?;
    for vat in [VAT, CERT_MERCHANT_VAT_FI, OTHER_VAT] {
        let on =
            |session: &mut Session, endpoint| on_refund(session, vat, endpoint, UNKNOWN_REFUND);
        assert_bare_404(&on(&mut session, Endpoint::GetRefund))?;
        assert_bare_404(&on(&mut session, Endpoint::CancelRefund))?;
        let answer = on(&mut session, Endpoint::CaptureRefund);
        assert_refused(&answer, Endpoint::CaptureRefund, 404, "1004")?;
    }
    Ok(())
}

#[test]
fn a_refund_reserved_for_24_hours_is_found_expired_and_captured() -> TestResult {
    let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
    let now = session.clock().virtual_ms();
    let just_in_time = now - RESERVATION_LIFETIME_MS + 60_000.0;
    set_refund(
        &mut session,
        &refund,
        RefundStatus::Reserved,
        Some(just_in_time),
    )?;
    assert_eq!(
        text(&json_of(get(&mut session, &refund))?, "status")?,
        "Reserved"
    );
    let expired = now - RESERVATION_LIFETIME_MS - 1.0;
    set_refund(&mut session, &refund, RefundStatus::Reserved, Some(expired))?;
    let answer = json_of(get(&mut session, &refund))?;
    assert_eq!(text(&answer, "status")?, "ExpiredAndCaptured");
    Ok(())
}

#[test]
fn acting_on_an_expired_reservation_meets_the_auto_capture() -> TestResult {
    let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
    let expired = session.clock().virtual_ms() - RESERVATION_LIFETIME_MS - 1.0;
    set_refund(&mut session, &refund, RefundStatus::Reserved, Some(expired))?;
    assert_refused(
        &capture(&mut session, &refund),
        Endpoint::CaptureRefund,
        409,
        "1351",
    )?;
    assert_eq!(
        refund_status(&session, &refund)?,
        RefundStatus::ExpiredAndCaptured
    );
    let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
    set_refund(&mut session, &refund, RefundStatus::Reserved, Some(expired))?;
    assert_refused(
        &cancel(&mut session, &refund),
        Endpoint::CancelRefund,
        409,
        "1352",
    )?;
    assert_eq!(
        refund_status(&session, &refund)?,
        RefundStatus::ExpiredAndCaptured
    );
    Ok(())
}

#[test]
fn listing_needs_a_payment_id_1110() -> TestResult {
    let (session, _, _) = with_refund(RefundStatus::Reserved)?;
    for query in ["", "paymentId=", "refundOrderId=refund-1"] {
        assert_refused(
            &list(&session, query),
            Endpoint::QueryRefundIds,
            400,
            "1110",
        )
        .map_err(|e| format!("query {query:?}: {e}"))?;
    }
    Ok(())
}

#[test]
fn listing_shows_every_refund_of_the_payment_oldest_first() -> TestResult {
    let (mut session, payment, first) = with_refund(RefundStatus::CancelledByClient)?;
    let second = new_refund(&mut session, &payment, 30.0)?;
    let upper = format!("paymentId={}", payment.to_ascii_uppercase());
    assert_eq!(listed(&session, &upper)?, vec![first, second]);
    let unknown = format!("paymentId={UNKNOWN_REFUND}");
    assert_eq!(listed(&session, &unknown)?, Vec::<String>::new());
    Ok(())
}

#[test]
fn capture_needs_a_reservation_1351() -> TestResult {
    for status in [
        RefundStatus::Initiated,
        RefundStatus::CancelledByClient,
        RefundStatus::CancelledByMobilePay,
        RefundStatus::ExpiredAndCaptured,
    ] {
        let (mut session, _, refund) = with_refund(status)?;
        assert_refused(
            &capture(&mut session, &refund),
            Endpoint::CaptureRefund,
            409,
            "1351",
        )
        .map_err(|e| format!("capture in {status}: {e}"))?;
        assert_eq!(refund_status(&session, &refund)?, status);
    }
    Ok(())
}

#[test]
fn a_reserved_refund_is_captured_and_a_repeated_capture_succeeds() -> TestResult {
    let (mut session, _, refund) = with_refund(RefundStatus::Reserved)?;
    assert_eq!(capture(&mut session, &refund), Ok(None));
    assert_eq!(refund_status(&session, &refund)?, RefundStatus::Captured);
    assert_eq!(
        capture(&mut session, &refund.to_ascii_uppercase()),
        Ok(None)
    );
    assert_eq!(refund_status(&session, &refund)?, RefundStatus::Captured);
    Ok(())
}

#[test]
fn cancel_ends_an_initiated_or_reserved_refund_and_a_repeat_succeeds() -> TestResult {
    for status in [RefundStatus::Initiated, RefundStatus::Reserved] {
        let (mut session, _, refund) = with_refund(status)?;
        assert_eq!(
            cancel(&mut session, &refund),
            Ok(None),
            "cancel in {status}"
        );
        assert_eq!(
            refund_status(&session, &refund)?,
            RefundStatus::CancelledByClient
        );
        assert_eq!(
            cancel(&mut session, &refund),
            Ok(None),
            "repeat in {status}"
        );
    }
    Ok(())
}

#[test]
fn a_settled_refund_cannot_be_cancelled_1352() -> TestResult {
    for status in [
        RefundStatus::Captured,
        RefundStatus::ExpiredAndCaptured,
        RefundStatus::CancelledByMobilePay,
    ] {
        let (mut session, _, refund) = with_refund(status)?;
        assert_refused(
            &cancel(&mut session, &refund),
            Endpoint::CancelRefund,
            409,
            "1352",
        )
        .map_err(|e| format!("cancel in {status}: {e}"))?;
        assert_eq!(refund_status(&session, &refund)?, status);
    }
    Ok(())
}

/// The reference client's `refund` polls until the refund leaves `Initiated`, `capture_refund`
/// captures and reads it back, and a lost refund id is found by listing (F1, F2).
#[test]
fn the_reference_clients_refund_flows_complete() -> TestResult {
    let (mut session, _, payment) = with_captured()?;
    let refund = new_refund(&mut session, &payment, 40.0)?;
    let mut status = String::from("Initiated");
    let mut polls = 0;
    while status == "Initiated" && polls < 10 {
        status = text(&json_of(get(&mut session, &refund))?, "status")?;
        polls += 1;
    }
    assert_eq!(
        (status.as_str(), polls),
        ("Reserved", REFUND_POLLS_WHILE_INITIATED + 1)
    );
    assert_eq!(capture(&mut session, &refund), Ok(None));
    assert_eq!(
        text(&json_of(get(&mut session, &refund))?, "status")?,
        "Captured"
    );

    let lost = new_refund(&mut session, &payment, 60.0)?;
    let found = listed(&session, &format!("paymentId={payment}"))?;
    assert_eq!(found.last(), Some(&lost));
    assert_eq!(
        text(&json_of(get(&mut session, &lost))?, "status")?,
        "Initiated"
    );
    assert_eq!(cancel(&mut session, &lost), Ok(None));
    assert_eq!(
        text(&json_of(get(&mut session, &lost))?, "status")?,
        "CancelledByClient"
    );
    Ok(())
}
